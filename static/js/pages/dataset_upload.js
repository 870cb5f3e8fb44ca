// The dataset page's uploads: files dropped or chosen go through the presigned flow (upload-url,
// POST the bytes with a progress bar, confirm), then their processing is followed until the file
// is ready or failed. Part of dataset.js.

import { ApiError, api, fetchAll, uploadFile } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { formatBytes, formatDuration } from "../lib/format.js";

const PARALLEL_UPLOADS = 3;
const POLL_MS = 1000;
const CONTENT_TYPES = {
  wav: "audio/wav",
  wave: "audio/wav",
  flac: "audio/flac",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/opus",
  m4a: "audio/mp4",
  mp4: "audio/mp4",
  aac: "audio/aac",
  webm: "audio/webm",
};

// The type Relay expects for the file's extension (browsers disagree on .m4a, .opus, .webm).
function contentTypeOf(file) {
  const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  return CONTENT_TYPES[extension] || file.type || "application/octet-stream";
}

// setupUploads({datasetId, dropzone, input, list, onChange}) — onChange() runs whenever a file
// is added to the dataset or changes state, so the page can refresh its audio list.
export function setupUploads({ datasetId, dropzone, input, list, onChange }) {
  const queue = [];
  let running = 0;
  let unfinished = 0;

  function add(files) {
    for (const file of files) {
      const item = uploadItem(file);
      list.prepend(item.element);
      queue.push(item);
      unfinished += 1;
    }
    pump();
  }

  function pump() {
    while (running < PARALLEL_UPLOADS && queue.length) {
      const item = queue.shift();
      running += 1;
      upload(item).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  async function upload(item) {
    const { file } = item;
    try {
      item.set("uploading", "Starting…");
      const target = await api.post(`/datasets/${datasetId}/audio/upload-url`, {
        filename: file.name,
        content_type: contentTypeOf(file),
        file_size: file.size,
      });
      onChange();
      item.set("uploading", `0 of ${formatBytes(file.size)}`);
      await uploadFile(target.upload_url, target.fields, file, {
        signal: item.controller.signal,
        onProgress: (sent, total) => {
          item.progress(sent / total);
          item.set("uploading", `${formatBytes(sent)} of ${formatBytes(total)}`);
        },
      });
      item.progress(1);
      item.set("processing", "Uploaded; processing…");
      item.done(); // nothing left to cancel
      await api.post(`/datasets/${datasetId}/audio/confirm`, { audio_id: target.audio_id });
      onChange();
      follow(item, target.audio_id);
    } catch (error) {
      if (error.name === "AbortError") item.set("failed", "Cancelled.");
      else item.set("failed", error instanceof ApiError ? error.message : String(error));
      onChange();
    } finally {
      item.done();
      unfinished -= 1;
    }
  }

  // Processing is followed for all files at once: one list request of the dataset's processing
  // files per tick, then one request for each file that has left that list.
  const followed = new Map(); // audio id -> upload item
  let ticking = false;

  function follow(item, audioId) {
    followed.set(audioId, item);
    if (!ticking) {
      ticking = true;
      setTimeout(tick, POLL_MS);
    }
  }

  async function tick() {
    try {
      const processing = await fetchAll(`/datasets/${datasetId}/audio`, { processing_status: "processing" });
      const stillProcessing = new Set(processing.map((audio) => audio.id));
      for (const [audioId, item] of followed) {
        if (!stillProcessing.has(audioId)) await settle(audioId, item);
      }
    } catch (error) {
      for (const item of followed.values()) item.set("processing", `Processing… (${error.message} Retrying.)`);
    }
    if (followed.size) setTimeout(tick, POLL_MS);
    else ticking = false;
  }

  async function settle(audioId, item) {
    try {
      const audio = await api.get(`/datasets/${datasetId}/audio/${audioId}`);
      if (audio.processing_status === "ready") {
        item.set("ready", `Ready · ${formatDuration(audio.duration_ms)}`);
      } else if (audio.processing_status === "failed") {
        item.set("failed", audio.processing_error || "Processing failed.");
      } else {
        return; // between states; the next tick looks again
      }
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      item.set("failed", "The file was deleted.");
    }
    followed.delete(audioId);
    onChange();
  }

  input.addEventListener("change", () => {
    add([...input.files]);
    input.value = "";
  });
  for (const name of ["dragenter", "dragover"]) {
    dropzone.addEventListener(name, (event) => {
      event.preventDefault();
      dropzone.classList.add("is-over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    dropzone.addEventListener(name, (event) => {
      if (name === "dragleave" && dropzone.contains(event.relatedTarget)) return;
      dropzone.classList.remove("is-over");
    });
  }
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    add([...event.dataTransfer.files]);
  });
  // A file dropped beside the zone would make the browser navigate to it: ignore such drops.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
  window.addEventListener("beforeunload", (event) => {
    if (unfinished > 0) event.preventDefault();
  });
}

function uploadItem(file) {
  const controller = new AbortController();
  const bar = h("progress", { max: 1, value: 0, "aria-label": `Upload of ${file.name}` });
  const badge = h("span", { class: "badge pending" }, "waiting");
  const detail = h("span", { class: "detail", dataset: { testid: "upload-detail" } }, formatBytes(file.size));
  const cancel = h("button", { type: "button", class: "small quiet", "aria-label": `Cancel ${file.name}` }, "Cancel");
  cancel.addEventListener("click", () => controller.abort());
  const element = h(
    "li",
    { class: "upload", dataset: { testid: "upload", filename: file.name, status: "waiting" } },
    h("span", { class: "name", title: file.name }, file.name),
    h("span", { class: "actions" }, badge, cancel),
    bar,
    detail,
  );
  return {
    file,
    controller,
    element,
    set(status, text) {
      element.dataset.status = status;
      element.className = `upload ${status}`;
      badge.className = `badge ${status}`;
      badge.textContent = status;
      detail.textContent = text;
      if (status === "ready") bar.value = 1;
    },
    progress(fraction) {
      bar.value = fraction;
    },
    done() {
      cancel.remove();
    },
  };
}
