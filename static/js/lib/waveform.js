// The one module that knows wavesurfer.js: a waveform drawn from stored peaks (never from decoded
// audio), with timeline, minimap, hover time, wheel zoom, playback of a URL by range requests,
// lanes (the spectrogram) scrolling with it, and region layers. Times are milliseconds here.

import WaveSurfer from "wavesurfer";
import HoverPlugin from "wavesurfer/plugins/hover.esm.js";
import MinimapPlugin from "wavesurfer/plugins/minimap.esm.js";
import RegionsPlugin from "wavesurfer/plugins/regions.esm.js";
import ZoomPlugin from "wavesurfer/plugins/zoom.esm.js";

import { PeakCache } from "./peak_cache.js";

export const FINEST_MS_PER_PX = 2;
const TICK_STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000];
const LABEL_SPACING_PX = 90;
const WAVE_COLOR = "#2f6f9f";
const REGION_MIN_WIDTH = "4px"; // a 2 ms click stays visible and clickable at any zoom

// The page's CSP nonce, for the style element wavesurfer puts in its shadow root.
function cspNonce() {
  const script = document.querySelector("script[nonce]");
  return script ? script.nonce : undefined;
}

// 61500 -> "1:01.5", 2000 -> "2 s", 2 -> "0.002 s".
function timeLabel(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round((seconds - minutes * 60) * 1000) / 1000;
  const text = String(rest);
  return minutes ? `${minutes}:${rest < 10 ? "0" : ""}${text}` : `${text} s`;
}

class Emitter {
  constructor() {
    this.handlers = {};
  }
  on(event, handler) {
    (this.handlers[event] ||= new Set()).add(handler);
    return () => this.handlers[event].delete(handler);
  }
  emit(event, ...args) {
    for (const handler of this.handlers[event] || []) handler(...args);
  }
}

// createWaveform({container, minimapContainer, durationMs, overview, fetchPeaks, mediaUrl,
//   height}) -> Promise<Waveform>. overview: the peaks endpoint's answer for the whole file;
// fetchPeaks(startMs, endMs, points): the same for a window.
export async function createWaveform({ container, minimapContainer, durationMs, overview, fetchPeaks, mediaUrl, height = 128 }) {
  const waveform = new Waveform({ container, durationMs, fetchPeaks, height });
  waveform.peaks.add(overview);
  await waveform.start({ minimapContainer, overview, mediaUrl });
  return waveform;
}

export class Waveform extends Emitter {
  constructor({ container, durationMs, fetchPeaks, height }) {
    super();
    this.container = container;
    this.durationMs = durationMs;
    this.height = height;
    this.peaks = new PeakCache({ durationMs, fetchWindow: fetchPeaks });
    this.drawn = new Set(); // canvases painted from the peak cache, repainted as peaks arrive
    this.positionMs = 0;
  }

  async start({ minimapContainer, overview, mediaUrl }) {
    const nonce = cspNonce();
    const channels = [overview.max, overview.min.map((value) => -value)];
    this.ws = WaveSurfer.create({
      container: this.container,
      height: this.height,
      waveColor: WAVE_COLOR,
      progressColor: WAVE_COLOR, // hidden: the cursor shows the playhead (labeling.css)
      cursorColor: "#c2185b",
      cursorWidth: 2,
      url: mediaUrl,
      peaks: channels,
      duration: this.durationMs / 1000,
      interact: true,
      dragToSeek: false,
      autoScroll: true,
      autoCenter: false,
      cspNonce: nonce,
      renderFunction: (_channels, context) => this.paint(context.canvas),
      plugins: [
        HoverPlugin.create({ lineColor: "#1d2330", labelBackground: "#1d2330", labelColor: "#fff", formatTimeCallback: timeLabel }),
        ZoomPlugin.create({ scale: 0.25, maxZoom: 1000 / FINEST_MS_PER_PX }),
        ...(minimapContainer
          ? [MinimapPlugin.create({ container: minimapContainer, height: 36, waveColor: "#9fb3c8", progressColor: "#9fb3c8", cursorColor: "#c2185b", overlayColor: "rgba(0, 104, 163, 0.18)", cspNonce: nonce })]
          : []),
      ],
    });
    this.wrapper = this.ws.getWrapper();
    // The playhead is kept here while paused: a media element still loading can report a stale
    // time, and keys seek many times before it has.
    this.ws.on("timeupdate", (seconds) => {
      if (!this.ws.isPlaying()) return;
      this.positionMs = seconds * 1000;
      this.emit("timeupdate", this.positionMs);
    });
    this.ws.on("play", () => this.emit("play"));
    this.ws.on("pause", () => {
      this.positionMs = this.ws.getCurrentTime() * 1000;
      this.emit("timeupdate", this.positionMs);
      this.emit("pause");
    });
    this.ws.on("interaction", (seconds) => {
      this.positionMs = seconds * 1000;
      this.emit("timeupdate", this.positionMs);
    });
    this.ws.on("zoom", () => this.emit("zoom", this.msPerPx()));
    this.ws.on("redraw", () => this.refine());
    this.ws.on("scroll", () => {
      clearTimeout(this.scrollTimer);
      this.scrollTimer = setTimeout(() => this.refine(), 40);
      this.emit("scroll", this.visibleRange());
    });
    this.ws.on("error", (error) => this.emit("error", error));
    await new Promise((resolve) => {
      if (this.ws.getDuration()) resolve();
      this.ws.once("decode", resolve);
      this.ws.once("ready", resolve);
    });
    this.wrapper = this.ws.getWrapper();
    this.ruler = new TimeRuler(this);
    this.emit("scroll", this.visibleRange());
  }

