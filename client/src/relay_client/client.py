"""The Relay API as Python functions: every `relay` command is one method here.

    from relay_client import Client

    relay = Client()  # RELAY_URL and RELAY_API_KEY, or the file `relay login` wrote
    dataset = relay.create_dataset("TTS glitches", ["click", "long_pause"])
    report = relay.upload(dataset["id"], ["takes/"], metadata={"tts_model": "v3"}, wait=True)
    job = relay.train(dataset["id"], "reviewed", epochs=20, wait=True)
    result = relay.detect(job["model_id"], ["nightly/"], out="detections.csv")

Datasets, sets and models may be named by id or by name (an exact, case-insensitive match).
Methods raise ApiError (with the API's status and `detail`), NotFoundError for a name that
matches nothing, and RelayError for a bad argument.
"""

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import httpx

from relay_client import config
from relay_client.errors import ApiError, NotFoundError, RelayError
from relay_client.files import LocalFile, discover, sha256_of, with_metadata
from relay_client.http import Http
from relay_client.rules import Breach, FailRule, breaches
from relay_client.schema import (
    AnnotationImportReport,
    AnnotationImportResult,
    AnnotationSet,
    ApiKey,
    AudioFile,
    CreatedApiKey,
    Dataset,
    InferenceJob,
    InferenceJobDetail,
    InferenceSummary,
    TrainedModel,
    TrainingJob,
)
from relay_client.uploads import FileResult, Flow, Uploader, UploadReport

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
PAGE_SIZE = 500
FROM_DATASET_BATCH = 1000  # the most ids one from-dataset call takes
LABEL_FORMATS = ("json", "csv", "dcase", "audacity", "raven")
LABEL_EXTENSIONS = {
    ".json": "json",
    ".csv": "csv",
    ".tsv": "dcase",
    ".zip": "audacity",
    ".txt": "raven",
}
DETECTION_FORMATS = {".csv": "csv", ".tsv": "dcase", ".json": "json"}
JOB_DONE = frozenset({"completed", "failed", "cancelled"})
AUDIO_DONE = frozenset({"ready", "failed"})


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


def label_format_for(path: Path) -> str:
    """The label format a file's name implies (`.selections.txt` is Raven, a `.txt` or `.zip`
    Audacity); RelayError when it implies none."""
    name = path.name.lower()
    if name.endswith(".selections.txt"):
        return "raven"
    if path.suffix.lower() == ".txt":
        return "audacity"
    try:
        return LABEL_EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise RelayError(
            f"cannot tell the format of {path.name}; pass --format ({', '.join(LABEL_FORMATS)})"
        ) from None


@dataclass
class DetectResult:
    job: InferenceJobDetail
    summary: InferenceSummary
    out: Path | None
    uploads: UploadReport | None = None
    breaches: list[Breach] = field(default_factory=list)


