// The labeling page (and the admin's labeling view): one file of the dataset at a time, drawn from
// its stored peaks with spectrogram tiles, its regions in a RegionLayer, every edit saved through
// /api/v1 as it happens (labeling_edits.js), the keyboard map in labeling_keys.js and the controls
// in labeling_panel.js. Marks `labeling:waveform`, `labeling:first-tile` and
// `labeling:zoom-start`/`labeling:zoom-drawn` for `make bench-ui`.

import { api, fetchAll } from "../lib/api.js";
import { h, readJsonScript, replaceChildren, showState } from "../lib/dom.js";
import { toast, toastError } from "../lib/feedback.js";
import { formatDuration } from "../lib/format.js";
import { RegionLayer } from "../lib/region_layer.js";
import { SpectrogramLane } from "../lib/spectrogram.js";
import { createWaveform } from "../lib/waveform.js";
import { Edits } from "./labeling_edits.js";
import { bindKeys } from "./labeling_keys.js";
import { ModelLayer } from "./labeling_model.js";
import { formatClock, Panel } from "./labeling_panel.js";

const config = readJsonScript("labeling-config");
const datasetPath = `/datasets/${config.dataset.id}`;
const setPath = `${datasetPath}/annotation-sets/${config.set.id}`;
const EXCERPT_MARGIN_MS = 150;
const DEEP_LINK_MS_PER_PX = 20;
const CUE_MS_PER_PX = 5;
const $ = (id) => document.getElementById(id);

const state = { files: [], index: -1, current: null, waveform: null, layer: null, markMs: null, readOnly: config.set.status !== "draft" };
let activeType = config.types.length ? config.types[0].name : null;
let zoomStarted = false;

const panel = new Panel(config.types, {
  onType: (name) => setActiveType(name),
  onEdit: (changes) => withSelected((region) => edits.change(region.id, changes)),
  onDelete: () => removeSelected(),
  onPlay: () => withSelected((region) => playExcerpt(region)),
});

const edits = new Edits({
  annotationsPath: `${setPath}/annotations`,
  onState: (saveState, detail) => panel.setSaveState(saveState, detail),
  onGone: (message) => panel.problem(message),
  onRejected: (error) => {
    if (error.status === 409) {
      panel.problem(`${error.message} Nothing more can be changed here.`);
      setReadOnly(true);
    } else toastError(error);
  },
  onEdited: () => refreshSelection(),
});

// The model layer (labeling_model.js): a model's detections beside the labels, and the order
// n/p follow (the label-next queue when asked, else the dataset's).
let datasetOrder = null;
const modelLayer = new ModelLayer({
  config,
  datasetPath,
  setPath,
  readOnly: state.readOnly,
  hooks: {
    reopen: () => openFile(state.index, { tMs: state.waveform ? Math.round(state.waveform.currentMs()) : null }),
    reorder: (files) => {
      const current = state.files[state.index];
      datasetOrder = datasetOrder || state.files;
      state.files = files || datasetOrder;
      state.index = current ? state.files.findIndex((audio) => audio.id === current.id) : -1;
    },
  },
});

function withSelected(action) {
  const region = state.layer && state.layer.selected();
  if (region) action(region);
  else panel.status("Select a region first (Tab on the waveform, or click one).");
}

function refreshSelection() {
  if (!state.layer) return;
  panel.showRegion(state.layer.selected(), { readOnly: state.readOnly });
  panel.setCount(state.layer.regions.size);
}

function setReadOnly(readOnly) {
  state.readOnly = readOnly;
  $("read-only").hidden = !readOnly;
  if (state.layer) state.layer.setReadOnly(readOnly);
  refreshSelection();
}

function setActiveType(name) {
  activeType = name;
  panel.setActiveType(name);
  if (state.layer) state.layer.setActiveType(name);
}

function editable() {
  if (!state.readOnly) return true;
  panel.status("This set is published and read-only: copy it to revise.");
  return false;
}

// ---- opening files

function pageAddress(audioId, tMs) {
  const params = new URLSearchParams({ audio: audioId });
  if (tMs !== null && tMs !== undefined) params.set("t", String(Math.round(tMs)));
  return `${config.page_url}?${params}`;
}

