// Create or edit a dataset: name, description, and its artifact types with their colours.

import { api } from "../lib/api.js";
import { h, readJsonScript, showState } from "../lib/dom.js";
import { confirmDialog, toast, toastError } from "../lib/feedback.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { pageUrls } from "../lib/urls.js";

const form = document.getElementById("dataset-form");
const datasetId = form.dataset.datasetId;
const { palette } = readJsonScript("dataset-form-config");
const rows = document.getElementById("type-rows");
const nameInput = document.getElementById("dataset-name");
const descriptionInput = document.getElementById("dataset-description");
let rowCount = 0;

function usedColors() {
  return [...rows.querySelectorAll('input[type="color"]')].map((input) => input.value.toUpperCase());
}

function nextColor() {
  const used = usedColors();
  return palette.find((color) => !used.includes(color.toUpperCase())) || palette[used.length % palette.length];
}

function addTypeRow(type = {}) {
  rowCount += 1;
  const id = `type-${rowCount}`;
  const row = h(
    "div",
    { class: "type-row", dataset: { testid: "type-row" } },
    h("input", {
      type: "color",
      id: `${id}-color`,
      name: "color",
      dataset: { field: "color" },
      value: (type.color || nextColor()).toLowerCase(),
      "aria-label": "Colour",
    }),
    h("input", {
      type: "text",
      id: `${id}-name`,
      name: "type_name",
      dataset: { field: "name" },
      value: type.name || "",
      maxlength: 64,
      required: true,
      placeholder: "name, e.g. click",
      pattern: "[A-Za-z0-9_-]{1,64}",
      title: "1-64 letters, digits, _ or -",
      "aria-label": "Type name",
      autocomplete: "off",
    }),
    h("input", {
      type: "text",
      id: `${id}-description`,
      class: "type-description",
      name: "type_description",
      dataset: { field: "description" },
      value: type.description || "",
      maxlength: 1000,
      placeholder: "what it sounds like (optional)",
      "aria-label": "Type description",
      autocomplete: "off",
    }),
    h("button", { type: "button", class: "quiet", "aria-label": "Remove this type" }, "Remove"),
  );
  row.querySelector("button").addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumberErrorSlots();
    (next ? next.querySelector('input[name="type_name"]') : document.getElementById("add-type")).focus();
  });
  rows.append(row, h("span", { class: "field-error" }));
  renumberErrorSlots();
  return row;
}

// Each type row is followed by its error slot, `dataset-artifact_types-<index>-error`, which
// the row's inputs point to, so that a 422 at ["body", "artifact_types", 2, "name"] lands there.
function renumberErrorSlots() {
  [...rows.querySelectorAll(".type-row")].forEach((row, index) => {
    const slot = row.nextElementSibling;
    slot.id = `dataset-artifact_types-${index}-error`;
    for (const input of row.querySelectorAll("input")) input.setAttribute("aria-describedby", slot.id);
  });
}

function formBody() {
  // Every row is sent, blank ones too, so that error indexes match the rows on screen.
  const artifactTypes = [...rows.querySelectorAll(".type-row")].map((row) => ({
    name: row.querySelector('[name="type_name"]').value.trim(),
    description: row.querySelector('[name="type_description"]').value.trim(),
    color: row.querySelector('[name="color"]').value.toUpperCase(),
  }));
  return {
    name: nameInput.value.trim(),
    description: descriptionInput.value.trim(),
    artifact_types: artifactTypes,
  };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const saved = datasetId
      ? await api.patch(`/datasets/${datasetId}`, formBody())
      : await api.post("/datasets", formBody());
    window.location.assign(pageUrls.dataset(saved.id));
  } catch (error) {
    for (const message of showErrors(form, error, { prefix: "dataset" })) toast(message, { kind: "error" });
    button.disabled = false;
  }
});

document.getElementById("add-type").addEventListener("click", () => {
  addTypeRow().querySelector('[name="type_name"]').focus();
});

async function deleteDataset(dataset) {
  const confirmed = await confirmDialog({
    title: `Delete “${dataset.name}”?`,
    message:
      `Its ${dataset.audio_count} audio files, their stored versions and every annotation set ` +
      "(published ones too) are deleted. This cannot be undone.",
    confirmLabel: "Delete dataset",
    danger: true,
  });
  if (!confirmed) return;
  try {
    await api.delete(`/datasets/${dataset.id}`);
    window.location.assign(form.dataset.listUrl);
  } catch (error) {
    toastError(error);
  }
}

async function start() {
  if (!datasetId) {
    addTypeRow();
    nameInput.focus();
    return;
  }
  const fieldsets = [...form.elements];
  for (const element of fieldsets) element.disabled = true;
  try {
    const dataset = await api.get(`/datasets/${datasetId}`);
    nameInput.value = dataset.name;
    descriptionInput.value = dataset.description || "";
    for (const type of dataset.artifact_types) addTypeRow(type);
    if (dataset.artifact_types.length === 0) addTypeRow();
    for (const element of fieldsets) element.disabled = false;
    document.getElementById("delete-dataset").addEventListener("click", () => deleteDataset(dataset));
    nameInput.focus();
  } catch (error) {
    showState(form, "error", { title: "This dataset could not be loaded", text: error.message });
  }
}

start();
