"""HTTP for the client: the API under `/api/v1` with the key, and presigned uploads without it.

Retries are decided here and nowhere else:
- 429: wait `Retry-After` (seconds or an HTTP date), then retry; any method, the server did
  nothing.
- 503 (a dependency is down, the API recovers by itself): exponential backoff with jitter; any
  method, since the server refused before acting.
- 502 and 504 (a proxy lost the upstream) and a connection reset or read timeout: backoff, for
  GET, HEAD and DELETE only: a POST may have been carried out, and repeating it could create
  twice.
- A connection that could not be opened at all: backoff, any method.
"""

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from relay_client import __version__
from relay_client.errors import ApiError

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# Presigned uploads of large files: no read deadline while the body streams.
UPLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0, write=None)
MAX_RETRY_AFTER_S = 300.0


def backoff_s(attempt: int, *, base_s: float = 0.5, cap_s: float = 30.0) -> float:
    """Full-jitter exponential backoff: a random wait up to base·2^attempt, at most cap_s."""
    return random.uniform(0, min(cap_s, base_s * 2**attempt))


def retry_after_s(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    wait = when.timestamp() - (time.time() if now is None else now)
    return min(max(wait, 0.0), MAX_RETRY_AFTER_S)


class Http:
    """One connection pool to the API, one to the storage endpoint presigned URLs point at.

    `transport` replaces httpx's network transport (tests record exchanges through it);
    `sleep` is how retries wait."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_retries: int = 5,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_url = f"{self.base_url}/api/v1"
        self.max_retries = max_retries
        self.sleep = sleep
        user_agent = f"relay-client/{__version__}"
        self.api = httpx.Client(
            headers={"X-API-Key": api_key, "User-Agent": user_agent, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        # The API key must never travel to the storage endpoint (an S3 bucket, say).
        self.storage = httpx.Client(
            headers={"User-Agent": user_agent}, timeout=UPLOAD_TIMEOUT, transport=transport
        )

    def close(self) -> None:
        self.api.close()
        self.storage.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
    ) -> httpx.Response:
        """Sends `method path` (relative to /api/v1) with retries; returns a 2xx response or
        raises ApiError with the response's `detail`."""
        url = f"{self.api_url}{path}"
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._send_with_retries(
            method,
            lambda: self.api.request(
                method, url, params=clean_params, json=json, data=data, files=files
            ),
        )
        if response.is_success:
            return response
        raise api_error(response, method=method, path=path)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    @contextmanager
    def stream(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> Iterator[httpx.Response]:
        """A streamed GET (exports, detections) after the same retries; raises ApiError."""
        url = f"{self.api_url}{path}"
        for attempt in range(self.max_retries + 1):
            with self.api.stream(method, url, params=params) as response:
                wait = self._retry_wait(method, response, attempt)
                if wait is None:
                    if not response.is_success:
                        response.read()
                        raise api_error(response, method=method, path=path)
                    yield response
                    return
            self.sleep(wait)

    def post_to_storage(
        self, url: str, *, fields: Mapping[str, str], file: Any, filename: str, content_type: str
    ) -> httpx.Response:
        """One presigned multipart POST: the fields, then the file (S3 wants it last). No
        retries here: the caller reopens the file and tries again."""
        return self.storage.post(
            url, data=dict(fields), files={"file": (filename, file, content_type)}
        )

    def _send_with_retries(self, method: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        for attempt in range(self.max_retries + 1):
            try:
                response = send()
            except httpx.ConnectError:
                if attempt == self.max_retries:
                    raise
                self.sleep(backoff_s(attempt))
                continue
            except (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError):
                if method not in IDEMPOTENT_METHODS or attempt == self.max_retries:
                    raise
                self.sleep(backoff_s(attempt))
                continue
            wait = self._retry_wait(method, response, attempt)
            if wait is None:
                return response
            response.close()
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_wait(self, method: str, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before another try, or None to take this response as final."""
        if attempt >= self.max_retries:
            return None
        status = response.status_code
        if status == 429:
            wait = retry_after_s(response.headers.get("Retry-After"))
            return backoff_s(attempt) if wait is None else wait
        if status == 503:
            wait = retry_after_s(response.headers.get("Retry-After"))
            return backoff_s(attempt) if wait is None else wait
        if status in (502, 504) and method in IDEMPOTENT_METHODS:
            return backoff_s(attempt)
        return None


def api_error(response: httpx.Response, *, method: str, path: str) -> ApiError:
    """An ApiError from an error response: its JSON `detail`, or the start of whatever else
    came back (a proxy's HTML page, say)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
    else:
        text = response.text.strip().splitlines()
        detail = (text[0][:200] if text else "") or response.reason_phrase
    return ApiError(response.status_code, detail, method=method, path=path)
