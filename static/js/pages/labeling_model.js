// The labeling page's model layer: a chosen model's detections over the open file, from its
// latest run over it (GET …/audio/{id}/detections, less those rejected for this set), drawn as a
// read-only RegionLayer under the labels. Select one to accept it (its times can be adjusted
// first; it becomes an annotation with source "model") or reject it (hidden for this set);
// accept every detection above a confidence (import-detections); and let `n`/`p` follow the
// label-next queue (the dataset's audio, the most unsure first). Part of labeling.js.

import { api, fetchAll } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { toast, toastError } from "../lib/feedback.js";
import { formatDuration, plural } from "../lib/format.js";
import { RegionLayer } from "../lib/region_layer.js";

export class ModelLayer {
  // hooks: {reopen(): reload the open file, reorder(files | null): new order for n/p}
  constructor({ config, datasetPath, setPath, readOnly, hooks }) {
    this.config = config;
    this.datasetPath = datasetPath;
    this.setPath = setPath;
    this.readOnly = readOnly;
    this.hooks = hooks;
    this.modelId = new URLSearchParams(window.location.search).get("model") || "";
    this.layer = null;
    this.audio = null;
    this.run = null; // the detections response of the open file
    this.build();
  }

  build() {
    this.select = h("select", { id: "model-select", dataset: { testid: "model-select" } }, h("option", { value: "" }, "No model layer"));
    this.queue = h("input", { type: "checkbox", id: "model-queue", dataset: { testid: "model-queue" } });
    this.threshold = h("input", { type: "number", id: "model-threshold", min: "0", max: "1", step: "0.05", value: "0.8", dataset: { testid: "model-threshold" } });
    this.acceptAll = h("button", { type: "button", class: "lab-button", dataset: { testid: "model-accept-all" } }, "Accept all above");
    this.status = h("span", { class: "lab-model-status muted", role: "status", dataset: { testid: "model-status" } });
    this.start = h("input", { type: "number", id: "detection-start", min: "0", step: "1", dataset: { testid: "detection-start" } });
    this.end = h("input", { type: "number", id: "detection-end", min: "1", step: "1", dataset: { testid: "detection-end" } });
    this.accept = h("button", { type: "button", class: "lab-button primary", dataset: { testid: "detection-accept" } }, "Accept");
    this.reject = h("button", { type: "button", class: "lab-button", dataset: { testid: "detection-reject" } }, "Reject");
    this.title = h("span", { class: "lab-panel-title", dataset: { testid: "detection-title" } }, "No detection selected");
    this.detectionPanel = h(
      "div",
      { class: "lab-panel lab-detection", role: "group", "aria-label": "Selected detection", hidden: true, dataset: { testid: "detection-panel" } },
      this.title,
      h("label", { for: "detection-start" }, "Start (ms) ", this.start),
      h("label", { for: "detection-end" }, "End (ms) ", this.end),
      this.accept,
      this.reject,
    );
    const bar = h(
      "div",
      { class: "lab-model", role: "group", "aria-label": "Model detections", dataset: { testid: "model-layer" } },
      h("label", { for: "model-select" }, "Model layer "),
      this.select,
      h("label", { class: "lab-model-queue" }, this.queue, " n follows the label-next queue"),
      this.acceptAll,
      h("label", { for: "model-threshold", class: "visually-hidden" }, "Confidence to accept above"),
      this.threshold,
      this.status,
    );
    const toolbar = document.querySelector("#labeling .lab-bar");
    toolbar.after(bar);
    document.getElementById("region-form").after(this.detectionPanel);
    this.select.addEventListener("change", () => this.choose(this.select.value));
    this.queue.addEventListener("change", () => this.followQueue());
    this.acceptAll.addEventListener("click", () => this.acceptAbove());
    this.accept.addEventListener("click", () => this.acceptSelected());
    this.reject.addEventListener("click", () => this.rejectSelected());
    this.setEnabled();
  }

  async loadModels() {
    try {
      const models = await fetchAll("/models", { dataset_id: this.config.dataset.id });
      this.select.append(...models.map((model) => h("option", { value: model.id }, model.name)));
      if (this.modelId && !models.some((model) => model.id === this.modelId)) this.modelId = "";
      this.select.value = this.modelId;
      if (!models.length) this.status.textContent = "Train a model on this dataset to see its detections here.";
    } catch (error) {
      this.status.textContent = `Models could not be listed: ${error.message}`;
    }
  }

