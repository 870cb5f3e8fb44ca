// Waveform peaks at several resolutions for one file: the overview fetched once, finer windows
// fetched as the view zooms in (down to the stored 2 ms), so no audio is ever decoded to draw.
// `columns` answers from the best window already here at once; `ensure` fetches a better one.

const FINEST_MS = 2; // the finest stored level: 32 samples at 16 kHz
const MAX_POINTS = 20000; // the peaks endpoint's limit
const MARGIN = 0.5; // fetch half a window more on either side, so small pans need nothing new

function asWindow(data) {
  const msPerPeak = (data.samples_per_peak * 1000) / data.sample_rate;
  return {
    startMs: data.start_ms,
    endMs: data.end_ms,
    msPerPeak,
    min: Float32Array.from(data.min),
    max: Float32Array.from(data.max),
  };
}

export class PeakCache {
  // fetchWindow(startMs, endMs, points) -> the peaks endpoint's JSON
  constructor({ durationMs, fetchWindow }) {
    this.durationMs = durationMs;
    this.fetchWindow = fetchWindow;
    this.windows = []; // coarse to fine
    this.pending = new Map(); // key -> promise
  }

  add(data) {
    this.added = (this.added || 0) + 1;
    this.windows.push({ ...asWindow(data), seq: this.added });
    this.windows.sort((a, b) => b.msPerPeak - a.msPerPeak);
  }

  // The window to draw [startMs, endMs) at msPerColumn from: the coarsest one that covers it and
  // is fine enough, else the finest one that covers it.
  best(startMs, endMs, msPerColumn) {
    const end = Math.min(endMs, this.durationMs);
    const covering = this.windows.filter((w) => w.startMs <= startMs && w.endMs >= end);
    const fine = covering.filter((w) => w.msPerPeak <= Math.max(msPerColumn, FINEST_MS));
    return fine[0] || covering[covering.length - 1] || this.windows[0] || null;
  }

  isExact(startMs, endMs, msPerColumn) {
    const window = this.best(startMs, endMs, msPerColumn);
    return Boolean(window && window.msPerPeak <= Math.max(msPerColumn, FINEST_MS) &&
      window.startMs <= startMs && window.endMs >= Math.min(endMs, this.durationMs));
  }

  // {min, max}: Float32Arrays of `count` columns over [startMs, endMs) (zero past the end).
  columns(startMs, endMs, count) {
    const min = new Float32Array(count);
    const max = new Float32Array(count);
    const msPerColumn = (endMs - startMs) / count;
    const window = this.best(startMs, endMs, msPerColumn);
    if (!window) return { min, max };
    const last = window.min.length - 1;
    for (let column = 0; column < count; column += 1) {
      const a = startMs + column * msPerColumn;
      if (a >= this.durationMs) break;
      let first = Math.floor((a - window.startMs) / window.msPerPeak);
      let stop = Math.ceil((a + msPerColumn - window.startMs) / window.msPerPeak);
      first = Math.max(0, Math.min(last, first));
      stop = Math.max(first + 1, Math.min(last + 1, stop));
      let low = window.min[first];
      let high = window.max[first];
      for (let i = first + 1; i < stop; i += 1) {
        if (window.min[i] < low) low = window.min[i];
        if (window.max[i] > high) high = window.max[i];
      }
      min[column] = low;
      max[column] = high;
    }
    return { min, max };
  }

  // Fetches peaks good enough for [startMs, endMs) at msPerColumn, with a margin; resolves true
  // when something new arrived.
  async ensure(startMs, endMs, msPerColumn) {
    if (this.isExact(startMs, endMs, msPerColumn)) return false;
    const span = endMs - startMs;
    const from = Math.max(0, Math.floor(startMs - span * MARGIN));
    const to = Math.min(this.durationMs, Math.ceil(endMs + span * MARGIN));
    const points = Math.min(MAX_POINTS, Math.max(1, Math.ceil((to - from) / Math.max(msPerColumn, FINEST_MS))));
    const key = `${from}:${to}:${points}`;
    if (!this.pending.has(key)) {
      const request = this.fetchWindow(from, to, points)
        .then((data) => {
          this.add(data);
          this.trim();
          return true;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return this.pending.get(key);
  }

  // Keeps the overview and the latest fine windows, so memory stays small on long sessions.
  trim(keep = 12) {
    if (this.windows.length <= keep) return;
    const overview = this.windows.reduce((a, b) => (a.seq < b.seq ? a : b));
    const newest = this.windows.filter((w) => w !== overview).sort((a, b) => b.seq - a.seq);
    this.windows = [overview, ...newest.slice(0, keep - 1)].sort((a, b) => b.msPerPeak - a.msPerPeak);
  }
}