async function openFile(index, { tMs = null } = {}) {
  const audio = state.files[index];
  state.index = index;
  state.current = audio.id;
  const stale = () => state.current !== audio.id; // another file was asked for meanwhile
  $("file-select").value = audio.id;
  window.history.replaceState(null, "", pageAddress(audio.id, tMs));
  if (state.waveform) state.waveform.destroy();
  state.waveform = state.layer = null;
  const container = $("waveform");
  container.replaceChildren();
  $("minimap").replaceChildren();
  panel.status(`Opening ${audio.filename}…`);
  const audioPath = `${datasetPath}/audio/${audio.id}`;
  const annotations = fetchAll(`${setPath}/annotations`, { audio_file_id: audio.id });
  annotations.catch(() => {}); // reported below, once awaited
  try {
    const [overview, download] = await Promise.all([
      api.get(`${audioPath}/peaks`, { points: Math.max(1000, 2 * (container.clientWidth || 1000)) }),
      api.get(`${audioPath}/download-url`, { variant: "normalized" }),
    ]);
    if (stale()) return;
    const waveform = await createWaveform({
      container,
      minimapContainer: $("minimap"),
      durationMs: audio.duration_ms,
      overview,
      mediaUrl: download.url,
      fetchPeaks: (startMs, endMs, points) => api.get(`${audioPath}/peaks`, { start_ms: startMs, end_ms: endMs, points }),
    });
    if (stale()) return waveform.destroy();
    state.waveform = waveform;
    watchWaveform(waveform, audio);
    if (tMs !== null) {
      if (audio.duration_ms > 60000) waveform.zoomTo(DEEP_LINK_MS_PER_PX, tMs);
      waveform.seek(tMs);
    }
    new SpectrogramLane(waveform, { path: audioPath, onFirstTile: () => performance.mark("labeling:first-tile") });
    state.layer = makeLayer(waveform, await annotations); // the waveform is up meanwhile
    if (stale()) return;
    edits.open(state.layer, audio.id);
    modelLayer.open(waveform, audio);
    refreshSelection();
    panel.status(`${audio.filename}: ${formatDuration(audio.duration_ms)}. Press ? for the keys.`);
  } catch (error) {
    if (stale()) return;
    showState(container, "error", { title: `Cannot open ${audio.filename}`, text: error.message });
    panel.status("");
  }
}

function watchWaveform(waveform, audio) {
  let first = true;
  waveform.on("drawn", ({ exact }) => {
    if (first) {
      first = false;
      performance.mark("labeling:waveform");
    }
    if (exact && zoomStarted) {
      zoomStarted = false;
      performance.mark("labeling:zoom-drawn");
      performance.measure("labeling:zoom", "labeling:zoom-start", "labeling:zoom-drawn");
    }
  });
  waveform.on("timeupdate", (ms) => panel.setClock(ms));
  waveform.on("zoom", (msPerPx) => {
    $("zoom-level").value = String(Math.round(msPerPx * 100) / 100);
  });
  waveform.on("play", () => ($("play").textContent = "Pause"));
  waveform.on("pause", () => ($("play").textContent = "Play"));
  waveform.on("error", (error) => panel.status(`Playback or drawing failed for ${audio.filename}: ${error.message || error}`));
  $("zoom-level").value = String(Math.round(waveform.msPerPx() * 100) / 100);
}

function makeLayer(waveform, annotations) {
  const layer = new RegionLayer(waveform, { types: config.types, readOnly: state.readOnly });
  layer.setActiveType(activeType);
  layer.setRegions(annotations.map(({ id, artifact_type, start_ms, end_ms }) => ({ id, artifact_type, start_ms, end_ms })));
  layer.on("create", ({ surfaceId, start_ms, end_ms }) => {
    const id = edits.create({ artifact_type: layer.activeType, start_ms, end_ms }, { surfaceId });
    layer.select(id);
  });
  layer.on("change", (id, after, before) => edits.change(id, after, { before }));
  layer.on("select", () => refreshSelection());
  return layer;
}

// ---- actions (keys and buttons)

