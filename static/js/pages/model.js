// One model: its facts and validation metrics; rename, delete, run inference, compare.

import { api, fetchAll } from "../lib/api.js";
import { h, replaceChildren, showState } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { formatBytes, formatDateTime } from "../lib/format.js";
import { metricsTable } from "../lib/metrics.js";
import { pageUrls } from "../lib/urls.js";

const modelId = document.getElementById("model-root").dataset.modelId;
const nameHeading = document.getElementById("model-name");
const facts = document.getElementById("model-facts");
const metricsBox = document.getElementById("model-metrics");
const renameForm = document.getElementById("rename-form");
const compareWith = document.getElementById("compare-with");
let model = null;

function render() {
  nameHeading.textContent = model.name;
  document.title = `${model.name} · Relay`;
  facts.replaceChildren(
    `${model.artifact_types.join(", ")} · made ${formatDateTime(model.created_at)} · ${formatBytes(model.file_size)} · `,
    model.training_job_id ? h("a", { href: pageUrls.trainingJob(model.training_job_id) }, "training job") : "training job deleted",
    model.training_job_id ? " · " : "",
    model.training_job_id ? h("a", { href: pageUrls.trainingErrors(model.training_job_id) }, "error review") : "",
  );
  replaceChildren(metricsBox, metricsTable({ ...model.metrics }));
}

async function load() {
  try {
    model = await api.get(`/models/${modelId}`);
  } catch (error) {
    showState(metricsBox, "error", { title: "This model could not be loaded", text: error.message });
    return;
  }
  render();
  const others = (await fetchAll("/models")).filter((other) => other.id !== modelId);
  compareWith.append(...others.map((other) => h("option", { value: other.id }, other.name)));
}

document.getElementById("model-rename").addEventListener("click", () => {
  renameForm.hidden = false;
  renameForm.elements.name.value = model.name;
  renameForm.elements.name.focus();
});
document.getElementById("rename-cancel").addEventListener("click", () => {
  renameForm.hidden = true;
});
renameForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(renameForm);
  try {
    model = await api.patch(`/models/${modelId}`, { name: renameForm.elements.name.value });
    renameForm.hidden = true;
    render();
    toast("Model renamed.");
  } catch (error) {
    const unplaced = showErrors(renameForm, error, { prefix: "rename" });
    if (unplaced.length) toastError(new Error(unplaced.join(" ")));
  }
});

document.getElementById("model-delete").addEventListener("click", async () => {
  const confirmed = await confirmDialog({
    title: `Delete ${model.name}?`,
    message: "Its file is removed; inference jobs that used it keep their detections.",
    confirmLabel: "Delete model",
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api.delete(`/models/${modelId}`);
    window.location.assign(pageUrls.models());
  } catch (error) {
    toastError(error);
  }
});

document.getElementById("model-run").addEventListener("click", async () => {
  try {
    const job = await api.post("/inference-jobs", { model_id: modelId });
    window.location.assign(pageUrls.inferenceJob(job.id));
  } catch (error) {
    toastError(error);
  }
});

compareWith.addEventListener("change", () => {
  if (compareWith.value) window.location.assign(pageUrls.compareModels(modelId, compareWith.value));
});

showState(metricsBox, "loading", { text: "Loading…" });
load();
