// One inference job, live: its status and per-file progress follow the API (the job and the
// visible page of files, polled every second while files run), then the top detections per type
// with a play button for each excerpt, the artifact rate per audio hour by metadata as a bar
// chart, and downloads of every detection.

import { ApiError, api, apiUrl, fetchPage } from "../lib/api.js";
import { barChart } from "../lib/charts.js";
import { dataTable, h, readJsonScript, replaceChildren, showState } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { formatDuration, plural } from "../lib/format.js";
import { ratio } from "../lib/metrics.js";
import { renderPager } from "../lib/pager.js";
import { setupInferenceUploads, wireUnrunButton } from "./inference_upload.js";
import { showFileWaveform } from "./inference_waveform.js";

const POLL_MS = 1000;
const FILES_PAGE_SIZE = 25;
const EXCERPT_MARGIN_S = 0.25; // heard around each detection
const config = readJsonScript("inference-config");
const jobPath = `/inference-jobs/${config.job_id}`;
const statusBadge = document.getElementById("job-status");
const facts = document.getElementById("job-facts");
const cancelButton = document.getElementById("job-cancel");
const fileList = document.getElementById("file-list");
const filePager = document.getElementById("file-pager");
const progress = document.getElementById("files-progress");
const progressText = document.getElementById("files-progress-text");
const topBox = document.getElementById("top-detections");
const summaryKey = document.getElementById("summary-key");
const summaryChart = document.getElementById("summary-chart");
const player = document.getElementById("player");
const FINISHED = new Set(["completed", "failed", "cancelled"]);

let filesPage = 1;
let polling = false;
let shownProcessed = -1;
let summary = null;
let types = [];

// --- status and files -----------------------------------------------------------------------

function renderJob(job) {
  types = job.artifact_types || types;
  statusBadge.textContent = job.status;
  statusBadge.className = `badge ${job.status}`;
  const threshold = job.config.threshold === null ? "the model's thresholds" : `threshold ${JSON.stringify(job.config.threshold)}`;
  facts.textContent =
    `${plural(job.total_files, "file")}, ${plural(job.total_detections, "detection")} · ${threshold}, ` +
    `merge ${job.config.merge_window_ms} ms, minimum ${job.config.min_duration_ms} ms, ` +
    `signal checks ${job.config.signal_checks === false ? "off" : "on"}`;
  progress.max = Math.max(1, job.total_files);
  progress.value = job.processed_files;
  progressText.textContent = job.total_files
    ? `${job.processed_files} of ${job.total_files} done${job.failed_files ? `, ${job.failed_files} failed` : ""}`
    : "No files yet";
  cancelButton.hidden = FINISHED.has(job.status) || job.total_files === 0;
}

function detectionSummary(file) {
  if (file.status !== "completed") return file.error || "";
  if (!file.detections.length) return "none";
  const counts = {};
  for (const detection of file.detections) counts[detection.artifact_type] = (counts[detection.artifact_type] || 0) + 1;
  return Object.entries(counts)
    .map(([type, count]) => `${count} ${type}`)
    .join(", ");
}

function renderFiles(data) {
  if (!data.items.length) {
    showState(fileList, "empty", { title: "No files yet", text: "Drop audio above, or add the dataset audio this model has not run on." });
    renderPager(filePager, data, { onPage: () => {} });
    return;
  }
  const rows = data.items.map((file) =>
    h(
      "tr",
      { dataset: { testid: "inference-file", status: file.status, filename: file.original_filename } },
      h("td", { "data-label": "File" }, file.original_filename),
      h("td", { "data-label": "Status" }, h("span", { class: `badge ${file.status}`, dataset: { testid: "file-status" } }, file.status)),
      h("td", { "data-label": "Duration", class: "num" }, formatDuration(file.duration_ms)),
      h("td", { "data-label": "Detections", dataset: { testid: "file-detections" } }, detectionSummary(file)),
      h("td", { "data-label": "Uncertainty", class: "num", title: "Unsure frames per minute (probability 0.3–0.7)" }, file.uncertainty === null ? "–" : file.uncertainty.toFixed(0)),
      h(
        "td",
        { class: "row-actions" },
        file.status === "completed" ? waveformButton(file) : null,
        file.status === "completed"
          ? playButton(file, file.detections[0] || null, `Play ${file.original_filename}`)
          : null,
      ),
    ),
  );
  replaceChildren(
    fileList,
    dataTable(["File", "Status", ["Duration", { class: "num" }], "Detections", ["Uncertainty", { class: "num" }], ""], rows),
  );
  renderPager(filePager, data, {
    label: "File pages",
    onPage: (page) => {
      filesPage = page;
      refresh();
    },
  });
}

async function refresh() {
  const [job, files] = await Promise.all([
    api.get(jobPath, { embed_files: false }),
    fetchPage(`${jobPath}/files`, { page: filesPage, pageSize: FILES_PAGE_SIZE }),
  ]);
  renderJob(job);
  renderFiles(files);
  if (job.processed_files !== shownProcessed) {
    shownProcessed = job.processed_files;
    await loadResults(job);
  }
  return job;
}

async function poll() {
  polling = true;
  let job = null;
  try {
    job = await refresh();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      showState(fileList, "error", { title: "Job not found", text: error.message });
      polling = false;
      return;
    }
    progressText.textContent = `${error.message} Retrying…`;
  }
  const busy = job && (job.status === "processing" || job.processed_files < job.total_files);
  if (busy || !job) setTimeout(poll, job ? POLL_MS : POLL_MS * 3);
  else polling = false;
}

function wake() {
  if (!polling) poll();
}

