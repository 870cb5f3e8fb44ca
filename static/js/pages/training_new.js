// Starting a training job: a published set of the dataset, its types and the config, whose
// defaults are the API's. A 422 is shown beside the field it is about; success opens the job.

import { api, fetchAll } from "../lib/api.js";
import { h, readJsonScript, replaceChildren } from "../lib/dom.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { plural } from "../lib/format.js";
import { pageUrls } from "../lib/urls.js";

const config = readJsonScript("training-config");
const form = document.getElementById("train-form");
const setSelect = document.getElementById("train-set");
const typeBox = document.getElementById("train-types");
const formError = document.getElementById("train-error");
const submit = form.querySelector('button[type="submit"]');
const NUMBER_FIELDS = ["epochs", "validation_split", "learning_rate", "batch_size"];

let sets = [];

for (const name of NUMBER_FIELDS) form.elements[name].value = config.defaults[name];
form.elements.include_unlabelled_audio.checked = Boolean(config.defaults.include_unlabelled_audio);

replaceChildren(
  typeBox,
  config.types.map((type) =>
    h(
      "label",
      {},
      h("input", {
        type: "checkbox",
        name: "artifact_types",
        value: type.name,
        "aria-describedby": "train-types-hint train-config-artifact_types-error",
        dataset: { testid: `train-type-${type.name}` },
      }),
      h("span", { class: "chip", style: { "--chip-color": type.color } }, type.name),
      h("span", { class: "muted type-count" }),
    ),
  ),
);

// Ticks the types the chosen set labels and says how many labels each has.
function showSetTypes() {
  const chosen = sets.find((set) => set.id === setSelect.value);
  const counts = chosen ? chosen.counts_by_type : {};
  for (const label of typeBox.querySelectorAll("label")) {
    const input = label.querySelector("input");
    const count = counts[input.value] || 0;
    input.checked = count > 0;
    label.querySelector(".type-count").textContent = chosen ? `(${plural(count, "label")})` : "";
  }
}

async function loadSets() {
  try {
    sets = await fetchAll(`/datasets/${config.dataset_id}/annotation-sets`, { status: "published" });
  } catch (error) {
    replaceChildren(setSelect, h("option", { value: "" }, "Sets could not be loaded"));
    formError.textContent = error.message;
    formError.hidden = false;
    return;
  }
  if (!sets.length) {
    replaceChildren(setSelect, h("option", { value: "" }, "No published set yet"));
    formError.textContent = "Publish an annotation set on the dataset page first: training needs labels that never change.";
    formError.hidden = false;
    submit.disabled = true;
    return;
  }
  replaceChildren(
    setSelect,
    sets.map((set) =>
      h("option", { value: set.id }, `${set.name || "Unnamed set"} · ${plural(set.annotation_count, "annotation")}`),
    ),
  );
  const wanted = new URLSearchParams(window.location.search).get("set");
  if (wanted && sets.some((set) => set.id === wanted)) setSelect.value = wanted;
  showSetTypes();
}

setSelect.addEventListener("change", showSetTypes);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  formError.hidden = true;
  const types = [...form.querySelectorAll('input[name="artifact_types"]:checked')].map((input) => input.value);
  const body = {
    dataset_id: config.dataset_id,
    annotation_set_id: setSelect.value,
    config: {
      epochs: Number(form.elements.epochs.value),
      validation_split: Number(form.elements.validation_split.value),
      learning_rate: Number(form.elements.learning_rate.value),
      batch_size: Number(form.elements.batch_size.value),
      include_unlabelled_audio: form.elements.include_unlabelled_audio.checked,
    },
  };
  if (types.length) body.config.artifact_types = types;
  submit.disabled = true;
  try {
    const job = await api.post("/training-jobs", body);
    window.location.assign(pageUrls.trainingJob(job.id));
  } catch (error) {
    const unplaced = showErrors(form, error, { prefix: "train" });
    if (unplaced.length) {
      formError.textContent = unplaced.join(" ");
      formError.hidden = false;
    }
    submit.disabled = false;
  }
});

loadSets();
