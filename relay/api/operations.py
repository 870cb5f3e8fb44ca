"""The summary and user-facing description of every `/api/v1` operation, by operation id.

`RelayAutoSchema` takes them from here, never from view docstrings, which are written for the
people who maintain the views. tests/api/test_schema.py fails when an operation has no entry, or
when two share a summary.
"""

from typing import NamedTuple


class OperationDoc(NamedTuple):
    summary: str
    description: str


D = OperationDoc

OPERATION_DOCS: dict[str, OperationDoc] = {
    # --- API keys
    "list_api_keys": D(
        "List API keys",
        "Your tenant's keys, revoked ones included (with `revoked_at`), newest first. Only each "
        "key's prefix is shown; the secret is never shown again after creation. Needs `admin`.",
    ),
    "create_api_key": D(
        "Create an API key",
        "A new key with the scopes you choose (`read`, `write`, `admin`) and an optional expiry. "
        "The response holds the whole key: this is the only time it is shown. Needs `admin`.",
    ),
    "get_api_key": D(
        "Get an API key", "One key of your tenant, without its secret. Needs `admin`."
    ),
    "revoke_api_key": D(
        "Revoke an API key",
        "The key answers 401 from now on. The row stays, with `revoked_at`; revoking again is a "
        "harmless 204. Needs `admin`.",
    ),
    # --- datasets
    "list_datasets": D(
        "List datasets",
        "Your tenant's datasets, newest first, with their artifact types and ready-audio totals; "
        "`search` matches names.",
    ),
    "create_dataset": D(
        "Create a dataset",
        "A dataset with its artifact types (at least one). Names are unique in your tenant, "
        "ignoring case; a type without a colour gets one from a colour-blind-safe palette.",
    ),
    "get_dataset": D("Get a dataset", "One dataset with its artifact types and totals."),
    "update_dataset": D(
        "Update a dataset",
        "Change the name or description. `artifact_types` sets the complete list: listed types "
        "are added or updated, unlisted ones removed (409 if annotations use them).",
    ),
    "delete_dataset": D(
        "Delete a dataset",
        "Deletes the dataset with its audio, annotation sets and training jobs, and their stored "
        "files. Trained models stay usable, with `dataset_id` null.",
    ),
    # --- audio
    "list_audio_files": D(
        "List audio files",
        "The dataset's audio, newest first; filter by `processing_status`, filename `search`, "
        "`metadata.<key>` values, or `without_inference_by` a model (ready audio it has not run "
        "on).",
    ),
    "create_audio_upload_url": D(
        "Request an upload URL",
        "Step 1 of an upload: declare the file (name, audio content type, size of at least one "
        "byte, optional metadata) and get `upload_url` and the form `fields` to POST the bytes "
        "to, with the file last. The URL expires after `expires_in` seconds.",
    ),
    "confirm_audio_upload": D(
        "Confirm an upload",
        "Step 3 of an upload: checks the stored file's size and queues processing. Confirming "
        "again returns the file as it is; before the upload it is 409.",
    ),
    "upload_audio_inline": D(
        "Upload small files inline",
        "Up to 20 small files as `data:` URLs in one JSON body, stored and queued at once; any "
        "failing file fails the whole batch. Prefer upload-url for anything large.",
    ),
    "get_audio_file": D(
        "Get an audio file",
        "One audio file with its processing state, facts (duration, sample rate, channels), "
        "`processing_error` and `processing_warnings`.",
    ),
    "update_audio_file": D(
        "Update an audio file",
        "Rename the file or replace its metadata object.",
    ),
    "delete_audio_file": D(
        "Delete an audio file",
        "Deletes the file and its stored data; draft annotations of it go too. 409 when a "
        "published annotation set labels it.",
    ),
    "get_audio_peaks": D(
        "Get waveform peaks",
        "Min/max pairs of the normalized 16 kHz audio for a time window, at the best stored "
        "resolution for `points` pairs. 409 until the file is ready.",
    ),
    "get_audio_download_url": D(
        "Get a download URL",
        "A URL that plays or downloads the original upload or the normalized 16 kHz mono WAV in a "
        "browser (byte ranges supported), without an API key, until it expires.",
    ),
    # --- annotation sets
    "list_annotation_sets": D(
        "List annotation sets",
        "The dataset's annotation sets, newest first, with their counts; filter by `status`.",
    ),
    "create_annotation_set": D(
        "Create an annotation set", "A new, empty draft set; `name` and `description` are optional."
    ),
    "get_annotation_set": D(
        "Get an annotation set",
        "One set with its status, counts per type and, once published, its content hash.",
    ),
    "update_annotation_set": D(
        "Update an annotation set",
        "Rename a draft set or change its description; 409 if published.",
    ),
    "delete_annotation_set": D(
        "Delete an annotation set", "Deletes a draft set and its annotations; 409 if published."
    ),
    "publish_annotation_set": D(
        "Publish an annotation set",
        "Freezes the set: it gets its content hash and can train models; no change is accepted "
        "afterwards.",
    ),
    "copy_annotation_set": D(
        "Copy an annotation set",
        'A new draft with the same annotations, named "<name> (copy)": the way to change a '
        "published set's labels.",
    ),
    "annotation_set_agreement": D(
        "Score agreement between two sets",
        "Scores the `other` set of the same dataset against this one with event matching "
        "(onset collar `collar_ms`): precision, recall and F1 per type and averaged.",
    ),
    "export_annotation_set": D(
        "Export an annotation set",
        "The set as a label file, streamed: json, csv, dcase or raven as text, audacity as a zip "
        "of label tracks. Rows are ordered by filename, then start.",
    ),
    "import_annotations": D(
        "Import annotations from a label file",
        "Adds every row of a label file (json, csv, dcase, audacity, raven) to a draft set, or "
        "none. `dry_run=true` checks every row and reports errors without writing.",
    ),
    # --- annotations
    "list_annotations": D(
        "List annotations",
        "The set's annotations, newest first; filter by `audio_file_id` or `artifact_type`.",
    ),
    "create_annotation": D(
        "Add an annotation",
        "One time region of a ready audio file of the dataset, labelled with one of its artifact "
        "types; the set must be a draft.",
    ),
    "create_annotations_in_bulk": D(
        "Add annotations in bulk",
        "Up to 10 000 annotations at once, all or none; a failing call lists every failing field "
        "of every failing row.",
    ),
    "get_annotation": D("Get an annotation", "One annotation of the set."),
    "update_annotation": D(
        "Update an annotation",
        "Change an annotation's times, type, confidence or note; the set must be a draft.",
    ),
    "delete_annotation": D("Delete an annotation", "Removes one annotation from a draft set."),
    # --- training and models
    "list_training_jobs": D(
        "List training jobs",
        "Your tenant's training jobs, newest first; filter by `dataset_id` or `status`.",
    ),
    "create_training_job": D(
        "Start training a detector",
        "Queues a job that trains a detector on a published annotation set of the dataset, with "
        "an optional `config` (epochs, validation split, types, ...). Every default is filled in "
        "on the job.",
    ),
    "get_training_job": D(
        "Get a training job",
        "One job with its progress, per-epoch losses and, once completed, its metrics and model.",
    ),
    "cancel_training_job": D(
        "Cancel a training job",
        "A queued job never starts; a running one stops within one batch and makes no model. 409 "
        "for a finished job.",
    ),
    "list_models": D(
        "List trained models", "Your tenant's models, newest first; filter by `dataset_id`."
    ),
    "get_model": D(
        "Get a trained model",
        "One model with its artifact types, metrics, thresholds and what it was trained on.",
    ),
    "update_model": D("Rename a trained model", "Changes the model's `name`."),
    "delete_model": D(
        "Delete a trained model",
        "Removes the model and its file; its jobs stay, with `model_id` null.",
    ),
    # --- inference
    "list_inference_jobs": D(
        "List inference jobs",
        "Your tenant's inference jobs, newest first; filter by `model_id` or `status`.",
    ),
    "create_inference_job": D(
        "Create an inference job",
        "A pending job that runs a model with a post-processing config (threshold, merge window, "
        "minimum duration); add files by upload or from a dataset.",
    ),
    "get_inference_job": D(
        "Get an inference job",
        "The job with its status, counters and its first files with their detections; "
        "`has_more_files` says whether to page through the files endpoint.",
    ),
    "delete_inference_job": D(
        "Delete an inference job", "Removes the job, its files, detections and uploads."
    ),
    "cancel_inference_job": D(
        "Cancel an inference job",
        "Unfinished files are cancelled and skipped; finished files keep their detections. 409 "
        "for a finished job.",
    ),
    "list_inference_files": D(
        "List an inference job's files",
        "Every file of the job with its detections, in the order they were added; filter by "
        "`status`.",
    ),
    "create_inference_upload_url": D(
        "Request an upload URL for inference",
        "Step 1 of running a file: declare it (name, audio content type, size of at least one "
        "byte) and get `upload_url` and `upload_fields` to POST the bytes to.",
    ),
    "confirm_inference_upload": D(
        "Confirm an inference upload",
        "Checks the uploaded file and queues it for detection at once; confirming twice returns "
        "the same file.",
    ),
    "add_inference_files_from_dataset": D(
        "Run a job on dataset audio",
        "Adds ready audio of any of your datasets to the job without uploading it again, all or "
        "none; audio already in the job is not added twice.",
    ),
    "export_inference_detections": D(
        "Export detections",
        "Every detection of the job, streamed, ordered by filename and start: json, csv, dcase, "
        "raven, or audacity (a zip of label tracks).",
    ),
    "get_inference_top_detections": D(
        "Get the most confident detections",
        "Per artifact type, the job's `per_type` most confident detections, each with its file.",
    ),
    "get_inference_summary": D(
        "Summarize a job's detections",
        "Over the completed files: audio hours, and per type the count and rate per audio hour, "
        "overall and grouped by each metadata key.",
    ),
}
