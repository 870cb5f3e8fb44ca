"""The local storage backend's signed endpoints: the stand-in for S3's presigned POST and GET.

Clients reach them through URLs the API hands out; the HMAC in the form fields or query string is
the only credential, exactly like an S3 policy signature. Plain Django views, not DRF: they take
multipart bodies of up to `RELAY_MAX_UPLOAD_BYTES` and stream files out.
"""

import functools
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from relay import signing
from relay.storage import (
    DOWNLOAD_PURPOSE,
    UPLOAD_PURPOSE,
    LocalObjectStore,
    get_object_store,
    inline_disposition,
)

logger = logging.getLogger(__name__)

UPLOAD_FIELDS = ("key", "content_type", "file_size", "expires")
DOWNLOAD_FIELDS = ("key", "filename", "content_type", "expires")
# Room for the form fields around the file in a multipart body.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
RANGE_PATTERN = re.compile(r"bytes=(\d*)-(\d*)")


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


class SizeCappedUploadHandler(TemporaryFileUploadHandler):
    """Spools the file to a temporary file and stops reading once it passes `max_bytes`."""

    def __init__(self, request: HttpRequest, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received_bytes = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received_bytes += len(raw_data)
        if self.received_bytes > self.max_bytes:
            self.exceeded = True
            self.file.close()  # a NamedTemporaryFile: closing removes what was written
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def _only(method: str) -> Callable:
    """Like `require_http_methods([method])`, but the 405 is JSON in the documented shape."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            allowed = {method, "HEAD"} if method == "GET" else {method}
            if request.method not in allowed:
                response = _error(405, f'Method "{request.method}" not allowed.')
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            return view(request, *args, **kwargs)

        return checked

    return decorate


def _signed_fields(source: dict, names: tuple[str, ...]) -> dict[str, str] | None:
    if not all(name in source for name in (*names, signing.SIGNATURE_FIELD)):
        return None
    return {name: source[name] for name in names}


def _is_expired(expires: str) -> bool:
    return not expires.isdigit() or int(expires) < time.time()


@csrf_exempt
@_only("POST")
def upload_view(request: HttpRequest) -> HttpResponse:
    store = get_object_store()
    if not isinstance(store, LocalObjectStore):
        return _error(404, "Uploads go straight to the S3 bucket in this deployment.")
    declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.RELAY_MAX_UPLOAD_BYTES
    if declared_length > limit + MULTIPART_OVERHEAD_BYTES:
        return _error(413, f"Upload is over the limit of {limit} bytes.")
    handler = SizeCappedUploadHandler(request, max_bytes=limit)
    request.upload_handlers = [handler]
    try:
        form, files = request.POST, request.FILES
    except Exception:
        logger.info("upload refused: unreadable multipart body")
        return _error(400, "Send multipart/form-data with every field from `fields`, then `file`.")
    if handler.exceeded:
        return _error(413, f"Upload is over the limit of {limit} bytes.")
    return _store_upload(store, form, files.get("file"))


def _store_upload(store: LocalObjectStore, form: dict, upload: object) -> HttpResponse:
    fields = _signed_fields(form, UPLOAD_FIELDS)
    if fields is None:
        return _error(400, "Send every field from `fields` unchanged, then the file as `file`.")
    if not signing.is_valid(UPLOAD_PURPOSE, fields, form[signing.SIGNATURE_FIELD]):
        return _error(403, "The upload signature does not match its fields.")
    if _is_expired(fields["expires"]):
        return _error(403, "The upload URL has expired; ask for a new one.")
    if upload is None:
        return _error(400, "The form has no `file` part; send the file last, named `file`.")
    try:
        declared_size = int(fields["file_size"])
        if upload.size > declared_size:
            return _error(413, f"File is {upload.size} bytes; {declared_size} were declared.")
        if upload.size < declared_size:
            return _error(400, f"File is {upload.size} bytes; {declared_size} were declared.")
        already = "This file has already been uploaded."
        if store.size_of(fields["key"]) is not None:
            return _error(409, already)
        # Of concurrent uploads to one URL exactly one is stored; the others are 409.
        if not store.save_new_file(fields["key"], Path(upload.temporary_file_path())):
            return _error(409, already)
    finally:
        if upload is not None:
            upload.close()
    logger.info("local upload stored (%d bytes)", declared_size)
    return HttpResponse(status=204)


@_only("GET")
def download_view(request: HttpRequest) -> HttpResponse:
    store = get_object_store()
    if not isinstance(store, LocalObjectStore):
        return _error(404, "Files are served by the S3 bucket in this deployment.")
    fields = _signed_fields(request.GET, DOWNLOAD_FIELDS)
    if fields is None or not signing.is_valid(
        DOWNLOAD_PURPOSE, fields, request.GET[signing.SIGNATURE_FIELD]
    ):
        return _error(403, "The download signature does not match its parameters.")
    if _is_expired(fields["expires"]):
        return _error(403, "The download URL has expired; ask for a new one.")
    path = store.path(fields["key"])
    if not path.is_file():
        return _error(404, "File not found")
    return _file_response(
        request, path, content_type=fields["content_type"], filename=fields["filename"]
    )


def _file_response(
    request: HttpRequest, path: Path, *, content_type: str, filename: str
) -> HttpResponse:
    """The file, or the single byte range asked for: browsers seek audio with Range requests."""
    size = path.stat().st_size
    match = RANGE_PATTERN.fullmatch(request.headers.get("Range", "").strip())
    if match is None or not any(match.groups()):
        response = FileResponse(path.open("rb"), content_type=content_type)
    else:
        first, last = _byte_range(match, size)
        if first is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle = path.open("rb")
        handle.seek(first)
        if last == size - 1:  # the usual "bytes=N-": stream the rest without loading it
            response = FileResponse(handle, status=206, content_type=content_type)
        else:
            with handle:
                body = handle.read(last - first + 1)
            response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = inline_disposition(filename)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _byte_range(match: re.Match, size: int) -> tuple[int | None, int]:
    first_text, last_text = match.groups()
    if first_text:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
    else:  # "bytes=-N": the last N bytes
        first, last = max(size - int(last_text), 0), size - 1
    if first > last or first >= size:
        return None, 0
    return first, last
