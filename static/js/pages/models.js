// The models list: name, dataset, types, macro F1, age; tick two to compare them.

import { fetchAll } from "../lib/api.js";
import { dataTable, h, replaceChildren } from "../lib/dom.js";
import { formatBytes, timeElement } from "../lib/format.js";
import { listView } from "../lib/listview.js";
import { ratio } from "../lib/metrics.js";
import { pageUrls } from "../lib/urls.js";

const compareButton = document.getElementById("compare");
const ticked = new Set();
let datasetNames = {};

function updateCompare() {
  compareButton.disabled = ticked.size !== 2;
  compareButton.textContent = ticked.size === 2 ? "Compare the two" : `Compare (tick ${2 - ticked.size} more)`;
}

function render(container, data) {
  const rows = data.items.map((model) => {
    const box = h("input", {
      type: "checkbox",
      checked: ticked.has(model.id),
      "aria-label": `Compare ${model.name}`,
      dataset: { testid: "compare-tick" },
    });
    box.addEventListener("change", () => {
      if (box.checked) ticked.add(model.id);
      else ticked.delete(model.id);
      if (ticked.size > 2) {
        ticked.delete(ticked.values().next().value);
        listing.load({ quiet: true });
      }
      updateCompare();
    });
    const macro = (model.metrics && model.metrics.macro) || {};
    return h(
      "tr",
      { dataset: { testid: "model-row" } },
      h("td", {}, box),
      h("td", { "data-label": "Name" }, h("a", { class: "row-title", href: pageUrls.model(model.id) }, model.name)),
      h(
        "td",
        { "data-label": "Dataset" },
        datasetNames[model.dataset_id]
          ? h("a", { href: pageUrls.dataset(model.dataset_id) }, datasetNames[model.dataset_id])
          : "(deleted)",
      ),
      h("td", { "data-label": "Types" }, model.artifact_types.join(", ")),
      h("td", { "data-label": "Macro F1", class: "num" }, ratio(macro.f1)),
      h("td", { "data-label": "Size", class: "num" }, formatBytes(model.file_size)),
      h("td", { "data-label": "Made" }, timeElement(model.created_at)),
    );
  });
  replaceChildren(
    container,
    dataTable(
      [
        h("span", { class: "visually-hidden" }, "Compare"),
        "Name",
        "Dataset",
        "Types",
        ["Macro F1", { class: "num" }],
        ["Size", { class: "num" }],
        "Made",
      ],
      rows,
    ),
  );
}

const listing = listView({
  container: document.getElementById("model-list"),
  pagerContainer: document.getElementById("model-pager"),
  path: "/models",
  defaults: { page: 1 },
  pageSize: 25,
  label: "Model pages",
  render,
  empty: () => ({
    title: "No models yet",
    text: "Publish an annotation set on a dataset's page, then train a model from there.",
    actions: [h("a", { class: "button primary", href: pageUrls.datasets() }, "Go to datasets")],
  }),
});

compareButton.addEventListener("click", () => {
  const [first, second] = [...ticked];
  window.location.assign(pageUrls.compareModels(first, second));
});

fetchAll("/datasets")
  .then((datasets) => {
    datasetNames = Object.fromEntries(datasets.map((dataset) => [dataset.id, dataset.name]));
  })
  .catch(() => {})
  .finally(() => {
    updateCompare();
    listing.load();
  });