  setEnabled() {
    const on = Boolean(this.modelId);
    this.queue.disabled = !on;
    this.acceptAll.disabled = this.threshold.disabled = !on || this.readOnly || !this.run || !this.run.inference_job_id;
    this.accept.disabled = this.reject.disabled = this.readOnly;
  }

  async choose(modelId) {
    this.modelId = modelId;
    if (!modelId && this.queue.checked) {
      this.queue.checked = false;
      this.hooks.reorder(null);
    }
    if (this.queue.checked) await this.followQueue();
    if (this.waveform && this.audio) await this.open(this.waveform, this.audio);
    else this.setEnabled();
  }

  // The open file's detections: called by labeling.js whenever it opens a file.
  async open(waveform, audio) {
    this.waveform = waveform;
    this.audio = audio;
    this.layer = null;
    this.run = null;
    this.showDetection(null);
    if (!this.modelId) {
      this.status.textContent = "";
      this.setEnabled();
      return;
    }
    try {
      const run = await api.get(`${this.datasetPath}/audio/${audio.id}/detections`, {
        model_id: this.modelId,
        annotation_set_id: this.config.set.id,
      });
      if (this.audio !== audio || this.waveform !== waveform) return;
      this.run = run;
      const layer = new RegionLayer(waveform, {
        types: this.config.types,
        readOnly: true,
        testid: "detection",
        describe: (region) => `model: ${region.artifact_type} ${formatDuration(region.start_ms)}–${formatDuration(region.end_ms)}, confidence ${region.confidence.toFixed(2)}`,
      });
      layer.setRegions(run.detections.map((detection, index) => ({ id: `detection-${index}`, ...detection })));
      layer.on("select", (id) => this.showDetection(id ? layer.get(id) : null));
      this.layer = layer;
      this.status.textContent = run.inference_job_id
        ? `${plural(run.detections.length, "detection")}${run.hidden_rejected ? `, ${run.hidden_rejected} rejected` : ""}`
        : "The model has not run on this file yet: run it from the model's page.";
    } catch (error) {
      this.status.textContent = `Detections could not be loaded: ${error.message}`;
    }
    this.setEnabled();
  }

  showDetection(detection) {
    this.selected = detection;
    this.detectionPanel.hidden = !detection;
    if (!detection) return;
    this.title.textContent = `Model: ${detection.artifact_type}, confidence ${detection.confidence.toFixed(2)}`;
    this.start.value = String(detection.start_ms);
    this.end.value = String(detection.end_ms);
  }

  async acceptSelected() {
    const detection = this.selected;
    if (!detection) return;
    try {
      await api.post(`${this.setPath}/annotations`, {
        audio_file_id: this.audio.id,
        artifact_type: detection.artifact_type,
        start_ms: Number(this.start.value),
        end_ms: Number(this.end.value),
        confidence: detection.confidence,
        source: "model",
      });
      toast(`Accepted ${detection.artifact_type} at ${formatDuration(Number(this.start.value))}.`);
      this.hooks.reopen();
    } catch (error) {
      toastError(error);
    }
  }

  async rejectSelected() {
    const detection = this.selected;
    if (!detection) return;
    try {
      await api.post(`${this.setPath}/rejected-detections`, {
        audio_file_id: this.audio.id,
        artifact_type: detection.artifact_type,
        start_ms: detection.start_ms,
        end_ms: detection.end_ms,
        model_id: this.modelId,
      });
      this.layer.remove(detection.id);
      this.showDetection(null);
      this.status.textContent = `Rejected; ${plural(this.layer.all().length, "detection")} left`;
    } catch (error) {
      toastError(error);
    }
  }

  async acceptAbove() {
    if (!this.run || !this.run.inference_job_id) return;
    const minConfidence = Number(this.threshold.value);
    try {
      const result = await api.post(`${this.setPath}/import-detections`, {
        inference_job_id: this.run.inference_job_id,
        min_confidence: minConfidence,
        audio_file_ids: [this.audio.id],
      });
      toast(`${plural(result.created, "detection")} at or above ${minConfidence} accepted.`);
      this.hooks.reopen();
    } catch (error) {
      toastError(error);
    }
  }

  async followQueue() {
    if (!this.queue.checked || !this.modelId) {
      this.hooks.reorder(null);
      return;
    }
    try {
      const ranked = await fetchAll(`${this.datasetPath}/audio`, {
        order: "uncertainty",
        model_id: this.modelId,
        processing_status: "ready",
      });
      this.hooks.reorder(ranked);
      toast("n and p now follow the label-next queue: the files this model was most unsure about first.");
    } catch (error) {
      this.queue.checked = false;
      toastError(error);
    }
  }
}
