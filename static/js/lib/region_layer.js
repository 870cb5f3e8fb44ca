// A layer of typed time regions over a Waveform (lib/waveform.js): one colour per type, one
// selection, and, unless read-only, drag to create, move and resize. The labeling page keeps its
// annotations in one; a read-only one can show a model's detections beside them.
//
// const layer = new RegionLayer(waveform, {types, readOnly, testid, describe});
// layer.setRegions([{id, artifact_type, start_ms, end_ms}, …]);
// layer.on("create" | "change" | "select", handler)
//   create: ({surfaceId, start_ms, end_ms}) after a drag on empty waveform; call adopt() to keep it
//   change: (id, {start_ms, end_ms}, before) after a move or resize
//   select: (id or null)

import { formatDuration } from "./format.js";

const FILL_ALPHA = 0.28;
// Regions near the view are wavesurfer regions (elements that can be dragged); beyond this many
// in and around the view they are only marks in a strip above the waveform, until you zoom in.
// Each wavesurfer region measures the page on every scroll, so thousands would freeze it.
const MAX_ON_SCREEN = 300;

export function fillColor(hex, alpha = FILL_ALPHA) {
  const value = /^#([0-9a-f]{6})$/i.exec(hex || "") ? parseInt(hex.slice(1), 16) : 0x888888;
  return `rgba(${value >> 16}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

// Short regions stack above long ones, so a click inside a long region can still reach them.
function raisedFor(region) {
  const length = region.end_ms - region.start_ms;
  if (length < 200) return 3;
  if (length < 2000) return 2;
  return length < 20000 ? 1 : 0;
}

export class RegionLayer {
  constructor(waveform, { types, readOnly = false, testid = "region", describe } = {}) {
    this.waveform = waveform;
    this.surface = waveform.regionSurface();
    this.shown = new Set(); // ids of the regions the surface holds
    this.crowded = false;
    this.marks = document.createElement("canvas");
    this.marks.dataset.testid = `${testid}-marks`;
    this.marks.setAttribute("aria-hidden", "true");
    Object.assign(this.marks.style, { height: "10px", position: "absolute", top: "0", left: "0" });
    this.marksLane = document.createElement("div");
    Object.assign(this.marksLane.style, { display: "none", height: "10px", overflow: "hidden" });
    this.marksLane.append(this.marks);
    waveform.addLane(this.marksLane);
    this.syncScheduled = false;
    waveform.on("scroll", () => this.scheduleSync());
    waveform.on("zoom", () => this.scheduleSync());
    this.types = new Map(types.map((type) => [type.name, type]));
    this.readOnly = readOnly;
    this.testid = testid;
    this.describe = describe || ((region) => `${region.artifact_type} ${formatDuration(region.start_ms)}–${formatDuration(region.end_ms)}`);
    this.regions = new Map(); // id -> {id, artifact_type, start_ms, end_ms, …}
    this.selectedId = null;
    this.handlers = { create: [], change: [], select: [] };
    this.activeType = types.length ? types[0].name : null;
    this.surface.on("created", (view) => this.onDrawn(view));
    this.surface.on("changed", (view) => this.onMoved(view));
    this.surface.on("clicked", (view, event) => this.onClicked(view, event));
    this.setReadOnly(readOnly);
  }

  on(event, handler) {
    this.handlers[event].push(handler);
  }

  emit(event, ...args) {
    for (const handler of this.handlers[event]) handler(...args);
  }

  // Short regions (clicks) are drawn more opaque: a few pixels must still show their type.
  color(region) {
    const type = this.types.get(region.artifact_type);
    return fillColor(type ? type.color : null, raisedFor(region) === 3 ? 0.7 : FILL_ALPHA);
  }

  setReadOnly(readOnly) {
    this.readOnly = readOnly;
    const active = this.types.get(this.activeType);
    this.surface.dragCreate(readOnly || !active ? null : fillColor(active.color));
    for (const id of this.shown) this.surface.update(id, { editable: !readOnly });
  }

  setActiveType(name) {
    if (!this.types.has(name)) return;
    this.activeType = name;
    this.setReadOnly(this.readOnly);
  }

  // Replaces every region (a file was opened).
  setRegions(list) {
    this.surface.clear();
    this.shown.clear();
    this.regions.clear();
    this.selectedId = null;
    for (const region of list) this.regions.set(region.id, { ...region });
    this.sync();
  }

  scheduleSync() {
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    requestAnimationFrame(() => {
      this.syncScheduled = false;
      this.sync();
    });
  }

  look(region) {
    return { color: this.color(region), title: this.describe(region), raised: raisedFor(region) };
  }

  // Puts the regions in and around the view on the surface (all of them when they are few
  // enough, else only the selected one, with marks for the rest) and takes the others off.
  sync() {
    const { startMs, endMs } = this.waveform.visibleRange();
    const margin = (endMs - startMs) / 2;
    let wanted = [...this.regions.values()].filter((region) => region.end_ms >= startMs - margin && region.start_ms <= endMs + margin);
    this.crowded = wanted.length > MAX_ON_SCREEN;
    if (this.crowded) wanted = wanted.filter((region) => region.id === this.selectedId);
    const ids = new Set(wanted.map((region) => region.id));
    if (this.selectedId && this.regions.has(this.selectedId)) ids.add(this.selectedId);
    for (const id of [...this.shown]) {
      if (!ids.has(id)) {
        this.surface.remove(id);
        this.shown.delete(id);
      }
    }
    for (const id of ids) {
      if (this.shown.has(id)) continue;
      const region = this.regions.get(id);
      this.surface.add({ id, startMs: region.start_ms, endMs: region.end_ms, editable: !this.readOnly, testid: this.testid, ...this.look(region) });
      this.shown.add(id);
      if (id === this.selectedId) this.surface.update(id, { selected: true });
    }
    this.drawMarks(startMs, endMs);
  }

  drawMarks(startMs, endMs) {
    const canvas = this.marks;
    this.marksLane.style.display = this.crowded ? "block" : "none";
    if (!this.crowded) return;
    const width = this.waveform.ws.getWidth();
    const msPerPx = (endMs - startMs) / width;
    canvas.style.left = `${startMs / this.waveform.msPerPx()}px`;
    canvas.style.width = `${width}px`;
    canvas.width = width;
    canvas.height = 10;
    const context = canvas.getContext("2d");
    for (const region of this.regions.values()) {
      if (region.end_ms < startMs || region.start_ms > endMs) continue;
      const type = this.types.get(region.artifact_type);
      context.fillStyle = type ? type.color : "#888";
      const x = (region.start_ms - startMs) / msPerPx;
      context.fillRect(Math.floor(x), 0, Math.max(2, (region.end_ms - region.start_ms) / msPerPx), 10);
    }
  }

  // Adds a region or changes it in place.
  upsert(region) {
    const stored = { ...this.regions.get(region.id), ...region };
    this.regions.set(region.id, stored);
    if (this.shown.has(region.id)) {
      this.surface.update(region.id, { startMs: stored.start_ms, endMs: stored.end_ms, ...this.look(stored) });
    } else {
      this.sync();
    }
    return stored;
  }

  // Keeps a region drawn by dragging, under `id`, as `region` ({artifact_type, …}).
  adopt(surfaceId, region) {
    this.surface.rename(surfaceId, region.id);
    this.shown.add(region.id);
    this.regions.set(region.id, { ...region });
    this.upsert(region);
  }

  // Renames a region (a local id that the server has now given its own).
  rename(oldId, newId) {
    const region = this.regions.get(oldId);
    if (!region) return;
    this.regions.delete(oldId);
    this.regions.set(newId, { ...region, id: newId });
    this.surface.rename(oldId, newId);
    if (this.shown.delete(oldId)) this.shown.add(newId);
    if (this.selectedId === oldId) this.selectedId = newId;
  }

  remove(id) {
    this.regions.delete(id);
    if (this.shown.delete(id)) this.surface.remove(id);
    if (this.selectedId === id) this.select(null);
    if (this.crowded) this.scheduleSync();
  }

  get(id) {
    return this.regions.get(id) || null;
  }

  // Every region, by start then end.
  all() {
    return [...this.regions.values()].sort((a, b) => a.start_ms - b.start_ms || a.end_ms - b.end_ms);
  }

  // Regions containing `ms`, shortest first.
  at(ms) {
    return this.all()
      .filter((region) => region.start_ms <= ms && region.end_ms >= ms)
      .sort((a, b) => a.end_ms - a.start_ms - (b.end_ms - b.start_ms));
  }

  select(id) {
    if (this.selectedId && this.shown.has(this.selectedId)) this.surface.update(this.selectedId, { selected: false });
    this.selectedId = id && this.regions.has(id) ? id : null;
    if (this.selectedId) {
      if (!this.shown.has(this.selectedId)) this.sync();
      this.surface.update(this.selectedId, { selected: true });
    }
    this.emit("select", this.selectedId);
  }

  selected() {
    return this.selectedId ? this.regions.get(this.selectedId) : null;
  }

  onDrawn(view) {
    if (this.readOnly || !this.activeType) {
      this.surface.remove(view.id);
      return;
    }
    this.emit("create", { surfaceId: view.id, start_ms: view.startMs, end_ms: Math.max(view.endMs, view.startMs + 1) });
  }

  onMoved(view) {
    const before = this.regions.get(view.id);
    if (!before) return;
    if (this.readOnly) {
      this.upsert(before);
      return;
    }
    const after = { start_ms: view.startMs, end_ms: Math.max(view.endMs, view.startMs + 1) };
    if (after.start_ms === before.start_ms && after.end_ms === before.end_ms) return;
    this.regions.set(view.id, { ...before, ...after });
    this.emit("change", view.id, after, { start_ms: before.start_ms, end_ms: before.end_ms });
  }

  // A click selects the region; clicking the selected one again selects the next region under
  // the pointer, so overlapping regions all stay reachable.
  onClicked(view, event) {
    const region = this.regions.get(view.id);
    if (!region) return;
    if (this.selectedId === view.id && event) {
      const rect = event.currentTarget && event.currentTarget.getBoundingClientRect ? event.currentTarget.getBoundingClientRect() : null;
      const ms = rect && rect.width ? region.start_ms + ((event.clientX - rect.left) / rect.width) * (region.end_ms - region.start_ms) : region.start_ms;
      const under = this.at(ms);
      if (under.length > 1) {
        const next = under[(under.findIndex((item) => item.id === view.id) + 1) % under.length];
        this.select(next.id);
        return;
      }
    }
    this.select(view.id);
  }
}
