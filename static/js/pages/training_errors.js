// The error review of a training job: its validation false positives and false negatives
// (GET /training-jobs/{id}/errors), one type at a time, filtered by kind, the most confident
// first. Each opens the labeling page at its time in the chosen set, with the model's layer on.

import { api, fetchAll } from "../lib/api.js";
import { dataTable, h, replaceChildren } from "../lib/dom.js";
import { formatDuration } from "../lib/format.js";
import { listView } from "../lib/listview.js";
import { ratio } from "../lib/metrics.js";
import { pageUrls } from "../lib/urls.js";

const root = document.getElementById("errors-root");
const { jobId, datasetId, setId, modelId } = root.dataset;
const setSelect = document.getElementById("errors-set");
const typeTabs = document.getElementById("errors-types");
const kindTabs = document.getElementById("errors-kinds");
const KINDS = [
  ["", "All"],
  ["false_positive", "False positives"],
  ["false_negative", "False negatives"],
];
// How much before an error the labeling page opens, so it is heard in context.
const LEAD_MS = 500;

function labelUrl(item) {
  const url = pageUrls.label(datasetId, setSelect.value || setId, {
    audioId: item.audio_file_id,
    timeMs: Math.max(0, item.start_ms - LEAD_MS),
  });
  return modelId ? `${url}&model=${modelId}` : url;
}

function counts(job, type) {
  const score = (job.metrics.per_type || {})[type] || {};
  const hits = score.true_positives || 0;
  return {
    false_positive: (score.n_detected || 0) - hits,
    false_negative: (score.n_reference || 0) - hits,
  };
}

function total(kindCounts) {
  return kindCounts.false_positive + kindCounts.false_negative;
}

function tabs(container, choices, current, onPick) {
  replaceChildren(
    container,
    choices.map(([value, text]) => {
      const button = h(
        "button",
        { type: "button", class: "small", "aria-pressed": String(value === current), dataset: { testid: `tab-${value || "all"}` } },
        text,
      );
      button.addEventListener("click", () => onPick(value));
      return button;
    }),
  );
}

function render(container, data) {
  const rows = data.items.map((item) =>
    h(
      "tr",
      { dataset: { testid: "error-row" } },
      h("td", { "data-label": "File" }, item.filename),
      h("td", { "data-label": "Time", class: "mono" }, `${formatDuration(item.start_ms)} – ${formatDuration(item.end_ms)}`),
      h("td", { "data-label": "Kind" }, h("span", { class: `kind ${item.kind}` }, item.kind === "false_positive" ? "False positive" : "False negative")),
      h("td", { "data-label": "Confidence", class: "num" }, ratio(item.confidence)),
      h(
        "td",
        { class: "row-actions" },
        h(
          "a",
          {
            class: "button small",
            href: labelUrl(item),
            dataset: { testid: "open-error" },
            "aria-label": `Open ${item.filename} at ${formatDuration(item.start_ms)} on the labeling page`,
          },
          "Open",
        ),
      ),
    ),
  );
  replaceChildren(
    container,
    dataTable(["File", "Time", "Kind", ["Confidence", { class: "num" }], ""], rows),
  );
}

async function start() {
  const [job, sets] = await Promise.all([
    api.get(`/training-jobs/${jobId}`),
    fetchAll(`/datasets/${datasetId}/annotation-sets`),
  ]);
  // Labels are fixed in a draft: the newest draft first, then the set the model learned from.
  const ordered = [...sets.filter((set) => set.status === "draft"), ...sets.filter((set) => set.id === setId)];
  replaceChildren(
    setSelect,
    ordered.map((set) =>
      h("option", { value: set.id }, `${set.name || "Unnamed set"} (${set.status === "draft" ? "draft" : "published, read-only"})`),
    ),
  );
  // The type with the most errors first: where the review starts.
  const types = [...job.config.artifact_types].sort((a, b) => total(counts(job, b)) - total(counts(job, a)));
  const view = listView({
    container: document.getElementById("errors-list"),
    pagerContainer: document.getElementById("errors-pager"),
    path: `/training-jobs/${jobId}/errors`,
    defaults: { artifact_type: types[0], kind: "", page: 1 },
    pageSize: 25,
    label: "Error pages",
    render,
    empty: (state) => ({
      title: job.status === "completed" ? "No errors of this kind" : "No errors yet",
      text:
        job.status === "completed"
          ? `The model made no ${state.kind ? state.kind.replace("_", " ") : "error"} on ${state.artifact_type} in its validation files.`
          : "Errors are listed when the training job completes.",
    }),
  });
  const drawTabs = () => {
    const typeCounts = counts(job, view.state.artifact_type);
    tabs(
      typeTabs,
      types.map((type) => {
        return [type, `${type} (${total(counts(job, type))})`];
      }),
      view.state.artifact_type,
      (type) => view.update({ artifact_type: type }).then(drawTabs),
    );
    tabs(
      kindTabs,
      KINDS.map(([kind, text]) => [kind, kind ? `${text} (${typeCounts[kind]})` : text]),
      view.state.kind,
      (kind) => view.update({ kind }).then(drawTabs),
    );
  };
  drawTabs();
  view.load();
}

start().catch((error) => {
  replaceChildren(document.getElementById("errors-list"), h("p", { class: "error", role: "alert" }, error.message));
});
