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
    this.surface = waveform.regionSurface();
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
    for (const id of this.regions.keys()) this.surface.update(id, { editable: !readOnly });
  }

  setActiveType(name) {
    if (!this.types.has(name)) return;
    this.activeType = name;
    this.setReadOnly(this.readOnly);
  }

  // Replaces every region (a file was opened).
  setRegions(list) {
    this.surface.clear();
    this.regions.clear();
    this.selectedId = null;
    for (const region of list) this.upsert(region);
  }

  // Adds a region or changes it in place.
  upsert(region) {
    const known = this.regions.get(region.id);
    const stored = { ...known, ...region };
    this.regions.set(region.id, stored);
    const look = { color: this.color(stored), title: this.describe(stored), raised: raisedFor(stored) };
    if (known) {
      this.surface.update(region.id, { startMs: stored.start_ms, endMs: stored.end_ms, ...look });
    } else {
      this.surface.add({ id: region.id, startMs: stored.start_ms, endMs: stored.end_ms, editable: !this.readOnly, testid: this.testid, ...look });
    }
    return stored;
  }

  // Keeps a region drawn by dragging, under `id`, as `region` ({artifact_type, …}).
  adopt(surfaceId, region) {
    this.surface.rename(surfaceId, region.id);
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
    if (this.selectedId === oldId) this.selectedId = newId;
  }

  remove(id) {
    this.regions.delete(id);
    this.surface.remove(id);
    if (this.selectedId === id) this.select(null);
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
    if (this.selectedId && this.regions.has(this.selectedId)) this.surface.update(this.selectedId, { selected: false });
    this.selectedId = id && this.regions.has(id) ? id : null;
    if (this.selectedId) this.surface.update(this.selectedId, { selected: true });
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
