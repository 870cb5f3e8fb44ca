// A training job, live: the job is polled (GET /training-jobs/{id}, one row) every second while
// it is queued or running, and the progress bar, the epoch and the loss chart follow without a
// reload. Once it completes, the validation metrics and links to the model and its errors.

import { ApiError, api } from "../lib/api.js";
import { lineChart } from "../lib/charts.js";
import { h, replaceChildren, showState } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { formatTotalDuration, plural } from "../lib/format.js";
import { bestEpochText, metricsTable } from "../lib/metrics.js";
import { pageUrls } from "../lib/urls.js";

const POLL_MS = 1000;
const root = document.getElementById("job-root");
const jobId = root.dataset.jobId;
const statusBadge = document.getElementById("job-status");
const facts = document.getElementById("job-facts");
const progress = document.getElementById("job-progress");
const percent = document.getElementById("job-percent");
const epochText = document.getElementById("job-epoch");
const duration = document.getElementById("job-duration");
const errorText = document.getElementById("job-error");
const chart = document.getElementById("loss-chart");
const metricsBox = document.getElementById("job-metrics");
const cancelButton = document.getElementById("job-cancel");
const errorsLink = document.getElementById("job-errors");
const modelLink = document.getElementById("job-model");

const FINISHED = new Set(["completed", "failed", "cancelled"]);
let historyLength = -1;
let shownJob = null;

function render(job) {
  shownJob = job;
  statusBadge.textContent = job.status;
  statusBadge.className = `badge ${job.status}`;
  const types = job.config.artifact_types.join(", ");
  facts.textContent =
    `${plural(job.audio_file_count, "audio file")} · ${types} · ${job.config.epochs} epochs, ` +
    `validation ${Math.round(job.config.validation_split * 100)} %, learning rate ${job.config.learning_rate}, ` +
    `batch ${job.config.batch_size}`;
  progress.value = job.progress_percent;
  percent.textContent = `${job.progress_percent} %`;
  epochText.textContent =
    job.status === "queued" ? "Waiting for a worker…" : `Epoch ${job.current_epoch} of ${job.config.epochs}`;
  cancelButton.hidden = FINISHED.has(job.status);
  errorText.hidden = !job.error_message;
  errorText.textContent = job.error_message || "";
  drawChart(job);
  if (job.status === "completed") {
    epochText.textContent = `Epoch ${job.current_epoch} of ${job.config.epochs}, ${bestEpochText(job.metrics)}`;
    duration.textContent = ` · trained in ${formatTotalDuration((job.metrics.training_seconds || 0) * 1000)}`;
    replaceChildren(metricsBox, metricsTable(job.metrics));
    errorsLink.hidden = false;
    if (job.model_id) {
      modelLink.href = pageUrls.model(job.model_id);
      modelLink.hidden = false;
    }
  } else if (FINISHED.has(job.status)) {
    showState(metricsBox, "empty", { title: `Training ${job.status}`, text: "It made no model." });
  } else {
    showState(metricsBox, "loading", { text: "The metrics appear when training completes." });
  }
}

function drawChart(job) {
  const history = job.metrics.history || [];
  if (history.length === historyLength) return; // nothing new to draw
  historyLength = history.length;
  if (!history.length) {
    showState(chart, "loading", { text: "The chart starts after the first epoch." });
    return;
  }
  lineChart(chart, {
    title: `Train and validation loss over ${plural(history.length, "epoch")}`,
    xLabel: "Epoch",
    yLabel: "Loss",
    xMax: job.config.epochs,
    series: [
      { name: "Train loss", className: "train", points: history.map((entry) => [entry.epoch, entry.train_loss]) },
      {
        name: "Validation loss",
        className: "validation",
        points: history.map((entry) => [entry.epoch, entry.validation_loss]),
      },
    ],
  });
  chart.dataset.epochs = String(history.length);
}

async function poll() {
  let job;
  try {
    job = await api.get(`/training-jobs/${jobId}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      showState(metricsBox, "error", { title: "Job not found", text: error.message });
      return;
    }
    epochText.textContent = `${error.message} Retrying…`;
    setTimeout(poll, POLL_MS * 3);
    return;
  }
  render(job);
  if (!FINISHED.has(job.status)) setTimeout(poll, POLL_MS);
}

cancelButton.addEventListener("click", async () => {
  const confirmed = await confirmDialog({
    title: "Cancel training?",
    message: "The job stops within one batch and makes no model.",
    confirmLabel: "Cancel training",
    danger: true,
  });
  if (!confirmed) return;
  try {
    render(await api.post(`/training-jobs/${jobId}/cancel`));
    toast("Training cancelled.");
  } catch (error) {
    toastError(error);
  }
});

// The chart is drawn at the container's width: redraw it when the window changes size.
let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (!shownJob) return;
    historyLength = -1;
    drawChart(shownJob);
  }, 150);
});

showState(chart, "loading", { text: "Loading…" });
poll();
