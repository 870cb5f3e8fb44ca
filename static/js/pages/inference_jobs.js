// Inference jobs: create one from a model (with its post-processing config), and the list.

import { api, fetchAll } from "../lib/api.js";
import { dataTable, h, replaceChildren } from "../lib/dom.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { timeElement } from "../lib/format.js";
import { listView } from "../lib/listview.js";
import { pageUrls } from "../lib/urls.js";

const form = document.getElementById("job-form");
const modelSelect = document.getElementById("job-model");
const formError = document.getElementById("job-error");
let modelNames = {};

async function loadModels() {
  const models = await fetchAll("/models");
  modelNames = Object.fromEntries(models.map((model) => [model.id, model.name]));
  if (!models.length) {
    replaceChildren(modelSelect, h("option", { value: "" }, "No model yet"));
    formError.textContent = "Train a model from a dataset's page first.";
    formError.hidden = false;
    form.querySelector('button[type="submit"]').disabled = true;
    return;
  }
  replaceChildren(modelSelect, models.map((model) => h("option", { value: model.id }, model.name)));
  const wanted = new URLSearchParams(window.location.search).get("model");
  if (wanted && modelNames[wanted]) modelSelect.value = wanted;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  formError.hidden = true;
  const threshold = form.elements.threshold.value;
  const body = {
    model_id: modelSelect.value,
    config: {
      threshold: threshold === "" ? null : Number(threshold),
      merge_window_ms: Number(form.elements.merge_window_ms.value),
      min_duration_ms: Number(form.elements.min_duration_ms.value),
      signal_checks: form.elements.signal_checks.checked,
    },
  };
  try {
    const job = await api.post("/inference-jobs", body);
    window.location.assign(pageUrls.inferenceJob(job.id));
  } catch (error) {
    const unplaced = showErrors(form, error, { prefix: "job" });
    if (unplaced.length) {
      formError.textContent = unplaced.join(" ");
      formError.hidden = false;
    }
  }
});

function render(container, data) {
  const rows = data.items.map((job) =>
    h(
      "tr",
      { dataset: { testid: "inference-job-row" } },
      h("td", { "data-label": "Job" }, h("a", { class: "row-title", href: pageUrls.inferenceJob(job.id) }, modelNames[job.model_id] || "Deleted model")),
      h("td", { "data-label": "Status" }, h("span", { class: `badge ${job.status}` }, job.status)),
      h("td", { "data-label": "Files", class: "num" }, `${job.processed_files} / ${job.total_files}`),
      h("td", { "data-label": "Detections", class: "num" }, job.total_detections.toLocaleString()),
      h("td", { "data-label": "Created" }, timeElement(job.created_at)),
    ),
  );
  replaceChildren(
    container,
    dataTable(["Model", "Status", ["Files", { class: "num" }], ["Detections", { class: "num" }], "Created"], rows),
  );
}

const listing = listView({
  container: document.getElementById("job-list"),
  pagerContainer: document.getElementById("job-pager"),
  path: "/inference-jobs",
  defaults: { page: 1 },
  pageSize: 25,
  label: "Job pages",
  render,
  empty: () => ({ title: "No inference jobs yet", text: "Create one above, then add files to it." }),
});

loadModels()
  .catch((error) => {
    formError.textContent = error.message;
    formError.hidden = false;
  })
  .finally(() => listing.load());
