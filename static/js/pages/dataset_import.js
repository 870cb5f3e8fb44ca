// Importing labels into a draft set: the file is checked first (a dry run that lists every bad
// row), and only a clean file can then be imported, all rows or none. Part of dataset.js.

import { ApiError, api } from "../lib/api.js";
import { h, replaceChildren } from "../lib/dom.js";
import { toast } from "../lib/feedback.js";
import { plural } from "../lib/format.js";

const MAX_ERRORS_SHOWN = 200;
const FORMATS = [
  ["csv", "CSV (filename, artifact_type, start_ms, end_ms…)"],
  ["json", "JSON (as Relay exports it)"],
  ["dcase", "DCASE TSV (filename, onset, offset, event_label)"],
  ["audacity", "Audacity label track (.txt) or a zip of them"],
  ["raven", "Raven selection table"],
];

function guessFormat(filename) {
  const name = filename.toLowerCase();
  if (name.endsWith(".selections.txt")) return "raven";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".tsv")) return "dcase";
  if (name.endsWith(".zip") || name.endsWith(".txt")) return "audacity";
  return null;
}

// openImportDialog({datasetId, set, onImported})
export function openImportDialog({ datasetId, set, onImported }) {
  const importPath = `/datasets/${datasetId}/annotation-sets/${set.id}/import`;
  const fileInput = h("input", { type: "file", id: "import-file", required: true, dataset: { testid: "import-file" } });
  const formatSelect = h(
    "select",
    { id: "import-format", dataset: { testid: "import-format" } },
    FORMATS.map(([value, text]) => h("option", { value }, text)),
  );
  const result = h("div", { class: "import-result", "aria-live": "polite", dataset: { testid: "import-result" } });
  const check = h("button", { type: "submit", class: "primary", dataset: { testid: "import-check" } }, "Check file");
  const apply = h("button", { type: "button", class: "primary", hidden: true, dataset: { testid: "import-apply" } }, "Import");
  const close = h("button", { type: "button" }, "Close");
  const form = h(
    "form",
    {},
    h("h2", { id: "import-title" }, `Import labels into “${set.name}”`),
    h(
      "p",
      { class: "muted" },
      "Rows are matched to this dataset's audio by file name (or audio_file_id). The file is " +
        "checked first; nothing is written unless every row is valid.",
    ),
    h("div", { class: "field" }, h("label", { for: "import-file" }, "File"), fileInput),
    h("div", { class: "field" }, h("label", { for: "import-format" }, "Format"), formatSelect),
    result,
    h("div", { class: "form-actions" }, check, apply, close),
  );
  const dialog = h("dialog", { class: "wide", "aria-labelledby": "import-title", dataset: { testid: "import-dialog" } }, form);
  let checkedFile = null;

  function reset() {
    checkedFile = null;
    apply.hidden = true;
    check.hidden = false;
    replaceChildren(result);
  }

  function formData() {
    const data = new FormData();
    data.append("format", formatSelect.value);
    data.append("file", fileInput.files[0]);
    return data;
  }

  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    const guessed = file && guessFormat(file.name);
    if (guessed) formatSelect.value = guessed;
    reset();
  });
  formatSelect.addEventListener("change", reset);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!fileInput.files.length) {
      showMessage(result, "error", "Choose a file to check.");
      fileInput.focus();
      return;
    }
    check.disabled = true;
    showMessage(result, "loading", "Checking every row…");
    try {
      const report = await api.form("POST", importPath, formData(), { query: { dry_run: "true" } });
      showReport(result, report);
      if (report.valid && report.rows > 0) {
        checkedFile = fileInput.files[0];
        check.hidden = true;
        apply.hidden = false;
        apply.textContent = `Import ${plural(report.would_create, "annotation")}`;
        apply.focus();
      }
    } catch (error) {
      showMessage(result, "error", describe(error));
    } finally {
      check.disabled = false;
    }
  });

  apply.addEventListener("click", async () => {
    if (fileInput.files[0] !== checkedFile) {
      reset();
      return;
    }
    apply.disabled = true;
    try {
      const imported = await api.form("POST", importPath, formData());
      toast(`Imported ${plural(imported.created, "annotation")} into “${set.name}”.`);
      dialog.close();
      onImported();
    } catch (error) {
      showMessage(result, "error", describe(error));
      apply.hidden = true;
      check.hidden = false;
    } finally {
      apply.disabled = false;
    }
  });

  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  fileInput.focus();
}

// A file that cannot be read at all is a 422 at ["body", "file"]; its message says why.
function describe(error) {
  if (error instanceof ApiError && Array.isArray(error.detail)) {
    return error.detail.map((item) => item.msg).join(" ");
  }
  return error.message;
}

function showMessage(container, kind, text) {
  replaceChildren(
    container,
    h("p", { class: kind === "error" ? "notice danger" : kind === "loading" ? "loading" : "notice", role: kind === "error" ? "alert" : undefined }, text),
  );
}

function showReport(container, report) {
  if (report.valid) {
    showMessage(
      container,
      "ok",
      report.rows
        ? `All ${plural(report.rows, "row")} are valid. Nothing has been written yet.`
        : "The file has no rows to import.",
    );
    return;
  }
  const shown = report.errors.slice(0, MAX_ERRORS_SHOWN);
  replaceChildren(
    container,
    h(
      "p",
      { class: "notice danger", role: "alert", dataset: { testid: "import-errors-summary" } },
      `${plural(report.errors.length, "problem")} in ${plural(report.rows, "row")}; nothing was imported. ` +
        "Fix the file and check it again.",
    ),
    h(
      "div",
      { class: "table-wrap import-errors" },
      h(
        "table",
        { dataset: { testid: "import-errors" } },
        h(
          "thead",
          {},
          h("tr", {}, ["Where", "Field", "Problem"].map((title) => h("th", { scope: "col" }, title))),
        ),
        h(
          "tbody",
          {},
          shown.map((error) =>
            h(
              "tr",
              { dataset: { testid: "import-error" } },
              h("td", { class: "nowrap" }, `${error.file ? `${error.file}, ` : ""}line ${error.line}`),
              h("td", { class: "mono" }, error.field || "–"),
              h("td", {}, error.message),
            ),
          ),
        ),
      ),
    ),
    report.errors.length > shown.length
      ? h("p", { class: "muted" }, `…and ${report.errors.length - shown.length} more.`)
      : null,
  );
}