function waveformButton(file) {
  const button = h(
    "button",
    { type: "button", class: "small", "aria-label": `Waveform of ${file.original_filename} with its detections`, dataset: { testid: "show-waveform" } },
    "Waveform",
  );
  button.addEventListener("click", () => {
    const viewer = document.getElementById("viewer");
    viewer.hidden = false;
    showFileWaveform({
      container: document.getElementById("viewer-waveform"),
      title: document.getElementById("viewer-title"),
      jobPath,
      file,
      types,
    });
    viewer.scrollIntoView({ block: "nearest" });
  });
  return button;
}

// --- playing excerpts -----------------------------------------------------------------------

const urls = new Map(); // file id -> playable URL
let stopAt = null;

async function play(file, detection) {
  try {
    if (!urls.has(file.id)) {
      const link = await api.get(`${jobPath}/files/${file.id}/download-url`);
      urls.set(file.id, link.url);
    }
    const url = urls.get(file.id);
    if (player.src !== url) player.src = url;
    const start = detection ? Math.max(0, detection.start_ms / 1000 - EXCERPT_MARGIN_S) : 0;
    stopAt = detection ? detection.end_ms / 1000 + EXCERPT_MARGIN_S : null;
    player.currentTime = start;
    await player.play();
  } catch (error) {
    toastError(error instanceof ApiError ? error : new Error(`The audio cannot be played here: ${error.message}`));
  }
}

player.addEventListener("timeupdate", () => {
  if (stopAt !== null && player.currentTime >= stopAt) {
    player.pause();
    stopAt = null;
  }
});

function playButton(file, detection, label) {
  const button = h("button", { type: "button", class: "small", "aria-label": label, dataset: { testid: "play" } }, "▶");
  button.addEventListener("click", () => play(file, detection));
  return button;
}

// --- results: top detections, summary, downloads ---------------------------------------------

async function loadResults(job) {
  const [top, jobSummary] = await Promise.all([api.get(`${jobPath}/top-detections`, { per_type: 5 }), api.get(`${jobPath}/summary`)]);
  renderTop(top);
  summary = jobSummary;
  renderSummaryKeys();
  renderSummary();
  if (job.total_files && job.processed_files === job.total_files) topBox.dataset.ready = "true";
}

function renderTop(top) {
  const names = Object.keys(top.detections);
  if (!names.some((name) => top.detections[name].length)) {
    showState(topBox, "empty", { title: "No detections yet", text: "They appear here as files finish." });
    return;
  }
  replaceChildren(
    topBox,
    names.map((name) =>
      h(
        "div",
        { dataset: { testid: `top-${name}` } },
        h("h3", {}, name),
        top.detections[name].length
          ? h(
              "ol",
              {},
              top.detections[name].map((detection) =>
                h(
                  "li",
                  { dataset: { testid: "top-detection" } },
                  playButton(
                    detection.file,
                    detection,
                    `Play ${name} in ${detection.file.original_filename} at ${formatDuration(detection.start_ms)}`,
                  ),
                  `${detection.file.original_filename} · ${formatDuration(detection.start_ms)} · `,
                  h("strong", {}, ratio(detection.confidence)),
                ),
              ),
            )
          : h("p", { class: "muted" }, "None."),
      ),
    ),
  );
}

function renderSummaryKeys() {
  const keys = Object.keys(summary.by_metadata);
  const current = summaryKey.value;
  replaceChildren(
    summaryKey,
    h("option", { value: "" }, "All files"),
    keys.map((key) => h("option", { value: key }, key)),
  );
  if (keys.includes(current)) summaryKey.value = current;
  else if (keys.length && !current) summaryKey.value = keys[0];
}

function renderSummary() {
  if (!summary || !summary.completed_files) {
    showState(summaryChart, "empty", { title: "Nothing to summarise yet", text: "Rates appear as files complete." });
    return;
  }
  const key = summaryKey.value;
  const groups = key ? Object.entries(summary.by_metadata[key]) : [["all files", { per_type: summary.per_type }]];
  const bars = [];
  for (const [value, group] of groups) {
    types.forEach((type, index) => {
      const rate = group.per_type[type];
      bars.push({ label: `${value} · ${type}`, value: rate && rate.per_audio_hour ? rate.per_audio_hour : 0, className: `type-${index % 6}` });
    });
  }
  barChart(summaryChart, {
    bars,
    unit: " /h",
    title: key ? `Detections per audio hour by ${key} and type` : "Detections per audio hour by type",
  });
}

summaryKey.addEventListener("change", renderSummary);

function renderDownloads() {
  replaceChildren(
    document.getElementById("downloads"),
    config.formats.map((format) =>
      h("a", { class: "button", href: apiUrl(`${jobPath}/detections`, { format }), download: "", dataset: { testid: `download-${format}` } }, format),
    ),
  );
}

cancelButton.addEventListener("click", async () => {
  const confirmed = await confirmDialog({
    title: "Cancel this job?",
    message: "Files that have not finished stop; finished ones keep their detections.",
    confirmLabel: "Cancel job",
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api.post(`${jobPath}/cancel`);
    toast("Job cancelled.");
    wake();
  } catch (error) {
    toastError(error);
  }
});

setupInferenceUploads({
  jobId: config.job_id,
  dropzone: document.getElementById("dropzone"),
  input: document.getElementById("upload-input"),
  list: document.getElementById("uploads"),
  onChange: wake,
});
wireUnrunButton({
  button: document.getElementById("add-unrun"),
  jobId: config.job_id,
  datasetId: config.dataset_id,
  modelId: config.model_id,
  onChange: wake,
});
renderDownloads();
showState(fileList, "loading", { text: "Loading…" });
poll();