  // ---- drawing from peaks

  // The time span one canvas of wavesurfer's virtualised strip shows.
  canvasSpan(canvas) {
    const total = this.wrapper ? this.wrapper.scrollWidth : this.ws.getWrapper().scrollWidth;
    const cssWidth = parseFloat(canvas.style.width) || canvas.width;
    const left = parseFloat(canvas.style.left) || 0;
    const msPerPx = this.durationMs / Math.max(1, total);
    return { startMs: left * msPerPx, endMs: (left + cssWidth) * msPerPx };
  }

  paint(canvas) {
    const context = canvas.getContext("2d");
    const { width, height } = canvas;
    const { startMs, endMs } = this.canvasSpan(canvas);
    const { min, max } = this.peaks.columns(startMs, endMs, width);
    context.clearRect(0, 0, width, height);
    context.fillStyle = WAVE_COLOR;
    const middle = height / 2;
    context.beginPath();
    for (let x = 0; x < width; x += 1) {
      const top = middle - max[x] * middle;
      const bottom = middle - min[x] * middle;
      context.rect(x, top, 1, Math.max(1, bottom - top));
    }
    context.fill();
    this.drawn.add(canvas);
  }

  // Repaints every canvas on screen from the peak cache (labeling.css hides wavesurfer's
  // progress copies and keeps the canvases unclipped, so these are all there is to update).
  repaint() {
    for (const canvas of this.drawn) {
      if (canvas.isConnected) this.paint(canvas);
      else this.drawn.delete(canvas);
    }
  }

  // Fetches finer peaks for what is on screen when the cache has none fine enough, then repaints;
  // emits "drawn" ({exact}) each time the visible part is painted.
  async refine() {
    const { startMs, endMs } = this.visibleRange();
    const msPerPx = this.msPerPx() / (window.devicePixelRatio || 1);
    if (this.peaks.isExact(startMs, endMs, msPerPx)) {
      this.emit("drawn", { exact: true });
      return;
    }
    this.emit("drawn", { exact: false });
    try {
      if (await this.peaks.ensure(startMs, endMs, msPerPx)) {
        this.repaint();
        this.emit("drawn", { exact: this.peaks.isExact(startMs, endMs, msPerPx) });
      }
    } catch (error) {
      this.emit("error", error);
    }
  }

  // ---- geometry and zoom

  totalWidth() {
    return this.wrapper.scrollWidth || this.container.clientWidth || 1;
  }

  msPerPx() {
    return this.durationMs / this.totalWidth();
  }

  fitMsPerPx() {
    return this.durationMs / Math.max(1, this.ws.getWidth());
  }

  visibleRange() {
    const msPerPx = this.msPerPx();
    const startMs = this.ws.getScroll() * msPerPx;
    return { startMs, endMs: Math.min(this.durationMs, startMs + this.ws.getWidth() * msPerPx) };
  }