function seekBy(ms) {
  if (!state.waveform) return;
  const target = state.waveform.currentMs() + ms;
  state.waveform.seek(target);
  state.waveform.reveal(target, target);
}

function playExcerpt(region) {
  const { waveform } = state;
  waveform.playRange(Math.max(0, region.start_ms - EXCERPT_MARGIN_MS), Math.min(waveform.durationMs, region.end_ms + EXCERPT_MARGIN_MS));
}

function markStart() {
  if (!state.waveform || !editable()) return;
  state.markMs = Math.round(state.waveform.currentMs());
  panel.status(`Start marked at ${formatClock(state.markMs)}: move to the end and press ].`);
}

function markEnd() {
  if (!state.waveform || !editable()) return;
  if (state.markMs === null) {
    panel.status("Press [ at the start of the region first.");
    return;
  }
  const here = Math.round(state.waveform.currentMs());
  const start = Math.min(state.markMs, here);
  const end = Math.max(Math.max(state.markMs, here), start + 1);
  state.markMs = null;
  const id = edits.create({ artifact_type: activeType, start_ms: start, end_ms: Math.min(end, state.waveform.durationMs) });
  state.layer.select(id);
  panel.status(`Added ${activeType} ${formatClock(start)}–${formatClock(end)}.`);
}

function step(direction) {
  if (!state.layer) return;
  const regions = state.layer.all();
  if (!regions.length) {
    panel.status("No regions in this file yet.");
    return;
  }
  const selected = state.layer.selected();
  let index;
  if (selected) index = regions.findIndex((region) => region.id === selected.id) + direction;
  else {
    const here = state.waveform.currentMs();
    index = direction > 0 ? regions.findIndex((region) => region.start_ms >= here) : regions.findLastIndex((region) => region.start_ms < here);
  }
  if (index < 0 || index >= regions.length) {
    panel.status(direction > 0 ? "That was the last region of this file." : "That was the first region of this file.");
    return;
  }
  const region = regions[index];
  state.layer.select(region.id);
  state.waveform.reveal(region.start_ms, region.end_ms);
  state.waveform.seek(region.start_ms);
  playExcerpt(region);
}

function removeSelected() {
  if (!editable()) return;
  withSelected((region) => {
    edits.remove(region.id);
    panel.status(`Deleted ${region.artifact_type} ${formatClock(region.start_ms)}–${formatClock(region.end_ms)}.`);
  });
}

function typeKey(number) {
  const type = config.types[number - 1];
  if (!type) return;
  setActiveType(type.name);
  const region = state.layer && state.layer.selected();
  if (region && !state.readOnly) edits.change(region.id, { artifact_type: type.name });
}

function file(direction) {
  const index = state.index + direction;
  if (index < 0 || index >= state.files.length) {
    toast(direction > 0 ? "This is the dataset's last ready file." : "This is the dataset's first ready file.");
    return;
  }
  openFile(index);
}

async function cue(direction) {
  if (!state.waveform) return;
  const audio = state.files[state.index];
  const here = Math.round(state.waveform.currentMs());
  try {
    const query = direction > 0 ? { after_ms: here, limit: 1 } : { before_ms: here, limit: 1 };
    const { items } = await api.get(`${datasetPath}/audio/${audio.id}/cues`, query);
    if (!items.length) {
      panel.status(direction > 0 ? "Nothing suspicious after the playhead." : "Nothing suspicious before the playhead.");
      return;
    }
    const [found] = items;
    if (state.waveform.msPerPx() > CUE_MS_PER_PX * 2) zoom(null, CUE_MS_PER_PX, found.time_ms);
    else state.waveform.reveal(found.time_ms, found.time_ms);
    state.waveform.seek(found.time_ms);
    panel.status(`${found.kind.replace("_", " ")} at ${formatClock(found.time_ms)} (strength ${found.strength}).`);
  } catch (error) {
    toastError(error);
  }
}

