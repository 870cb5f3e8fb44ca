// A training job's (and its model's) validation metrics as tables: per type precision, recall
// and F1 at the 200 ms collar and, for short types, the 50 ms one; false alarms per audio hour;
// the threshold chosen; then the macro averages.

import { dataTable, h } from "./dom.js";

const DASH = "–";

export function ratio(value) {
  return value === null || value === undefined ? DASH : value.toFixed(2);
}

export function rate(value) {
  return value === null || value === undefined ? DASH : value.toFixed(1);
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function cell(label, value, attributes = {}) {
  return h("td", { class: "num", "data-label": label, ...attributes }, value);
}

// "best epoch 12", or one per network of an ensemble: "best epochs 12 and 17".
export function bestEpochText(metrics) {
  const epochs = metrics.best_epochs || [metrics.best_epoch];
  if (epochs.length < 2) return `best epoch ${epochs[0]}`;
  if (new Set(epochs).size === 1) return `best epoch ${epochs[0]} for each network`;
  return `best epochs ${epochs.slice(0, -1).join(", ")} and ${epochs.at(-1)}`;
}

// metricsTable(metrics) → an element; a note when there are none (no validation files).
export function metricsTable(metrics) {
  const perType = (metrics && metrics.per_type) || {};
  const names = Object.keys(perType);
  if (!names.length) {
    return h("p", { class: "muted" }, "No validation metrics: the job held out no validation files.");
  }
  const collar = metrics.collar_ms || 200;
  const tightCollar = metrics.tight_collar_ms || 50;
  const rows = names.map((name) => {
    const score = perType[name];
    const tight = score.tight || {};
    return h(
      "tr",
      { dataset: { testid: `metrics-row-${name}` } },
      h("th", { scope: "row", "data-label": "Type" }, name),
      cell("Labels", String(score.n_reference)),
      cell("Detections", String(score.n_detected)),
      cell(`Precision ${collar} ms`, ratio(score.precision)),
      cell(`Recall ${collar} ms`, ratio(score.recall)),
      cell(`F1 ${collar} ms`, ratio(score.f1), { class: "num strong" }),
      cell(`Precision ${tightCollar} ms`, score.tight ? ratio(tight.precision) : DASH),
      cell(`Recall ${tightCollar} ms`, score.tight ? ratio(tight.recall) : DASH),
      cell(`F1 ${tightCollar} ms`, score.tight ? ratio(tight.f1) : DASH),
      cell("False alarms / h", rate(score.false_alarms_per_hour)),
      cell("Threshold", ratio(score.threshold)),
    );
  });
  const macro = metrics.macro || {};
  rows.push(
    h(
      "tr",
      { class: "macro", dataset: { testid: "metrics-row-macro" } },
      h("th", { scope: "row", "data-label": "Type" }, "Macro average"),
      cell("Labels", DASH),
      cell("Detections", DASH),
      cell(`Precision ${collar} ms`, ratio(macro.precision)),
      cell(`Recall ${collar} ms`, ratio(macro.recall)),
      cell(`F1 ${collar} ms`, ratio(macro.f1), { class: "num strong" }),
      cell(`Precision ${tightCollar} ms`, DASH),
      cell(`Recall ${tightCollar} ms`, DASH),
      cell(`F1 ${tightCollar} ms`, ratio(macro.tight_f1)),
      cell("False alarms / h", rate(macro.false_alarms_per_hour)),
      cell("Threshold", DASH),
    ),
  );
  const headers = [
    "Type",
    ["Labels", { class: "num" }],
    ["Detections", { class: "num" }],
    ["Precision", { class: "num", title: `${collar} ms onset collar` }],
    ["Recall", { class: "num", title: `${collar} ms onset collar` }],
    [`F1 (${collar} ms)`, { class: "num" }],
    ["Precision", { class: "num", title: `${tightCollar} ms collar, short types` }],
    ["Recall", { class: "num", title: `${tightCollar} ms collar, short types` }],
    [`F1 (${tightCollar} ms)`, { class: "num" }],
    ["False alarms / h", { class: "num" }],
    ["Threshold", { class: "num" }],
  ];
  return h(
    "div",
    {},
    dataTable(headers, rows),
    h(
      "p",
      { class: "muted" },
      `Event-based on ${metrics.files} validation files (${rate((metrics.audio_hours || 0) * 60)} min of audio): ` +
        `a detection counts when its onset is within ${collar} ms of a label's (${tightCollar} ms for short types). ` +
        (metrics.best_epochs?.length > 1 ? "Each file is scored by the networks that held it out. " : "") +
        `${capitalised(bestEpochText(metrics))}.`,
    ),
  );
}
