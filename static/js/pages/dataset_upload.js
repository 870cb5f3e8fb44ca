// The dataset page's uploads: files dropped or chosen go through the presigned flow (upload-url,
// POST the bytes with a progress bar, confirm), then their processing is followed until the file
// is ready or failed. Part of dataset.js.

import { ApiError, api, fetchAll, uploadFile } from "../lib/api.js";
import { formatBytes, formatDuration } from "../lib/format.js";
import { contentTypeOf, uploadItem, uploadQueue, wireDropzone } from "../lib/uploads.js";

const PARALLEL_UPLOADS = 3;
const POLL_MS = 1000;

// setupUploads({datasetId, dropzone, input, list, onChange}) — onChange() runs whenever a file
// is added to the dataset or changes state, so the page can refresh its audio list.
export function setupUploads({ datasetId, dropzone, input, list, onChange }) {
  let unfinished = 0;
  const enqueue = uploadQueue((item) => upload(item), PARALLEL_UPLOADS);

  function add(files) {
    for (const file of files) {
      const item = uploadItem(file);
      list.prepend(item.element);
      unfinished += 1;
      enqueue(item);
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

  wireDropzone({ dropzone, input, onFiles: add });
  window.addEventListener("beforeunload", (event) => {
    if (unfinished > 0) event.preventDefault();
  });
}
