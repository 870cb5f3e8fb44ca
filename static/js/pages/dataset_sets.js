// The dataset page's annotation sets: create, open for labeling, publish (after confirming),
// copy, delete a draft, export in every format and import (dataset_import.js). Part of dataset.js.

import { api, apiUrl } from "../lib/api.js";
import { dataTable, h, replaceChildren } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { plural, timeElement } from "../lib/format.js";
import { listView } from "../lib/listview.js";
import { pageUrls } from "../lib/urls.js";
import { openImportDialog } from "./dataset_import.js";

export const EXPORT_FORMATS = [
  ["json", "JSON"],
  ["csv", "CSV"],
  ["dcase", "DCASE TSV"],
  ["audacity", "Audacity labels (zip)"],
  ["raven", "Raven selection table"],
];

// setupSets({datasetId, container, pagerContainer, newButton, typeColors, onChange})
//   -> {firstDraftId()}; typeColors: {type name: "#RRGGBB"}
export function setupSets({ datasetId, container, pagerContainer, newButton, typeColors, onChange }) {
  const setsPath = `/datasets/${datasetId}/annotation-sets`;
  let shown = [];

  const list = listView({
    container,
    pagerContainer,
    path: setsPath,
    defaults: { page: 1 },
    pageSize: 20,
    label: "Annotation set pages",
    urlState: false,
    render,
    empty: () => ({
      title: "No annotation sets yet",
      text: "Create a set to start labeling this dataset's audio.",
      actions: [newSetButton("Create the first set")],
    }),
    onLoad: (data) => {
      shown = data.items;
      onChange();
    },
  });

  function newSetButton(text) {
    const button = h("button", { type: "button", class: "primary" }, text);
    button.addEventListener("click", createSet);
    return button;
  }

  async function createSet() {
    try {
      const created = await api.post(setsPath, {});
      toast(`Created “${created.name}”.`);
      await list.load({ quiet: true });
      const link = container.querySelector(`[data-set-id="${created.id}"] a`);
      if (link) link.focus();
    } catch (error) {
      toastError(error);
    }
  }

  async function publish(set) {
    const confirmed = await confirmDialog({
      title: `Publish “${set.name}”?`,
      message:
        `Its ${plural(set.annotation_count, "annotation")} become final: a published set can be ` +
        "trained on and exported, but never changed. To revise it later, copy it.",
      confirmLabel: "Publish",
    });
    if (!confirmed) return;
    await act(() => api.post(`${setsPath}/${set.id}/publish`), `Published “${set.name}”; it is read-only now.`);
  }

  async function copy(set) {
    await act(() => api.post(`${setsPath}/${set.id}/copy`), `Copied “${set.name}” to a new draft.`);
  }

  async function remove(set) {
    const confirmed = await confirmDialog({
      title: `Delete “${set.name}”?`,
      message: `Its ${plural(set.annotation_count, "annotation")} are deleted. This cannot be undone.`,
      confirmLabel: "Delete set",
      danger: true,
    });
    if (!confirmed) return;
    await act(() => api.delete(`${setsPath}/${set.id}`), `Deleted “${set.name}”.`);
  }

  async function act(call, message) {
    try {
      await call();
      toast(message);
    } catch (error) {
      toastError(error);
    }
    await list.load({ quiet: true });
  }

  function button(text, label, handler, testid) {
    const element = h("button", { type: "button", class: "small", "aria-label": label, dataset: { testid } }, text);
    element.addEventListener("click", handler);
    return element;
  }

  function exportMenu(set) {
    return h(
      "details",
      { class: "menu", dataset: { testid: "export-menu" } },
      h("summary", { class: "button small", "aria-label": `Export ${set.name}` }, "Export ▾"),
      h(
        "ul",
        {},
        EXPORT_FORMATS.map(([format, text]) =>
          h(
            "li",
            {},
            h("a", { href: apiUrl(`${setsPath}/${set.id}/export`, { format }), download: "", dataset: { format } }, text),
          ),
        ),
      ),
    );
  }

  function render(target, data) {
    const rows = data.items.map((set) => {
      const isDraft = set.status === "draft";
      const counts = Object.entries(set.counts_by_type || {}).filter(([, count]) => count > 0);
      return h(
        "tr",
        { dataset: { testid: "set-row", setId: set.id, status: set.status } },
        h(
          "td",
          {},
          h("a", { class: "row-title", href: pageUrls.label(datasetId, set.id) }, set.name),
          set.description ? h("div", { class: "muted" }, set.description) : null,
        ),
        h(
          "td",
          { "data-label": "Status" },
          h("span", { class: `badge ${set.status}`, dataset: { testid: "set-status" } }, set.status),
          isDraft ? null : h("div", { class: "muted" }, "read-only"),
        ),
        h(
          "td",
          { "data-label": "Annotations" },
          h("div", {}, plural(set.annotation_count, "annotation")),
          h("div", {}, counts.map(([type, count]) =>
            h("span", { class: "chip", style: { "--chip-color": typeColors[type] } }, `${type} ${count}`),
          )),
        ),
        h(
          "td",
          { class: "nowrap", "data-label": isDraft ? "Changed" : "Published" },
          timeElement(isDraft ? set.updated_at : set.published_at),
        ),
        h(
          "td",
          {},
          h(
            "div",
            { class: "row-actions" },
            h(
              "a",
              { class: "button small primary", href: pageUrls.label(datasetId, set.id), "aria-label": `${isDraft ? "Label" : "View"} ${set.name}` },
              isDraft ? "Label" : "View",
            ),
            isDraft ? button("Publish…", `Publish ${set.name}`, () => publish(set), "publish-set") : null,
            isDraft
              ? null
              : h(
                  "a",
                  { class: "button small", href: `${pageUrls.train(datasetId)}?set=${set.id}`, "aria-label": `Train a model on ${set.name}`, dataset: { testid: "train-from-set" } },
                  "Train…",
                ),
            button("Copy", `Copy ${set.name}`, () => copy(set), "copy-set"),
            exportMenu(set),
            isDraft
              ? button("Import…", `Import labels into ${set.name}`, () =>
                  openImportDialog({ datasetId, set, onImported: () => list.load({ quiet: true }) }), "import-set")
              : null,
            isDraft ? button("Delete…", `Delete ${set.name}`, () => remove(set), "delete-set") : null,
          ),
        ),
      );
    });
    replaceChildren(
      target,
      dataTable(["Name", "Status", "Annotations", "Changed", ""], rows, { scroll: false }),
    );
  }

  // An open export menu closes on a click elsewhere, on Escape, and once a format is chosen.
  document.addEventListener("click", (event) => {
    for (const menu of container.querySelectorAll("details.menu[open]")) {
      if (!menu.contains(event.target) || event.target.closest("a")) menu.open = false;
    }
  });
  container.addEventListener("keydown", (event) => {
    const menu = event.target.closest("details.menu[open]");
    if (event.key === "Escape" && menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  newButton.addEventListener("click", createSet);
  list.load();
  return {
    firstDraftId: () => (shown.find((set) => set.status === "draft") || {}).id || null,
  };
}
