// One inference file's waveform with its detections drawn read-only, by the labeling page's
// component (lib/waveform.js and lib/region_layer.js): the stored peaks of the file (kept by the
// worker for uploads), its audio for playback, one colour per type. Part of inference_job.js.

import { api } from "../lib/api.js";
import { showState } from "../lib/dom.js";
import { RegionLayer } from "../lib/region_layer.js";
import { createWaveform } from "../lib/waveform.js";

// The inference page's type colours (training.css .bar.type-N), so bars and regions agree.
const COLORS = ["#0068a3", "#c75000", "#1b6e3a", "#7a3fa0", "#a3005c", "#5b6b00"];

let shown = null;

export async function showFileWaveform({ container, title, jobPath, file, types }) {
  if (shown) shown.destroy();
  shown = null;
  title.textContent = `${file.original_filename}: ${file.detections.length} detections`;
  showState(container, "loading", { text: "Loading the waveform…" });
  const filePath = `${jobPath}/files/${file.id}`;
  try {
    const [overview, download] = await Promise.all([
      api.get(`${filePath}/peaks`, { points: Math.max(1000, 2 * (container.clientWidth || 1000)) }),
      api.get(`${filePath}/download-url`),
    ]);
    container.replaceChildren();
    const waveform = await createWaveform({
      container,
      durationMs: file.duration_ms,
      overview,
      mediaUrl: download.url,
      fetchPeaks: (startMs, endMs, points) => api.get(`${filePath}/peaks`, { start_ms: startMs, end_ms: endMs, points }),
    });
    const layer = new RegionLayer(waveform, {
      types: types.map((name, index) => ({ name, color: COLORS[index % COLORS.length] })),
      readOnly: true,
      testid: "detection",
      describe: (region) => `${region.artifact_type}, confidence ${region.confidence.toFixed(2)}`,
    });
    layer.setRegions(file.detections.map((detection, index) => ({ id: `detection-${index}`, ...detection })));
    container.dataset.fileId = file.id;
    shown = waveform;
  } catch (error) {
    showState(container, "error", { title: "The waveform could not be drawn", text: error.message });
  }
}
