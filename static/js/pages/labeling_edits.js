// The labeling page's edits: every change to a region goes through here, so it reaches the region
// layer, the autosave queue and the undo history together. Regions made on this page keep their
// local id ("new-…"); the saver maps it to the server's id. Part of labeling.js.

import { Saver } from "../lib/autosave.js";
import { toast } from "../lib/feedback.js";

let localIds = 0;
const newLocalId = () => `new-${(localIds += 1)}`;

export class Edits {
  // annotationsPath: the set's annotations collection; onState(state, detail): the save state;
  // onGone(message) and onRejected(error): problems to show; onEdited(): after any edit.
  constructor({ annotationsPath, onState, onGone, onRejected, onEdited }) {
    this.onEdited = onEdited || (() => {});
    this.layer = null;
    this.audioId = null;
    this.undoStack = [];
    this.redoStack = [];
    this.saver = new Saver({
      path: annotationsPath,
      onState,
      onGone: (id) => {
        if (this.layer) this.layer.remove(id);
        this.onEdited();
        onGone("A region you changed was deleted in another tab or by someone else, so your change was not saved. Reload to see the set as it is now.");
      },
      onRejected: (id, error) => onRejected(error),
    });
  }

  // The file now open, and its layer (histories do not cross files).
  open(layer, audioId) {
    this.layer = layer;
    this.audioId = audioId;
    this.undoStack = [];
    this.redoStack = [];
  }

  record(entry) {
    this.undoStack.push(entry);
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.redoStack = [];
  }

  // region: {artifact_type, start_ms, end_ms}; surfaceId: a region the layer drew by dragging.
  create(region, { surfaceId = null, record = true } = {}) {
    const id = newLocalId();
    const stored = { ...region, id };
    if (surfaceId) this.layer.adopt(surfaceId, stored);
    else this.layer.upsert(stored);
    this.saver.create(id, {
      audio_file_id: this.audioId,
      artifact_type: region.artifact_type,
      start_ms: region.start_ms,
      end_ms: region.end_ms,
    });
    this.onEdited();
    if (record) {
      const ref = { id };
      this.record({
        undo: () => this.remove(ref.id, { record: false }),
        redo: () => {
          ref.id = this.create(region, { record: false });
        },
      });
    }
    return id;
  }

  // changes: any of {artifact_type, start_ms, end_ms}; before: their values until now (taken from
  // the layer when not given).
  change(id, changes, { before = null, record = true } = {}) {
    const current = this.layer.get(id);
    if (!current) return;
    const previous = before || Object.fromEntries(Object.keys(changes).map((key) => [key, current[key]]));
    if (Object.keys(changes).every((key) => changes[key] === previous[key])) return;
    this.layer.upsert({ id, ...changes });
    this.saver.update(id, changes);
    this.onEdited();
    if (record) {
      this.record({
        undo: () => this.change(id, previous, { record: false }),
        redo: () => this.change(id, changes, { record: false }),
      });
    }
  }

  remove(id, { record = true } = {}) {
    const region = this.layer.get(id);
    if (!region) return;
    this.layer.remove(id);
    this.saver.remove(id);
    this.onEdited();
    if (record) {
      const ref = { id };
      const { artifact_type, start_ms, end_ms } = region;
      this.record({
        undo: () => {
          ref.id = this.create({ artifact_type, start_ms, end_ms }, { record: false });
        },
        redo: () => this.remove(ref.id, { record: false }),
      });
    }
  }

  undo() {
    const entry = this.undoStack.pop();
    if (!entry) {
      toast("Nothing to undo.");
      return;
    }
    entry.undo();
    this.redoStack.push(entry);
  }

  redo() {
    const entry = this.redoStack.pop();
    if (!entry) {
      toast("Nothing to redo.");
      return;
    }
    entry.redo();
    this.undoStack.push(entry);
  }
}