// Zooms by `factor` (or to `msPerPx`) around `centerMs` (the playhead when it is on screen).
function zoom(factor, msPerPx = null, centerMs = null) {
  const { waveform } = state;
  if (!waveform) return;
  const here = waveform.currentMs();
  const view = waveform.visibleRange();
  const center = centerMs ?? (here >= view.startMs && here <= view.endMs ? here : null);
  performance.mark("labeling:zoom-start");
  zoomStarted = true;
  waveform.zoomTo(msPerPx ?? waveform.msPerPx() * factor, center);
}

function escape() {
  state.markMs = null;
  if (state.layer) state.layer.select(null);
  panel.status("");
}

// ---- start

async function copyToRevise() {
  try {
    const copy = await api.post(`${setPath}/copy`);
    const audio = state.files[state.index];
    const address = config.page_url.replace(config.set.id, copy.id);
    window.location.assign(audio ? `${address}?${new URLSearchParams({ audio: audio.id })}` : address);
  } catch (error) {
    toastError(error);
  }
}

function bindControls() {
  $("play").addEventListener("click", () => state.waveform && state.waveform.playPause());
  $("prev-file").addEventListener("click", () => file(-1));
  $("next-file").addEventListener("click", () => file(1));
  $("file-select").addEventListener("change", (event) => openFile(state.files.findIndex((audio) => audio.id === event.target.value)));
  $("cue-prev").addEventListener("click", () => cue(-1));
  $("cue-next").addEventListener("click", () => cue(1));
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("zoom-fit").addEventListener("click", () => zoom(null, Number.POSITIVE_INFINITY));
  $("zoom-level").addEventListener("change", (event) => {
    const value = Number(event.target.value);
    if (value > 0) zoom(null, value);
  });
  $("help").addEventListener("click", () => $("key-help").showModal());
  $("copy-to-revise").addEventListener("click", copyToRevise);
  bindKeys(
    {
      typeKey,
      playPause: () => state.waveform && state.waveform.playPause(),
      seekBy,
      markStart,
      markEnd,
      step,
      removeSelected,
      undo: () => editable() && edits.undo(),
      redo: () => editable() && edits.redo(),
      file,
      cue,
      zoom: (factor) => zoom(factor),
      fit: () => zoom(null, Number.POSITIVE_INFINITY),
      escape,
      help: () => $("key-help").showModal(),
    },
    $("waveform"),
  );
}

function listFiles(files) {
  state.files = files;
  replaceChildren($("file-select"), files.map((audio) => h("option", { value: audio.id }, `${audio.filename} (${formatDuration(audio.duration_ms, { precise: false })})`)));
  $("file-select").disabled = false;
  const index = files.findIndex((audio) => audio.id === state.current);
  if (index >= 0) {
    state.index = index;
    $("file-select").value = state.current;
  }
}

// A deep-linked file opens at once, while the dataset's list (for n, p and the picker) loads.
async function start() {
  bindControls();
  modelLayer.loadModels();
  setReadOnly(state.readOnly);
  const listing = fetchAll(`${datasetPath}/audio`, { processing_status: "ready" });
  listing.catch(() => {});
  const linked = config.audio_id ? await api.get(`${datasetPath}/audio/${config.audio_id}`).catch(() => null) : null;
  let opening = null;
  if (linked && linked.processing_status === "ready") {
    listFiles([linked]);
    opening = openFile(0, { tMs: config.t_ms });
  }
  let files;
  try {
    files = await listing;
  } catch (error) {
    showState($("waveform"), "error", { title: "Cannot list the dataset's audio", text: error.message });
    return;
  }
  if (opening) {
    listFiles(files.some((audio) => audio.id === linked.id) ? files : [linked, ...files]);
    await opening;
  } else if (!files.length) {
    $("file-select").replaceChildren(h("option", {}, "No audio ready"));
    showState($("waveform"), "empty", {
      title: "No audio to label yet",
      text: "Upload audio on the dataset's page; files can be labelled once they are ready.",
      actions: [h("a", { class: "lab-button", href: `/datasets/${config.dataset.id}` }, "Open the dataset")],
    });
    return;
  } else {
    if (config.audio_id) toast("The linked file is not in this dataset or not ready; opening the first file.", { kind: "error" });
    listFiles(files);
    await openFile(0);
  }
  $("waveform").focus({ preventScroll: true });
}

start();
