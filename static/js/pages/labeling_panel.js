// The controls around the labeling page's waveform: the type picker, the selected region's
// fields, the save state, the clock, the status line and the problem banner. Part of labeling.js.

import { h, replaceChildren } from "../lib/dom.js";
import { formatDuration, plural } from "../lib/format.js";

const SAVE_TEXT = { saved: "Saved", saving: "Saving…", unsaved: "Unsaved changes" };

export function formatClock(ms) {
  const value = Math.max(0, Math.round(ms));
  const minutes = Math.floor(value / 60000);
  const seconds = ((value % 60000) / 1000).toFixed(3).padStart(6, "0");
  return `${minutes}:${seconds}`;
}

export class Panel {
  // handlers: {onType(name), onEdit(changes), onDelete(), onPlay()}
  constructor(types, handlers) {
    this.types = types;
    this.handlers = handlers;
    this.element = (id) => document.getElementById(id);
    this.region = null;
    for (const label of document.querySelectorAll(".lab-type[data-color]")) {
      label.style.setProperty("--type-color", label.dataset.color);
    }
    for (const radio of document.querySelectorAll('input[name="active-type"]')) {
      radio.addEventListener("change", () => radio.checked && handlers.onType(radio.value));
    }
    const typeSelect = this.element("region-type");
    replaceChildren(typeSelect, types.map((type) => h("option", { value: type.name }, type.name)));
    typeSelect.addEventListener("change", () => handlers.onEdit({ artifact_type: typeSelect.value }));
    for (const [id, field] of [["region-start", "start_ms"], ["region-end", "end_ms"]]) {
      this.element(id).addEventListener("change", (event) => this.editTime(field, event.target));
    }
    this.element("region-form").addEventListener("submit", (event) => event.preventDefault());
    this.element("region-delete").addEventListener("click", () => handlers.onDelete());
    this.element("region-play").addEventListener("click", () => handlers.onPlay());
  }

  editTime(field, input) {
    const value = Number(input.value);
    if (!this.region || !Number.isInteger(value) || value < 0) {
      input.setCustomValidity("Whole milliseconds, 0 or more.");
      input.reportValidity();
      return;
    }
    const changes = { [field]: value };
    const start = field === "start_ms" ? value : this.region.start_ms;
    const end = field === "end_ms" ? value : this.region.end_ms;
    if (end <= start) {
      input.setCustomValidity("The end must be after the start.");
      input.reportValidity();
      return;
    }
    input.setCustomValidity("");
    this.handlers.onEdit(changes);
  }

  setActiveType(name) {
    const radio = document.querySelector(`input[name="active-type"][value="${CSS.escape(name)}"]`);
    if (radio) radio.checked = true;
  }

  // region: the selected one or null.
  showRegion(region, { readOnly }) {
    this.region = region;
    const disabled = !region || readOnly;
    for (const id of ["region-type", "region-start", "region-end", "region-delete"]) {
      this.element(id).disabled = disabled;
    }
    this.element("region-play").disabled = !region;
    this.element("region-title").textContent = region
      ? `${region.artifact_type}, ${formatDuration(region.start_ms)}–${formatDuration(region.end_ms)}`
      : "No region selected";
    if (!region) {
      this.element("region-start").value = "";
      this.element("region-end").value = "";
      return;
    }
    this.element("region-type").value = region.artifact_type;
    const start = this.element("region-start");
    const end = this.element("region-end");
    if (document.activeElement !== start) start.value = String(region.start_ms);
    if (document.activeElement !== end) end.value = String(region.end_ms);
  }

  setCount(count) {
    this.element("region-count").textContent = plural(count, "region") + " in this file";
  }

  setSaveState(state, detail) {
    const element = this.element("save-state");
    element.className = `lab-save ${state}`;
    element.dataset.state = state;
    const retry = detail && detail.retryInMs ? ` (retrying in ${Math.round(detail.retryInMs / 1000)} s)` : "";
    element.textContent = SAVE_TEXT[state] + retry;
    element.title = detail && detail.error ? detail.error.message : "";
  }

  setClock(ms) {
    this.element("clock").textContent = formatClock(ms);
  }

  status(text) {
    this.element("lab-status").textContent = text;
  }

  problem(text) {
    const element = this.element("lab-problem");
    element.hidden = !text;
    element.textContent = text || "";
  }
}