class Client:
    """A session with one Relay server. Arguments override RELAY_URL / RELAY_API_KEY, which
    override the config file. `transport` is passed to httpx (tests record traffic with it)."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        max_retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        poll_interval_s: float = 1.0,
    ) -> None:
        settings = config.resolve(url, api_key)
        self.url = settings.url
        self.http = Http(
            settings.url, settings.api_key, max_retries=max_retries, transport=transport
        )
        self.poll_interval_s = poll_interval_s

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Pagination ---------------------------------------------------------------------------

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, page by page."""
        page = 1
        while True:
            body = self.http.json(
                "GET", path, params={**params, "page": page, "page_size": PAGE_SIZE}
            )
            yield from body["items"]
            if not body["has_more"]:
                return
            page += 1

    def first_page(self, path: str, *, limit: int, **params: Any) -> dict[str, Any]:
        return self.http.json("GET", path, params={**params, "page": 1, "page_size": limit})

    # Datasets -----------------------------------------------------------------------------

    def create_dataset(
        self,
        name: str,
        artifact_types: Sequence[str | Mapping[str, str]],
        *,
        description: str | None = None,
    ) -> Dataset:
        types = [{"name": item} if isinstance(item, str) else dict(item) for item in artifact_types]
        body: dict[str, Any] = {"name": name, "artifact_types": types}
        if description is not None:
            body["description"] = description
        return cast(Dataset, self.http.json("POST", "/datasets", json=body))

    def list_datasets(self, *, search: str | None = None) -> list[Dataset]:
        return cast(list[Dataset], list(self.pages("/datasets", search=search)))

    def dataset(self, ref: str) -> Dataset:
        """A dataset by id or by name."""
        if is_uuid(ref):
            return cast(Dataset, self.http.json("GET", f"/datasets/{ref}"))
        matches = [
            item for item in self.pages("/datasets", search=ref) if _same_name(item["name"], ref)
        ]
        return cast(Dataset, _one(matches, "dataset", ref))

    def list_audio(self, dataset: str, *, processing_status: str | None = None) -> list[AudioFile]:
        dataset_id = self._dataset_id(dataset)
        items = self.pages(f"/datasets/{dataset_id}/audio", processing_status=processing_status)
        return cast(list[AudioFile], list(items))

    def audio_counts(self, dataset: str) -> dict[str, int]:
        """How many audio files of the dataset are in each processing status."""
        dataset_id = self._dataset_id(dataset)
        counts = {}
        for status in ("pending", "processing", "ready", "failed"):
            body = self.first_page(
                f"/datasets/{dataset_id}/audio", limit=1, processing_status=status
            )
            counts[status] = body["total"]
        return counts

    # Uploads ------------------------------------------------------------------------------

    def upload(
        self,
        dataset: str,
        paths: Sequence[str | Path],
        *,
        metadata: Mapping[str, Any] | None = None,
        sidecar: Mapping[str, Mapping[str, Any]] | None = None,
        parallel: int = 4,
        retries: int = 3,
        resume_by: str = "name-size",
        wait: bool = False,
        on_start: Callable[[int, int], None] = lambda files, total_bytes: None,
        on_bytes: Callable[[int], None] = lambda n: None,
        on_file: Callable[[FileResult], None] = lambda result: None,
        on_wait: Callable[[dict[str, int]], None] = lambda counts: None,
    ) -> UploadReport:
        """Uploads files, folders (recursively) and globs into a dataset.

        Resumable: a file already in the dataset (same name and size with `resume_by=
        "name-size"`, the same SHA-256 with `"checksum"`) is skipped; one whose upload was cut
        off is confirmed if its bytes arrived, else uploaded again, so a rerun after an
        interruption leaves each file there exactly once. `resume_by="none"` uploads everything.
        Each upload records the file's SHA-256 in its metadata (`sha256`). With `wait`, returns
        once every file of the batch is `ready` or `failed` (their state is in the results)."""
        if resume_by not in ("name-size", "checksum", "none"):
            raise RelayError("resume_by is one of name-size, checksum, none")
        dataset_id = self._dataset_id(dataset)
        started = time.monotonic()
        files = with_metadata(
            discover([str(path) for path in paths]), common=metadata or {}, sidecar=sidecar or {}
        )
        files = [
            LocalFile(f.path, f.name, f.size, {"sha256": sha256_of(f.path), **f.metadata})
            for f in files
        ]
        flow = Flow.dataset(dataset_id)
        report = UploadReport()
        uploader = Uploader(self.http, flow, parallel=parallel, retries=retries)
        if resume_by == "none":
            todo = files
        else:
            todo, settled = self._resume(uploader, dataset_id, files, by=resume_by)
            report.results += settled
        on_start(len(files), sum(f.size for f in files))
        for result in report.results:
            on_bytes(result.local.size)
            on_file(result)
        uploader.on_bytes, uploader.on_file = on_bytes, on_file
        report.results += uploader.run(todo)
        report.bytes_sent = uploader.bytes_sent
        report.seconds = time.monotonic() - started
        order = {local.path: index for index, local in enumerate(files)}
        report.results.sort(key=lambda result: order[result.local.path])
        if wait:
            self._wait_for_audio(dataset_id, report, on_wait)
        return report

    def _resume(
        self, uploader: Uploader, dataset_id: str, files: Sequence[LocalFile], *, by: str
    ) -> tuple[list[LocalFile], list[FileResult]]:
        """Splits files into (to upload, already there). A pending row of an earlier run is
        confirmed when its bytes arrived (409 from confirm when not: then it is deleted and the
        file uploaded again); further pending rows for the same file are deleted."""
        dataset_path = f"/datasets/{dataset_id}/audio"
        candidates: dict[Any, list[dict[str, Any]]] = {}
        for audio in self.pages(dataset_path):
            key = _resume_key(audio, by=by)
            if key is not None:
                candidates.setdefault(key, []).append(audio)
        todo, settled = [], []
        for local in files:
            key = local.metadata["sha256"] if by == "checksum" else (local.name, local.size)
            rows = candidates.pop(key, [])
            done = next((row for row in rows if row["processing_status"] != "pending"), None)
            pending = [row for row in rows if row["processing_status"] == "pending"]
            resumed = None
            for row in pending:
                if done is None and resumed is None:
                    try:
                        resumed = uploader.confirm(row["id"])
                        continue
                    except ApiError as error:
                        if error.status != 409:
                            raise
                self.http.request("DELETE", f"{dataset_path}/{row['id']}")
            if done is not None:
                settled.append(FileResult(local, "skipped", resource=done))
            elif resumed is not None:
                settled.append(FileResult(local, "resumed", resource=resumed))
            else:
                todo.append(local)
        return todo, settled

    def _wait_for_audio(
        self,
        dataset_id: str,
        report: UploadReport,
        on_wait: Callable[[dict[str, int]], None],
        *,
        timeout_s: float | None = None,
    ) -> None:
        wanted = {
            result.resource["id"]: result
            for result in report.results
            if result.resource is not None and result.outcome != "failed"
        }
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            counts = {"processing": 0, "ready": 0, "failed": 0}
            for audio in self.pages(f"/datasets/{dataset_id}/audio"):
                result = wanted.get(audio["id"])
                if result is not None:
                    result.resource = dict(audio)
                    status = audio["processing_status"]
                    counts["processing" if status not in AUDIO_DONE else status] += 1
            on_wait(counts)
            if counts["processing"] == 0:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise RelayError(f"{counts['processing']} files still processing")
            time.sleep(self.poll_interval_s)

    # Annotation sets and labels -----------------------------------------------------------

    def list_sets(self, dataset: str) -> list[AnnotationSet]:
        dataset_id = self._dataset_id(dataset)
        return cast(
            list[AnnotationSet], list(self.pages(f"/datasets/{dataset_id}/annotation-sets"))
        )

    def annotation_set(self, dataset: str, ref: str) -> AnnotationSet:
        """A set of the dataset by id or by name."""
        dataset_id = self._dataset_id(dataset)
        if is_uuid(ref):
            return cast(
                AnnotationSet,
                self.http.json("GET", f"/datasets/{dataset_id}/annotation-sets/{ref}"),
            )
        matches = [item for item in self.list_sets(dataset_id) if _same_name(item["name"], ref)]
        return cast(AnnotationSet, _one(matches, "annotation set", ref))

    def create_set(
        self, dataset: str, name: str | None = None, *, description: str | None = None
    ) -> AnnotationSet:
        dataset_id = self._dataset_id(dataset)
        body = {k: v for k, v in {"name": name, "description": description}.items() if v}
        created = self.http.json("POST", f"/datasets/{dataset_id}/annotation-sets", json=body)
        return cast(AnnotationSet, created)

    def publish_set(self, dataset: str, annotation_set: str) -> AnnotationSet:
        path = self._set_path(dataset, annotation_set)
        return cast(AnnotationSet, self.http.json("POST", f"{path}/publish"))

    def copy_set(self, dataset: str, annotation_set: str) -> AnnotationSet:
        path = self._set_path(dataset, annotation_set)
        return cast(AnnotationSet, self.http.json("POST", f"{path}/copy"))

    def import_labels(
        self,
        dataset: str,
        annotation_set: str,
        file: str | Path,
        *,
        format: str | None = None,
        dry_run: bool = False,
    ) -> AnnotationImportResult | AnnotationImportReport:
        """Imports a label file into a draft set, all rows or none. The format defaults to the
        one the file's extension implies. A dry run checks every row and writes nothing: its
        report lists every error by line."""
        file = Path(file)
        label_format = format or label_format_for(file)
        path = self._set_path(dataset, annotation_set)
        with file.open("rb") as handle:
            result = self.http.json(
                "POST",
                f"{path}/import",
                params={"dry_run": "true"} if dry_run else None,
                data={"format": label_format},
                files={"file": (file.name, handle, "application/octet-stream")},
            )
        return cast(AnnotationImportResult | AnnotationImportReport, result)

    def export_labels(
        self, dataset: str, annotation_set: str, *, format: str = "json", out: BinaryIO
    ) -> int:
        """Streams a set's export into `out`; returns the bytes written."""
        path = self._set_path(dataset, annotation_set)
        return self._download(f"{path}/export", {"format": format}, out)

    # Training -----------------------------------------------------------------------------

    def train(
        self,
        dataset: str,
        annotation_set: str,
        *,
        artifact_types: Sequence[str] | None = None,
        epochs: int | None = None,
        validation_split: float | None = None,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        include_unlabelled_audio: bool | None = None,
        wait: bool = False,
        on_update: Callable[[TrainingJob], None] = lambda job: None,
    ) -> TrainingJob:
        """Starts a training job on a published set; with `wait`, polls it (calling
        `on_update` with each state) until it is completed, failed or cancelled."""
        dataset_id = self._dataset_id(dataset)
        set_id = self.annotation_set(dataset_id, annotation_set)["id"]
        settings = {
            "artifact_types": list(artifact_types) if artifact_types else None,
            "epochs": epochs,
            "validation_split": validation_split,
            "learning_rate": learning_rate,
            "batch_size": batch_size,
            "include_unlabelled_audio": include_unlabelled_audio,
        }
        body = {
            "dataset_id": dataset_id,
            "annotation_set_id": set_id,
            "config": {key: value for key, value in settings.items() if value is not None},
        }
        job = cast(TrainingJob, self.http.json("POST", "/training-jobs", json=body))
        on_update(job)
        return self.wait_for_training(job["id"], on_update=on_update) if wait else job

    def wait_for_training(
        self, job_id: str, *, on_update: Callable[[TrainingJob], None] = lambda job: None
    ) -> TrainingJob:
        return cast(TrainingJob, self._poll(f"/training-jobs/{job_id}", on_update))

    def _poll(self, path: str, on_update: Callable[[Any], None]) -> Any:
        """GETs `path` every poll interval, telling `on_update`, until its status is final."""
        while True:
            job = self.http.json("GET", path)
            on_update(job)
            if job["status"] in JOB_DONE:
                return job
            time.sleep(self.poll_interval_s)

    # Models -------------------------------------------------------------------------------

    def list_models(self, *, dataset: str | None = None) -> list[TrainedModel]:
        dataset_id = self._dataset_id(dataset) if dataset else None
        return cast(list[TrainedModel], list(self.pages("/models", dataset_id=dataset_id)))

    def model(self, ref: str) -> TrainedModel:
        """A model by id or by name."""
        if is_uuid(ref):
            return cast(TrainedModel, self.http.json("GET", f"/models/{ref}"))
        matches = [item for item in self.pages("/models") if _same_name(item["name"], ref)]
        return cast(TrainedModel, _one(matches, "model", ref))

    # Inference ----------------------------------------------------------------------------

    def detect(
        self,
        model: str,
        paths: Sequence[str | Path] = (),
        *,
        out: str | Path | None = None,
        threshold: float | Mapping[str, float] | None = None,
        merge_window_ms: int | None = None,
        min_duration_ms: int | None = None,
        signal_checks: bool | None = None,
        from_dataset: str | None = None,
        only_new: bool = False,
        fail_on: Sequence[FailRule] = (),
        parallel: int = 4,
        retries: int = 3,
        metadata: Mapping[str, Any] | None = None,
        sidecar: Mapping[str, Mapping[str, Any]] | None = None,
        on_start: Callable[[int, int], None] = lambda files, total_bytes: None,
        on_bytes: Callable[[int], None] = lambda n: None,
        on_file: Callable[[FileResult], None] = lambda result: None,
        on_update: Callable[[InferenceJobDetail], None] = lambda job: None,
    ) -> DetectResult:
        """Runs a model over local files (uploaded to a new inference job) or over a dataset's
        ready audio (`from_dataset`; `only_new` keeps the audio this model has not run on),
        waits for the job, writes every detection to `out` (`.csv`, `.tsv` as DCASE, `.json`)
        and checks the `fail_on` rules against the job's summary (`result.breaches`)."""
        detection_format = detection_format_for(out) if out is not None else None
        model_id = self.model(model)["id"]
        job_config: dict[str, Any] = {
            "threshold": dict(threshold) if isinstance(threshold, Mapping) else threshold,
            "merge_window_ms": merge_window_ms,
            "min_duration_ms": min_duration_ms,
            "signal_checks": signal_checks,
        }
        body = {
            "model_id": model_id,
            "config": {key: value for key, value in job_config.items() if value is not None},
        }
        uploads = None
        if from_dataset is None:
            files = with_metadata(
                discover([str(path) for path in paths]),
                common=metadata or {},
                sidecar=sidecar or {},
            )
            if not files:
                raise RelayError("no audio files to run the model on")
        job = cast(InferenceJob, self.http.json("POST", "/inference-jobs", json=body))
        if from_dataset is not None:
            self._add_dataset_audio(job["id"], model_id, from_dataset, only_new=only_new)
        else:
            uploader = Uploader(
                self.http,
                Flow.inference(job["id"]),
                parallel=parallel,
                retries=retries,
                on_bytes=on_bytes,
                on_file=on_file,
            )
            on_start(len(files), sum(f.size for f in files))
            started = time.monotonic()
            uploads = UploadReport(uploader.run(files), bytes_sent=uploader.bytes_sent)
            uploads.seconds = time.monotonic() - started
            if len(uploads.failed) == len(files):
                self.http.request("POST", f"/inference-jobs/{job['id']}/cancel")
                raise RelayError(f"no file could be uploaded: {uploads.failed[0].error}")
        detail = self.wait_for_inference(job["id"], on_update=on_update)
        summary = cast(
            InferenceSummary, self.http.json("GET", f"/inference-jobs/{job['id']}/summary")
        )
        written = None
        if out is not None and detection_format is not None:
            written = Path(out)
            self._download_to(
                f"/inference-jobs/{job['id']}/detections", {"format": detection_format}, written
            )
        return DetectResult(detail, summary, written, uploads, breaches(list(fail_on), summary))

    def _add_dataset_audio(
        self, job_id: str, model_id: str, dataset: str, *, only_new: bool
    ) -> int:
        dataset_id = self._dataset_id(dataset)
        params: dict[str, Any] = {"processing_status": "ready"}
        if only_new:
            params["without_inference_by"] = model_id
        ids = [audio["id"] for audio in self.pages(f"/datasets/{dataset_id}/audio", **params)]
        if not ids:
            self.http.request("POST", f"/inference-jobs/{job_id}/cancel")
            raise RelayError("the dataset has no ready audio to run the model on")
        for start in range(0, len(ids), FROM_DATASET_BATCH):
            batch = ids[start : start + FROM_DATASET_BATCH]
            self.http.json(
                "POST", f"/inference-jobs/{job_id}/files/from-dataset", json={"audio_ids": batch}
            )
        return len(ids)

    def wait_for_inference(
        self, job_id: str, *, on_update: Callable[[InferenceJobDetail], None] = lambda job: None
    ) -> InferenceJobDetail:
        return cast(InferenceJobDetail, self._poll(f"/inference-jobs/{job_id}", on_update))

    def download_detections(self, job_id: str, out: str | Path) -> Path:
        """Writes a job's detections to `out`, in the format its extension names."""
        path = Path(out)
        self._download_to(
            f"/inference-jobs/{job_id}/detections", {"format": detection_format_for(path)}, path
        )
        return path

    # Jobs ---------------------------------------------------------------------------------

    def list_jobs(
        self, *, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The newest training and inference jobs, newest first, each with a `kind`."""
        jobs: list[dict[str, Any]] = []
        if kind in (None, "training"):
            body = self.first_page("/training-jobs", limit=limit, status=status)
            jobs += [{"kind": "training", **job} for job in body["items"]]
        if kind in (None, "inference"):
            body = self.first_page("/inference-jobs", limit=limit)
            items = [job for job in body["items"] if status is None or job["status"] == status]
            jobs += [{"kind": "inference", **job} for job in items]
        jobs.sort(key=lambda job: job["created_at"], reverse=True)
        return jobs[:limit]

    def job(self, job_id: str) -> dict[str, Any]:
        """A training or an inference job by id, with its `kind`."""
        if not is_uuid(job_id):
            raise RelayError(f"job ids are UUIDs, got {job_id!r}")
        for kind, path in (("training", "/training-jobs"), ("inference", "/inference-jobs")):
            try:
                return {"kind": kind, **self.http.json("GET", f"{path}/{job_id}")}
            except ApiError as error:
                if error.status != 404:
                    raise
        raise NotFoundError(f"no training or inference job {job_id}")

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        found = self.job(job_id)
        path = "/training-jobs" if found["kind"] == "training" else "/inference-jobs"
        return {"kind": found["kind"], **self.http.json("POST", f"{path}/{job_id}/cancel")}

    # API keys -----------------------------------------------------------------------------

    def create_key(
        self, name: str, *, scopes: Sequence[str] | None = None, expires_at: str | None = None
    ) -> CreatedApiKey:
        body: dict[str, Any] = {"name": name}
        if scopes:
            body["scopes"] = list(scopes)
        if expires_at:
            body["expires_at"] = expires_at
        return cast(CreatedApiKey, self.http.json("POST", "/api-keys", json=body))

    def list_keys(self) -> list[ApiKey]:
        return cast(list[ApiKey], list(self.pages("/api-keys")))

    def revoke_key(self, ref: str) -> ApiKey:
        """Revokes a key named by id, prefix or name (a name must match one live key)."""
        keys = self.list_keys()
        matches = [key for key in keys if key["id"] == ref or key["prefix"] == ref]
        if not matches:
            live = [key for key in keys if key.get("revoked_at") is None]
            matches = [key for key in live if _same_name(key["name"], ref)]
        key = cast(ApiKey, _one(matches, "API key", ref))
        self.http.request("DELETE", f"/api-keys/{key['id']}")
        return key

    def check_key(self) -> None:
        """Raises ApiError 401 when the key is unknown, revoked or expired. A key that may not
        read datasets (admin only) passes: it is valid."""
        try:
            self.first_page("/datasets", limit=1)
        except ApiError as error:
            if error.status != 403:
                raise

    # Helpers ------------------------------------------------------------------------------

    def _dataset_id(self, dataset: str) -> str:
        return dataset if is_uuid(dataset) else self.dataset(dataset)["id"]

    def _set_path(self, dataset: str, annotation_set: str) -> str:
        dataset_id = self._dataset_id(dataset)
        set_id = self.annotation_set(dataset_id, annotation_set)["id"]
        return f"/datasets/{dataset_id}/annotation-sets/{set_id}"

    def _download(self, path: str, params: Mapping[str, Any], out: BinaryIO) -> int:
        written = 0
        with self.http.stream("GET", path, params=params) as response:
            for chunk in response.iter_bytes():
                out.write(chunk)
                written += len(chunk)
        return written

    def _download_to(self, path: str, params: Mapping[str, Any], target: Path) -> None:
        """Downloads into a temporary file beside `target` and renames it, so a failed download
        never leaves half a file where a CI job expects a whole one."""
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("wb") as out:
                self._download(path, params, out)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)


def detection_format_for(out: str | Path) -> str:
    suffix = Path(out).suffix.lower()
    try:
        return DETECTION_FORMATS[suffix]
    except KeyError:
        raise RelayError(
            f"--out must end in .csv, .tsv (DCASE) or .json, got {Path(out).name!r}"
        ) from None


def _same_name(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _one(matches: list[Any], what: str, ref: str) -> Any:
    if not matches:
        raise NotFoundError(f"no {what} named {ref!r}")
    if len(matches) > 1:
        ids = ", ".join(item["id"] for item in matches[:5])
        raise NotFoundError(f"{len(matches)} {what}s are named {ref!r}; use an id ({ids})")
    return matches[0]


def _resume_key(audio: Mapping[str, Any], *, by: str) -> Any:
    if by == "checksum":
        metadata = audio.get("metadata") or {}
        return metadata.get("sha256") if isinstance(metadata, dict) else None
    return (audio["filename"], audio["file_size"])
