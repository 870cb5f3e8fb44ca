// The inference job page's ways to add files: drop or choose files (the presigned flow:
// upload-url, POST the bytes with a progress bar, confirm, after which the file runs at once),
// or one button for all the dataset audio the model has not run on. Part of inference_job.js.

import { ApiError, api, fetchAll, uploadFile } from "../lib/api.js";
import { toast, toastError } from "../lib/feedback.js";
import { formatBytes, plural } from "../lib/format.js";
import { contentTypeOf, uploadItem, uploadQueue, wireDropzone } from "../lib/uploads.js";

const PARALLEL_UPLOADS = 3;
const MAX_FROM_DATASET = 1000; // ids per from-dataset call

// setupInferenceUploads({jobId, dropzone, input, list, onChange}): onChange() runs when a file
// joins the job, so the page polls again.
export function setupInferenceUploads({ jobId, dropzone, input, list, onChange }) {
  const enqueue = uploadQueue((item) => upload(item), PARALLEL_UPLOADS);

  function add(files) {
    for (const file of files) {
      const item = uploadItem(file);
      list.prepend(item.element);
      enqueue(item);
    }
  }

  async function upload(item) {
    const { file } = item;
    try {
      item.set("uploading", "Starting…");
      const target = await api.post(`/inference-jobs/${jobId}/files/upload-url`, {
        filename: file.name,
        content_type: contentTypeOf(file),
        file_size_bytes: file.size,
      });
      await uploadFile(target.upload_url, target.upload_fields, file, {
        signal: item.controller.signal,
        onProgress: (sent, total) => {
          item.progress(sent / total);
          item.set("uploading", `${formatBytes(sent)} of ${formatBytes(total)}`);
        },
      });
      item.progress(1);
      item.done();
      await api.post(`/inference-jobs/${jobId}/files/confirm`, { file_id: target.file_id });
      item.set("ready", "Uploaded; running (see Files below)");
      onChange();
    } catch (error) {
      if (error.name === "AbortError") item.set("failed", "Cancelled.");
      else item.set("failed", error instanceof ApiError ? error.message : String(error));
    } finally {
      item.done();
    }
  }

  wireDropzone({ dropzone, input, onFiles: add });
}

// Adds every ready audio file of `datasetId` that `modelId` has not run on; resolves to how many.
export async function addUnrunAudio({ jobId, datasetId, modelId }) {
  const audio = await fetchAll(`/datasets/${datasetId}/audio`, {
    without_inference_by: modelId,
    processing_status: "ready",
  });
  for (let start = 0; start < audio.length; start += MAX_FROM_DATASET) {
    const ids = audio.slice(start, start + MAX_FROM_DATASET).map((file) => file.id);
    await api.post(`/inference-jobs/${jobId}/files/from-dataset`, { audio_ids: ids });
  }
  return audio.length;
}

export function wireUnrunButton({ button, jobId, datasetId, modelId, onChange }) {
  if (!datasetId || !modelId) {
    button.disabled = true;
    button.title = "The job's model was deleted";
    return;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const count = await addUnrunAudio({ jobId, datasetId, modelId });
      toast(count ? `${plural(count, "audio file")} added.` : "The model has run on all of the dataset's audio already.");
      onChange();
    } catch (error) {
      toastError(error);
    } finally {
      button.disabled = false;
    }
  });
}
