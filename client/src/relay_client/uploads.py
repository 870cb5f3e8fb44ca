"""Parallel presigned uploads with retries, for dataset audio and for inference jobs.

Each file takes the three steps of the contract: ask for an upload URL, POST the form fields and
the file to it, confirm. A step that fails for a passing reason (a dropped connection, a 5xx, a
429 after its Retry-After) is tried again; a refusal (413 too large, 422 unsupported type) fails
that file at once, and the other files go on. A file whose bytes never arrived has its pending
row deleted, so a failure leaves nothing behind.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

import httpx

from relay_client.errors import ApiError, RelayError, TransferError
from relay_client.files import LocalFile
from relay_client.http import Http, backoff_s

logger = logging.getLogger(__name__)

Outcome = Literal["uploaded", "resumed", "skipped", "failed"]


@dataclass(frozen=True)
class Flow:
    """The two upload flows differ only in names (reference/002 gave inference its own)."""

    upload_url_path: str
    confirm_path: str
    size_field: str
    fields_key: str
    id_key: str
    delete_path: str | None  # `{id}` is the pending row's id; None where the API has no delete

    @classmethod
    def dataset(cls, dataset_id: str) -> "Flow":
        base = f"/datasets/{dataset_id}/audio"
        return cls(f"{base}/upload-url", f"{base}/confirm", "file_size", "fields", "audio_id", base)

    @classmethod
    def inference(cls, job_id: str) -> "Flow":
        base = f"/inference-jobs/{job_id}/files"
        return cls(
            f"{base}/upload-url",
            f"{base}/confirm",
            "file_size_bytes",
            "upload_fields",
            "file_id",
            None,
        )

    def confirm_body(self, resource_id: str) -> dict[str, str]:
        return {self.id_key: resource_id}


@dataclass
class FileResult:
    local: LocalFile
    outcome: Outcome
    resource: dict[str, Any] | None = None  # the audio (or inference file) as the API returned it
    error: str | None = None


@dataclass
class UploadReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    bytes_sent: int = 0

    def by_outcome(self, *outcomes: Outcome) -> list[FileResult]:
        return [result for result in self.results if result.outcome in outcomes]

    @property
    def failed(self) -> list[FileResult]:
        return self.by_outcome("failed")

    def as_dict(self) -> dict[str, Any]:
        return {
            "uploaded": len(self.by_outcome("uploaded")),
            "resumed": len(self.by_outcome("resumed")),
            "skipped": len(self.by_outcome("skipped")),
            "failed": len(self.failed),
            "bytes_sent": self.bytes_sent,
            "seconds": round(self.seconds, 3),
            "files": [
                {
                    "path": str(result.local.path),
                    "filename": result.local.name,
                    "outcome": result.outcome,
                    "id": (result.resource or {}).get("id"),
                    "error": result.error,
                }
                for result in self.results
            ],
        }


class _CountingReader:
    """A file whose reads are reported to `on_bytes`; keeps fileno() so that httpx sends a
    Content-Length (S3 refuses chunked uploads) and streams it in chunks."""

    def __init__(self, handle: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        self.handle = handle
        self.on_bytes = on_bytes
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.sent += len(chunk)
        self.on_bytes(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def fileno(self) -> int:
        return self.handle.fileno()


def _is_permanent(error: ApiError) -> bool:
    """A refusal that trying again cannot change."""
    return 400 <= error.status < 500 and error.status not in (408, 429)


class Uploader:
    """Uploads files through one flow, `parallel` at a time, trying each up to `retries` more
    times. `on_bytes(n)` sees bytes as they are sent (negative when a failed try is taken
    back); `on_file(result)` sees each file when it is done. `stop()` (from another thread,
    or on Ctrl-C) lets running files finish and starts no more."""

    def __init__(
        self,
        http: Http,
        flow: Flow,
        *,
        parallel: int = 4,
        retries: int = 3,
        on_bytes: Callable[[int], None] = lambda n: None,
        on_file: Callable[[FileResult], None] = lambda result: None,
    ) -> None:
        self.http = http
        self.flow = flow
        self.parallel = max(1, parallel)
        self.retries = max(0, retries)
        self.on_bytes = on_bytes
        self.on_file = on_file
        self._stopping = threading.Event()
        self._bytes_lock = threading.Lock()
        self.bytes_sent = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self, files: Sequence[LocalFile]) -> list[FileResult]:
        results: list[FileResult] = []
        pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="relay-upload")
        try:
            futures = [pool.submit(self.upload, local) for local in files]
            for future in as_completed(futures):
                result = future.result()
                if result is not None:
                    results.append(result)
                    self.on_file(result)
        except BaseException:
            self.stop()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        order = {local.path: index for index, local in enumerate(files)}
        return sorted(results, key=lambda result: order[result.local.path])

    def upload(self, local: LocalFile) -> FileResult | None:
        """One file's three steps with retries; None when stopped before it began."""
        if self._stopping.is_set():
            return None
        last_error = "not tried"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(backoff_s(attempt - 1, base_s=1.0))
            try:
                return self._upload_once(local)
            except ApiError as error:
                last_error = error.summary()
                if _is_permanent(error):
                    break
            except (TransferError, httpx.TransportError) as error:
                last_error = str(error) or type(error).__name__
            logger.info("upload of %s failed (try %d): %s", local.name, attempt + 1, last_error)
            if self._stopping.is_set():
                break
        return FileResult(local, "failed", error=last_error)

    def _upload_once(self, local: LocalFile) -> FileResult:
        body: dict[str, Any] = {
            "filename": local.name,
            "content_type": local.content_type,
            self.flow.size_field: local.size,
        }
        if local.metadata:
            body["metadata"] = local.metadata
        target = self.http.json("POST", self.flow.upload_url_path, json=body)
        resource_id = target[self.flow.id_key]
        try:
            self._send(local, target["upload_url"], target[self.flow.fields_key])
            confirmed = self.confirm(resource_id)
        except BaseException:
            self._forget(resource_id)
            raise
        return FileResult(local, "uploaded", resource=confirmed)

    def confirm(self, resource_id: str) -> dict[str, Any]:
        """Confirms, trying again after a lost answer: confirming twice is harmless."""
        for attempt in range(self.retries + 1):
            try:
                return self.http.json(
                    "POST", self.flow.confirm_path, json=self.flow.confirm_body(resource_id)
                )
            except ApiError as error:
                if _is_permanent(error) or attempt == self.retries:
                    raise
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
            time.sleep(backoff_s(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(self, local: LocalFile, url: str, fields: dict[str, str]) -> None:
        """POSTs the bytes; a 409 means an earlier try's bytes arrived (its answer was lost)."""
        counted = 0

        def count(n: int) -> None:
            nonlocal counted
            counted += n
            self._add_bytes(n)

        try:
            with local.path.open("rb") as handle:
                reader = _CountingReader(handle, count)
                response = self.http.post_to_storage(
                    url,
                    fields=fields,
                    file=reader,
                    filename=local.path.name,
                    content_type=local.content_type,
                )
        except BaseException:
            self._add_bytes(-counted)
            raise
        if response.status_code in (200, 201, 204, 409):
            return
        self._add_bytes(-counted)
        detail = _storage_detail(response)
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise ApiError(response.status_code, detail, method="POST", path="(upload URL)")
        raise TransferError(f"upload URL answered {response.status_code}: {detail}")

    def _add_bytes(self, n: int) -> None:
        with self._bytes_lock:
            self.bytes_sent += n
        self.on_bytes(n)

    def _forget(self, resource_id: str) -> None:
        """Deletes a pending row whose bytes did not arrive (best effort: an unconfirmed row
        also expires on the server)."""
        if self.flow.delete_path is None:
            return
        try:
            self.http.request("DELETE", f"{self.flow.delete_path}/{resource_id}")
        except (RelayError, httpx.TransportError) as error:
            logger.info("could not delete pending upload %s: %s", resource_id, error)


def _storage_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return str(body)[:200]