  // Zooms to msPerPx (clamped between the whole file and 2 ms per pixel), keeping centerMs in the
  // middle of the view.
  zoomTo(msPerPx, centerMs) {
    const fit = this.fitMsPerPx();
    const target = Math.max(FINEST_MS_PER_PX, Math.min(fit, msPerPx));
    const range = this.visibleRange();
    const center = centerMs ?? (range.startMs + range.endMs) / 2;
    this.ws.zoom(target >= fit ? 0 : 1000 / target);
    this.centerOn(center);
  }

  centerOn(ms) {
    const halfView = (this.ws.getWidth() * this.msPerPx()) / 2;
    this.ws.setScroll(Math.max(0, (ms - halfView) / this.msPerPx()));
  }

  // Scrolls the least needed to show [startMs, endMs) (its start when it is wider than the view).
  reveal(startMs, endMs) {
    const { startMs: from, endMs: to } = this.visibleRange();
    if (startMs >= from && endMs <= to) return;
    this.centerOn(endMs - startMs > to - from ? startMs + (to - from) / 2 : (startMs + endMs) / 2);
  }

  // ---- playback

  currentMs() {
    return this.ws.isPlaying() ? this.ws.getCurrentTime() * 1000 : this.positionMs;
  }

  seek(ms) {
    this.positionMs = Math.max(0, Math.min(this.durationMs, ms));
    this.ws.setTime(this.positionMs / 1000);
    this.emit("timeupdate", this.positionMs);
  }

  isPlaying() {
    return this.ws.isPlaying();
  }

  playPause() {
    if (this.ws.isPlaying()) {
      this.ws.pause();
      return Promise.resolve();
    }
    return this.ws.play(this.positionMs / 1000).catch((error) => this.emit("error", error));
  }

  // Plays [startMs, endMs) and stops.
  playRange(startMs, endMs) {
    return this.ws.play(startMs / 1000, endMs / 1000).catch((error) => this.emit("error", error));
  }

  pause() {
    this.ws.pause();
  }

  // ---- lanes and regions

  // Puts `element` under the waveform inside the scrolling strip, full width, so it scrolls and
  // zooms with it and the regions and cursor cover it too. Style it from JS (shadow DOM).
  addLane(element) {
    const canvases = this.wrapper.querySelector(".canvases");
    element.style.position = "relative";
    canvases.after(element);
    return element;
  }

  // A new layer of regions: see RegionSurface.
  regionSurface() {
    return new RegionSurface(this.ws.registerPlugin(RegionsPlugin.create()));
  }

  destroy() {
    this.ws.destroy();
  }
}

// One wavesurfer regions plugin as plain objects in milliseconds. Events: "created" (a region
// drawn by dragging: {id, startMs, endMs}), "changing" and "changed" (moved or resized; {id,
// startMs, endMs}), "clicked" ({id}, event).
export class RegionSurface extends Emitter {
  constructor(plugin) {
    super();
    this.plugin = plugin;
    this.regions = new Map(); // id -> wavesurfer region
    this.stopDragCreate = null;
    plugin.on("region-created", (region) => {
      if (this.regions.has(region.id) || region.id === this.adding) return;
      this.regions.set(region.id, region);
      this.decorate(region, {});
      this.emit("created", this.view(region));
    });
    plugin.on("region-update", (region) => this.emit("changing", this.view(region)));
    plugin.on("region-updated", (region) => this.emit("changed", this.view(region)));
    plugin.on("region-clicked", (region, event) => {
      event.stopPropagation();
      this.emit("clicked", this.view(region), event);
    });
  }

  view(region) {
    return { id: region.id, startMs: Math.round(region.start * 1000), endMs: Math.round(region.end * 1000) };
  }

  // Marks a region's element (test id, tooltip, minimum width) and shows its selection and
  // stacking; arguments left undefined keep their last value.
  decorate(region, { title, testid, selected, raised }) {
    const state = (region.relay ||= { testid: "region", selected: false, raised: 0 });
    if (testid !== undefined) state.testid = testid;
    if (selected !== undefined) state.selected = selected;
    if (raised !== undefined) state.raised = raised;
    if (title !== undefined) state.title = title;
    const element = region.element;
    if (!element) return;
    element.style.minWidth = REGION_MIN_WIDTH;
    element.dataset.testid = state.testid;
    element.dataset.regionId = region.id;
    element.dataset.selected = String(state.selected);
    if (state.title) element.title = state.title;
    element.style.boxShadow = state.selected ? "inset 0 0 0 2px #111, 0 0 0 1px #fff" : "";
    element.style.zIndex = String(state.selected ? 10 : 1 + state.raised);
  }

