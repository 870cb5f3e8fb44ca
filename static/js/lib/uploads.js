// What upload pages share: the content type Relay expects for a file, the drop zone and the
// row that shows one upload's progress.

import { h } from "./dom.js";
import { formatBytes } from "./format.js";

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
export function contentTypeOf(file) {
  const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  return CONTENT_TYPES[extension] || file.type || "application/octet-stream";
}


// enqueue(item) runs upload(item) (a promise) with at most `parallel` running at once, in order.
export function uploadQueue(upload, parallel) {
  const waiting = [];
  let running = 0;
  function pump() {
    while (running < parallel && waiting.length) {
      running += 1;
      upload(waiting.shift()).finally(() => {
        running -= 1;
        pump();
      });
    }
  }
  return (item) => {
    waiting.push(item);
    pump();
  };
}

// Files chosen in `input` or dropped on `dropzone` go to onFiles([...files]). A file dropped
// beside the zone would make the browser navigate to it: such drops are ignored.
export function wireDropzone({ dropzone, input, onFiles }) {
  input.addEventListener("change", () => {
    onFiles([...input.files]);
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
    onFiles([...event.dataTransfer.files]);
  });
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
}

// One upload's row: name, status badge, progress bar, detail text and a cancel button.
export function uploadItem(file) {
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
