// Saves a page's annotation edits through /api/v1 as they happen, one request at a time, and
// never drops one: a failed request (no connection, a 5xx, a 429) is retried with backoff until
// it goes through. Edits of one annotation are merged while they wait (a move then a retype is one
// PATCH; a create then a delete is nothing). The state is "saved", "saving" or "unsaved" (a try
// failed and a retry is due). An annotation deleted elsewhere is reported, never re-created.
//
// const saver = new Saver({path, onState, onCreated, onGone, onRejected});
// saver.create(localId, body); saver.update(id, changes); saver.remove(id);

import { api } from "./api.js";

const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
const RETRIED = (status) => status === 0 || status === 429 || status >= 500;

export class Saver {
  // path: the set's annotations collection ("/datasets/…/annotation-sets/…/annotations").
  // onState(state, detail); onCreated(localId, annotation); onGone(id, error): a 404 for an
  // annotation another tab or person deleted; onRejected(id, error): any other refusal (a 409
  // for a published set, a 422).
  constructor({ path, onState, onCreated, onGone, onRejected }) {
    this.path = path;
    this.callbacks = { onState, onCreated, onGone, onRejected };
    this.queue = []; // [{id, kind: "create" | "update" | "delete", body}]
    this.serverIds = new Map(); // local id -> server id
    this.running = false;
    this.failures = 0;
    this.state = "saved";
    this.retryTimer = null;
    window.addEventListener("online", () => this.retryNow());
    window.addEventListener("beforeunload", (event) => {
      if (!this.queue.length) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  get pending() {
    return this.queue.length;
  }

  serverId(id) {
    return this.serverIds.get(id) || id;
  }

  create(localId, body) {
    this.queue.push({ id: localId, kind: "create", body: { ...body } });
    this.kick();
  }

  update(id, changes) {
    const waiting = this.waiting(id);
    if (waiting && waiting.kind !== "delete") Object.assign(waiting.body, changes);
    else this.queue.push({ id, kind: "update", body: { ...changes } });
    this.kick();
  }

  remove(id) {
    const waiting = this.waiting(id);
    if (waiting && waiting.kind === "create") {
      this.queue.splice(this.queue.indexOf(waiting), 1); // never sent: nothing to delete
      this.setState(this.queue.length ? this.state : "saved");
      return;
    }
    if (waiting && waiting.kind === "update") this.queue.splice(this.queue.indexOf(waiting), 1);
    this.queue.push({ id, kind: "delete", body: null });
    this.kick();
  }

  // The last queued operation of `id` that is not being sent right now.
  waiting(id) {
    for (let index = this.queue.length - 1; index >= (this.running ? 1 : 0); index -= 1) {
      if (this.queue[index].id === id) return this.queue[index];
    }
    return null;
  }

  setState(state, detail) {
    this.state = state;
    if (this.callbacks.onState) this.callbacks.onState(state, detail);
  }

  retryNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.kick();
  }

  kick() {
    if (this.running || this.retryTimer) {
      if (this.state === "saved") this.setState("saving");
      return;
    }
    this.run();
  }

  async run() {
    this.running = true;
    while (this.queue.length) {
      if (this.state !== "unsaved") this.setState("saving");
      const operation = this.queue[0];
      try {
        await this.send(operation);
        this.failures = 0;
      } catch (error) {
        if (RETRIED(error.status ?? 0)) {
          this.failures += 1;
          this.running = false;
          const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1];
          this.setState("unsaved", { error, retryInMs: delay });
          this.retryTimer = setTimeout(() => this.retryNow(), delay);
          return;
        }
        if (error.status === 404 && operation.kind !== "create") {
          if (this.callbacks.onGone) this.callbacks.onGone(operation.id, error);
          this.queue = this.queue.filter((item) => item.id !== operation.id);
          continue;
        }
        if (this.callbacks.onRejected) this.callbacks.onRejected(operation.id, error, operation);
      }
      this.queue.shift();
    }
    this.running = false;
    this.setState("saved");
  }

  async send(operation) {
    const id = this.serverId(operation.id);
    if (operation.kind === "create") {
      const created = await api.post(this.path, operation.body);
      this.serverIds.set(operation.id, created.id);
      if (this.callbacks.onCreated) this.callbacks.onCreated(operation.id, created);
    } else if (operation.kind === "update") {
      await api.patch(`${this.path}/${id}`, operation.body);
    } else {
      try {
        await api.delete(`${this.path}/${id}`);
      } catch (error) {
        if (error.status !== 404) throw error; // already gone is what a delete wants
      }
    }
  }
}
