// A dataset's page: upload audio (dataset_upload.js), its annotation sets (dataset_sets.js) and
// its audio list (dataset_audio.js).

import { setupAudioList } from "./dataset_audio.js";
import { setupSets } from "./dataset_sets.js";
import { setupUploads } from "./dataset_upload.js";

const root = document.getElementById("dataset-root");
const datasetId = root.dataset.datasetId;

const typeColors = {};
for (const chip of root.querySelectorAll(".chip[data-color]")) {
  chip.style.setProperty("--chip-color", chip.dataset.color);
  typeColors[chip.textContent.trim()] = chip.dataset.color;
}

let audio = null;
const sets = setupSets({
  datasetId,
  container: document.getElementById("set-list"),
  pagerContainer: document.getElementById("set-pager"),
  newButton: document.getElementById("new-set"),
  typeColors,
  onChange: () => audio && audio.reload(), // file names link into the first draft set
});

audio = setupAudioList({
  datasetId,
  form: document.getElementById("audio-filters"),
  container: document.getElementById("audio-list"),
  pagerContainer: document.getElementById("audio-pager"),
  summary: document.getElementById("audio-summary"),
  labelTarget: () => sets.firstDraftId(),
});

setupUploads({
  datasetId,
  dropzone: document.getElementById("dropzone"),
  input: document.getElementById("upload-input"),
  list: document.getElementById("uploads"),
  onChange: () => audio.reload(),
});