  // add({id, startMs, endMs, color, editable, title, raised}); raised: a stacking boost (short
  // regions over long ones, so both stay clickable).
  add({ id, startMs, endMs, color, editable = true, title, testid, raised = 0 }) {
    this.adding = id; // addRegion emits "region-created" too: not a drawn one
    const region = this.plugin.addRegion({
      id,
      start: startMs / 1000,
      end: endMs / 1000,
      color,
      drag: editable,
      resize: editable,
    });
    this.adding = null;
    this.regions.set(id, region);
    this.decorate(region, { title, testid, raised });
    return this.view(region);
  }

  // Changes a region in place (never removes and re-adds it).
  update(id, { startMs, endMs, color, editable, title, selected, raised }) {
    const region = this.regions.get(id);
    if (!region) return;
    const options = {};
    if (startMs !== undefined) options.start = startMs / 1000;
    if (endMs !== undefined) options.end = endMs / 1000;
    if (color !== undefined) options.color = color;
    if (editable !== undefined) Object.assign(options, { drag: editable, resize: editable });
    if (Object.keys(options).length) region.setOptions(options);
    this.decorate(region, { title, selected, raised });
  }

  rename(oldId, newId) {
    const region = this.regions.get(oldId);
    if (!region) return;
    this.regions.delete(oldId);
    region.setOptions({ id: newId });
    this.regions.set(newId, region);
    if (region.element) region.element.dataset.regionId = newId;
  }

  remove(id) {
    const region = this.regions.get(id);
    if (!region) return;
    this.regions.delete(id);
    region.remove();
  }

  clear() {
    this.plugin.clearRegions();
    this.regions.clear();
  }

  // Dragging on empty waveform draws a region of this colour (null turns it off).
  dragCreate(color) {
    if (this.stopDragCreate) this.stopDragCreate();
    this.stopDragCreate = color ? this.plugin.enableDragSelection({ color }) : null;
  }
}

// The time axis under the waveform: one canvas the width of the view, redrawn on scroll and zoom
// with ticks at a step that suits the zoom (wavesurfer's timeline plugin lays out an element per
// tick across the whole file, which an hour at 2 ms per pixel makes far too many).
class TimeRuler {
  constructor(waveform) {
    this.waveform = waveform;
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("aria-hidden", "true");
    this.canvas.dataset.testid = "timeline";
    const lane = document.createElement("div");
    Object.assign(lane.style, { position: "relative", height: "20px" });
    Object.assign(this.canvas.style, { position: "absolute", top: "0", left: "0", height: "20px" });
    lane.append(this.canvas);
    waveform.wrapper.append(lane);
    const draw = () => requestAnimationFrame(() => this.draw());
    waveform.ws.on("scroll", draw);
    waveform.ws.on("redraw", draw);
    waveform.ws.on("zoom", draw);
    this.draw();
  }

  draw() {
    const { waveform, canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = waveform.ws.getWidth();
    const msPerPx = waveform.msPerPx();
    const { startMs, endMs } = waveform.visibleRange();
    canvas.style.left = `${startMs / msPerPx}px`;
    canvas.style.width = `${width}px`;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(20 * ratio);
    const context = canvas.getContext("2d");
    context.scale(ratio, ratio);
    context.fillStyle = "#545d6e";
    context.font = "11px system-ui, sans-serif";
    const step = TICK_STEPS_MS.find((value) => value / msPerPx >= LABEL_SPACING_PX) || TICK_STEPS_MS.at(-1);
    const minor = step / 5;
    for (let ms = Math.ceil(startMs / minor) * minor; ms <= endMs; ms += minor) {
      const x = Math.round((ms - startMs) / msPerPx) + 0.5;
      const major = Math.abs(ms / step - Math.round(ms / step)) < 1e-6;
      context.fillRect(x, 0, 1, major ? 8 : 4);
      if (major) context.fillText(timeLabel(ms / 1000), x + 3, 17);
    }
  }
}
