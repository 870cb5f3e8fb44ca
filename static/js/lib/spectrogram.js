// Spectrogram tiles from the server (`…/spectrogram`), laid in a lane of the waveform's scrolling
// strip (Waveform.addLane), so they line up with the waveform and the regions at every zoom.
// Only the tiles on screen, plus one either side, are in the page; the browser caches the rest
// (the tiles are immutable).

import { apiUrl } from "./api.js";

const TILE_PX = 512;
const HEIGHT = 96;

export class SpectrogramLane {
  // path: the audio file's API path ("/datasets/…/audio/…"); onFirstTile(): once, when the first
  // tile has loaded.
  constructor(waveform, { path, onFirstTile }) {
    this.waveform = waveform;
    this.path = path;
    this.onFirstTile = onFirstTile;
    this.tiles = new Map(); // key -> img
    this.element = document.createElement("div");
    this.element.dataset.testid = "spectrogram";
    this.element.setAttribute("role", "img");
    this.element.setAttribute("aria-label", "Spectrogram: low frequencies at the bottom, loud in yellow");
    Object.assign(this.element.style, { height: `${HEIGHT}px`, overflow: "hidden", background: "#000004", pointerEvents: "none" });
    waveform.addLane(this.element);
    this.scheduled = false;
    const update = () => this.schedule();
    waveform.on("scroll", update);
    waveform.on("zoom", update);
    window.addEventListener("resize", update);
    this.update();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.update();
    });
  }

  update() {
    const total = this.waveform.totalWidth();
    const msPerPx = this.waveform.durationMs / total;
    const scroll = this.waveform.visibleRange().startMs / msPerPx;
    const view = this.waveform.ws.getWidth();
    const first = Math.max(0, Math.floor(scroll / TILE_PX) - 1);
    const last = Math.min(Math.ceil(total / TILE_PX) - 1, Math.floor((scroll + view) / TILE_PX) + 1);
    const wanted = new Set();
    for (let index = first; index <= last; index += 1) {
      const left = index * TILE_PX;
      const width = Math.min(TILE_PX, Math.floor(total - left));
      if (width < 1) continue;
      const startMs = Math.round(left * msPerPx);
      const endMs = Math.max(startMs + 1, Math.round((left + width) * msPerPx));
      const key = `${startMs}:${endMs}:${width}`;
      wanted.add(key);
      if (!this.tiles.has(key)) this.tiles.set(key, this.tile({ left, width, startMs, endMs }));
    }
    for (const [key, img] of this.tiles) {
      if (!wanted.has(key)) {
        img.remove();
        this.tiles.delete(key);
      }
    }
  }

  tile({ left, width, startMs, endMs }) {
    const img = new Image(width, HEIGHT);
    img.alt = "";
    img.decoding = "async";
    img.draggable = false;
    Object.assign(img.style, { position: "absolute", top: "0", left: `${left}px`, width: `${width}px`, height: `${HEIGHT}px` });
    img.addEventListener("load", () => {
      if (this.onFirstTile) {
        const callback = this.onFirstTile;
        this.onFirstTile = null;
        callback();
      }
    }, { once: true });
    img.src = apiUrl(`${this.path}/spectrogram`, { start_ms: startMs, end_ms: endMs, width, height: HEIGHT });
    this.element.append(img);
    return img;
  }
}
