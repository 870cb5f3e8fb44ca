// Two models' validation metrics side by side, type by type, the better value marked.

import { api, fetchAll } from "../lib/api.js";
import { dataTable, h, replaceChildren, showState } from "../lib/dom.js";
import { rate, ratio } from "../lib/metrics.js";

const first = document.getElementById("compare-a");
const second = document.getElementById("compare-b");
const table = document.getElementById("compare-table");
// [label, read(metrics of one type), higher is better]
const MEASURES = [
  ["F1", (score) => score.f1, true],
  ["Precision", (score) => score.precision, true],
  ["Recall", (score) => score.recall, true],
  ["F1, 50 ms", (score) => (score.tight ? score.tight.f1 : null), true],
  ["False alarms / h", (score) => score.false_alarms_per_hour, false],
  ["Threshold", (score) => score.threshold, null],
];

function mark(value, other, higherIsBetter) {
  if (higherIsBetter === null || value === null || other === null || value === undefined || other === undefined || value === other) {
    return undefined;
  }
  return (value > other) === higherIsBetter ? "better" : "worse";
}

function valueCell(label, value, other, higherIsBetter, format) {
  return h("td", { class: `num ${mark(value, other, higherIsBetter) || ""}`, "data-label": label }, format(value));
}

function draw(a, b) {
  const types = [...new Set([...Object.keys(a.metrics.per_type || {}), ...Object.keys(b.metrics.per_type || {})])];
  const rows = [];
  for (const type of [...types, "macro"]) {
    const scoreA = type === "macro" ? a.metrics.macro || {} : (a.metrics.per_type || {})[type] || {};
    const scoreB = type === "macro" ? b.metrics.macro || {} : (b.metrics.per_type || {})[type] || {};
    for (const [label, read, higherIsBetter] of MEASURES) {
      const valueA = type === "macro" && label === "F1, 50 ms" ? scoreA.tight_f1 : read(scoreA);
      const valueB = type === "macro" && label === "F1, 50 ms" ? scoreB.tight_f1 : read(scoreB);
      if (type === "macro" && label === "Threshold") continue;
      const format = label.startsWith("False") ? rate : ratio;
      rows.push(
        h(
          "tr",
          { class: type === "macro" ? "macro" : undefined, dataset: { testid: `compare-${type}-${label}` } },
          h("th", { scope: "row", "data-label": "Type" }, type === "macro" ? "Macro average" : type),
          h("td", { "data-label": "Measure" }, label),
          valueCell(a.name, valueA, valueB, higherIsBetter, format),
          valueCell(b.name, valueB, valueA, higherIsBetter, format),
        ),
      );
    }
  }
  replaceChildren(table, dataTable(["Type", "Measure", [a.name, { class: "num" }], [b.name, { class: "num" }]], rows));
}

async function compare() {
  const params = new URLSearchParams(window.location.search);
  params.set("a", first.value);
  params.set("b", second.value);
  window.history.replaceState(null, "", `?${params}`);
  if (!first.value || !second.value) {
    showState(table, "empty", { title: "Choose two models", text: "Pick a model in each list." });
    return;
  }
  showState(table, "loading", { text: "Loading…" });
  try {
    const [a, b] = await Promise.all([api.get(`/models/${first.value}`), api.get(`/models/${second.value}`)]);
    draw(a, b);
  } catch (error) {
    showState(table, "error", { title: "The models could not be loaded", text: error.message });
  }
}

async function start() {
  const models = await fetchAll("/models");
  if (models.length < 2) {
    showState(table, "empty", { title: "Two models are needed", text: "Train another model to compare it with this one." });
  }
  const options = () => [h("option", { value: "" }, "Choose a model…"), ...models.map((model) => h("option", { value: model.id }, model.name))];
  replaceChildren(first, options());
  replaceChildren(second, options());
  const params = new URLSearchParams(window.location.search);
  first.value = params.get("a") || "";
  second.value = params.get("b") || "";
  first.addEventListener("change", compare);
  second.addEventListener("change", compare);
  if (models.length >= 2) compare();
}

start().catch((error) => showState(table, "error", { title: "Models could not be loaded", text: error.message }));
