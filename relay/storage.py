"""Object storage for audio and everything derived from it: a local folder or an S3 bucket.

Both backends give clients the same upload flow: a URL plus form `fields` to POST, with the file
last. For S3 that is a real presigned POST whose policy binds the key, content type and exact size;
for the local folder the app serves an equivalent endpoint that checks an HMAC over the same facts
(`relay.uploads`). Keys are built by the app from ids, never from user filenames.
"""

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from relay import signing
from relay.filenames import content_disposition
from relay.proxies import link_base_url

logger = logging.getLogger(__name__)

UPLOAD_PURPOSE = "upload"
DOWNLOAD_PURPOSE = "download"


@dataclass(frozen=True)
class UploadTarget:
    url: str
    fields: dict[str, str]
    expires_in: int


class ObjectStore(Protocol):
    def presign_upload(
        self, *, key: str, content_type: str, size_bytes: int, expires_in: int
    ) -> UploadTarget: ...

    def size_of(self, key: str) -> int | None:
        """The stored object's size, or None when there is none."""

    def open(self, key: str) -> IO[bytes]: ...

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A path to the object's bytes on this machine, for as long as the block runs."""

    def save_file(self, key: str, path: Path) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def download_url(self, *, key: str, filename: str, content_type: str, expires_in: int) -> str:
        """A URL that plays or downloads the object without an API key, until it expires."""


def _absolute(path: str) -> str:
    return link_base_url() + path


class LocalObjectStore:
    """Objects as files under `RELAY_DATA_DIR/files`; uploads and downloads through signed URLs
    that the app serves itself."""

    def __init__(self, root: Path) -> None:
        self.storage = FileSystemStorage(location=root)

    def presign_upload(
        self, *, key: str, content_type: str, size_bytes: int, expires_in: int
    ) -> UploadTarget:
        fields = {
            "key": key,
            "content_type": content_type,
            "file_size": str(size_bytes),
            "expires": str(int(time.time()) + expires_in),
        }
        fields[signing.SIGNATURE_FIELD] = signing.sign(UPLOAD_PURPOSE, fields)
        return UploadTarget(_absolute(reverse("storage-upload")), fields, expires_in)

    def size_of(self, key: str) -> int | None:
        return self.storage.size(key) if self.storage.exists(key) else None

    def open(self, key: str) -> IO[bytes]:
        return self.storage.open(key, "rb")

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield Path(self.storage.path(key))

    def path(self, key: str) -> Path:
        return Path(self.storage.path(key))

    def save_file(self, key: str, path: Path) -> None:
        """Store (or replace) the object: copied to a sibling of its own, then renamed, so
        readers never see a half-written object and concurrent writers never share a file."""
        target = self.path(key)
        partial = self._partial_copy(target, path)
        partial.replace(target)

    def save_new_file(self, key: str, path: Path) -> bool:
        """Store the object unless it exists, atomically: of concurrent callers exactly one
        gets True and its bytes are stored; the others get False and leave nothing behind."""
        target = self.path(key)
        partial = self._partial_copy(target, path)
        try:
            os.link(partial, target)  # fails when the target exists: the atomic "if absent"
        except FileExistsError:
            return False
        finally:
            partial.unlink()
        return True

    @staticmethod
    def _partial_copy(target: Path, source: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
        os.close(handle)
        partial = Path(name)
        try:
            shutil.copyfile(source, partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return partial

    def delete_prefix(self, prefix: str) -> None:
        folder = self.path(prefix)
        if folder.is_dir():
            shutil.rmtree(folder)

    def download_url(self, *, key: str, filename: str, content_type: str, expires_in: int) -> str:
        fields = {
            "key": key,
            "filename": filename,
            "content_type": content_type,
            "expires": str(int(time.time()) + expires_in),
        }
        fields[signing.SIGNATURE_FIELD] = signing.sign(DOWNLOAD_PURPOSE, fields)
        return _absolute(reverse("storage-download")) + "?" + urlencode(fields)


class S3ObjectStore:
    """Objects in an S3-compatible bucket through django-storages and boto3."""

    def __init__(self) -> None:
        from storages.backends.s3 import S3Storage

        self.storage = S3Storage(
            bucket_name=settings.RELAY_S3_BUCKET,
            endpoint_url=settings.RELAY_S3_ENDPOINT_URL or None,
            region_name=settings.RELAY_S3_REGION or None,
            file_overwrite=True,
            default_acl=None,
            querystring_auth=True,
        )

    @property
    def client(self):
        return self.storage.connection.meta.client

    def presign_upload(
        self, *, key: str, content_type: str, size_bytes: int, expires_in: int
    ) -> UploadTarget:
        post = self.client.generate_presigned_post(
            Bucket=settings.RELAY_S3_BUCKET,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", size_bytes, size_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return UploadTarget(post["url"], post["fields"], expires_in)

    def size_of(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=settings.RELAY_S3_BUCKET, Key=key)
        except self.client.exceptions.ClientError:
            return None
        return int(head["ContentLength"])

    def open(self, key: str) -> IO[bytes]:
        return self.storage.open(key, "rb")

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="relay-s3-") as folder:
            path = Path(folder) / "object"
            self.client.download_file(settings.RELAY_S3_BUCKET, key, str(path))
            yield path

    def save_file(self, key: str, path: Path) -> None:
        with path.open("rb") as handle:
            self.storage.save(key, File(handle))

    def delete_prefix(self, prefix: str) -> None:
        bucket = self.storage.bucket
        bucket.objects.filter(Prefix=prefix.rstrip("/") + "/").delete()

    def download_url(self, *, key: str, filename: str, content_type: str, expires_in: int) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": settings.RELAY_S3_BUCKET,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": inline_disposition(filename),
            },
            ExpiresIn=expires_in,
        )


def inline_disposition(filename: str) -> str:
    return content_disposition("inline", filename)


def get_object_store() -> ObjectStore:
    if settings.RELAY_STORAGE == "s3":
        return S3ObjectStore()
    return LocalObjectStore(settings.MEDIA_ROOT)
