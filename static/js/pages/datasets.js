// The datasets list (the dashboard): search as you type, pages, and what to do when it is empty.

import { dataTable, debounce, h, replaceChildren } from "../lib/dom.js";
import { formatTotalDuration, plural, timeElement } from "../lib/format.js";
import { listView } from "../lib/listview.js";
import { slashFocuses } from "../lib/shortcuts.js";
import { pageUrls } from "../lib/urls.js";

const root = document.querySelector("[data-datasets]");
const newDatasetUrl = root.dataset.newUrl;
const search = document.getElementById("dataset-search");

const list = listView({
  container: document.getElementById("dataset-list"),
  pagerContainer: document.getElementById("dataset-pager"),
  path: "/datasets",
  defaults: { search: "", page: 1 },
  pageSize: 25,
  label: "Dataset list pages",
  render: renderDatasets,
  empty: (state) =>
    state.search
      ? { title: `No dataset matches “${state.search}”`, text: "Try another word, or clear the search." }
      : {
          title: "No datasets yet",
          text:
            "A dataset holds audio and the artifact types you label in it (clicks, dropouts, " +
            "long pauses…). Create one, then drop audio files on its page. For a ready-made " +
            "example, run “python manage.py bootstrap_demo --with-data” on the server.",
          actions: [h("a", { class: "button primary", href: newDatasetUrl }, "Create a dataset")],
        },
});

function renderDatasets(container, data) {
  const rows = data.items.map((dataset) =>
    h(
      "tr",
      { dataset: { testid: "dataset-row" } },
      h(
        "td",
        {},
        h("a", { class: "row-title", href: pageUrls.dataset(dataset.id) }, dataset.name),
        dataset.description ? h("div", { class: "muted" }, dataset.description) : null,
      ),
      h(
        "td",
        { "data-label": "Artifact types" },
        dataset.artifact_types.map((type) =>
          h("span", { class: "chip", style: { "--chip-color": type.color } }, type.name),
        ),
      ),
      h("td", { class: "num", "data-label": "Audio" }, plural(dataset.audio_count, "file")),
      h("td", { class: "num", "data-label": "Duration" }, formatTotalDuration(dataset.total_duration_ms)),
      h("td", { class: "nowrap", "data-label": "Created" }, timeElement(dataset.created_at)),
    ),
  );
  replaceChildren(
    container,
    dataTable(
      ["Name", "Artifact types", ["Audio", { class: "num" }], ["Duration", { class: "num" }], "Created"],
      rows,
    ),
  );
}

search.value = list.state.search;
slashFocuses(search);
search.addEventListener(
  "input",
  debounce(() => list.update({ search: search.value.trim() }), 250),
);
search.form.addEventListener("submit", (event) => {
  event.preventDefault();
  list.update({ search: search.value.trim() });
});
list.load();
