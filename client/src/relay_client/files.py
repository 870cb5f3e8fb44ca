"""Local files to upload: which ones a command line names, what they are called on the server,
their content types and checksums, and per-file metadata from a sidecar CSV or JSON file."""

import csv
import glob
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from relay_client.errors import RelayError

# The formats the server accepts, by extension (docs/api.md, "Audio files").
CONTENT_TYPES = {
    ".wav": "audio/wav",
    ".wave": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".webm": "audio/webm",
}
NAME_COLUMNS = ("filename", "file", "path", "name")


@dataclass(frozen=True)
class LocalFile:
    path: Path
    name: str  # the filename on the server: the path below the folder named, or the basename
    size: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return content_type_for(self.name)


def content_type_for(name: str) -> str:
    """The content type the server expects for this extension; unknown extensions are sent as
    application/octet-stream and the server's 422 names the accepted ones."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def sha256_of(path: Path, *, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def _is_hidden(relative: PurePosixPath) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def discover(arguments: Sequence[str]) -> list[LocalFile]:
    """The files a command line names, in a stable order.

    - A folder: every audio file below it (by extension, hidden files and folders left out),
      named by its path below the folder (`speaker1/take1.wav`), so names stay unique.
    - A file: that file (any extension: the server says what it refuses), by its basename.
    - Anything else is a glob (`takes/*.wav`, `**/*.flac`), each match by its basename.

    Raises RelayError for an argument that names nothing, or when two files would get the same
    name on the server."""
    found: dict[Path, LocalFile] = {}
    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = PurePosixPath(child.relative_to(path).as_posix())
                if (
                    child.is_file()
                    and not _is_hidden(relative)
                    and child.suffix.lower() in (CONTENT_TYPES)
                ):
                    found.setdefault(child.resolve(), _local(child, str(relative)))
        elif path.is_file():
            found.setdefault(path.resolve(), _local(path, path.name))
        else:
            matches = sorted(Path(match) for match in glob.glob(argument, recursive=True))
            files = [match for match in matches if match.is_file()]
            if not files:
                raise RelayError(f"{argument}: no such file, folder or matching file")
            for match in files:
                found.setdefault(match.resolve(), _local(match, match.name))
    files = list(found.values())
    _refuse_duplicate_names(files)
    return files


def _local(path: Path, name: str) -> LocalFile:
    return LocalFile(path=path, name=name, size=path.stat().st_size)


def _refuse_duplicate_names(files: Iterable[LocalFile]) -> None:
    by_name: dict[str, list[Path]] = {}
    for local in files:
        by_name.setdefault(local.name, []).append(local.path)
    clashes = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if clashes:
        name, paths = next(iter(clashes.items()))
        listed = ", ".join(str(path) for path in paths[:3])
        raise RelayError(
            f"{len(clashes)} name(s) would be uploaded twice, e.g. {name!r} from {listed}; "
            "upload their folder instead, so that each is named by its path below it"
        )


def parse_key_values(pairs: Iterable[str], *, option: str) -> dict[str, str]:
    """`key=value` strings to a dict; RelayError naming the option for a pair without `=`."""
    result = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise RelayError(f"{option} takes key=value, got {pair!r}")
        result[key.strip()] = value
    return result


def read_sidecar(path: Path) -> dict[str, dict[str, Any]]:
    """Per-file metadata from a sidecar file, keyed by filename.

    CSV: a header with a filename column (`filename`, `file`, `path` or `name`); every other
    column is a metadata key, empty cells are left out. JSON: `{"take1.wav": {...}, ...}` or a
    list of objects that each carry a filename key."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        return _sidecar_from_json(json.loads(text), path)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        return {}
    column = _name_column(rows[0].keys(), path)
    return {
        row[column]: {
            key: value for key, value in row.items() if key != column and key and value not in ("",)
        }
        for row in rows
        if row.get(column)
    }


def _name_column(columns: Iterable[str | None], path: Path) -> str:
    present = [column for column in columns if column]
    for wanted in NAME_COLUMNS:
        for column in present:
            if column.strip().lower() == wanted:
                return column
    raise RelayError(f"{path}: no filename column (one of {', '.join(NAME_COLUMNS)})")


def _sidecar_from_json(data: Any, path: Path) -> dict[str, dict[str, Any]]:
    if isinstance(data, dict) and all(isinstance(value, dict) for value in data.values()):
        return {str(name): dict(value) for name, value in data.items()}
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        result = {}
        for item in data:
            column = _name_column(item.keys(), path)
            result[str(item[column])] = {k: v for k, v in item.items() if k != column}
        return result
    raise RelayError(
        f"{path}: expected an object of filename → metadata, or a list of objects with a filename"
    )


def with_metadata(
    files: Sequence[LocalFile],
    *,
    common: Mapping[str, Any],
    sidecar: Mapping[str, Mapping[str, Any]],
) -> list[LocalFile]:
    """Each file with `common` metadata, then its sidecar entry (looked up by its server name,
    then its basename, then its path as given) on top."""
    result = []
    for local in files:
        entry = (
            sidecar.get(local.name)
            or sidecar.get(local.path.name)
            or sidecar.get(os.fspath(local.path))
            or {}
        )
        metadata = {**common, **entry}
        result.append(LocalFile(local.path, local.name, local.size, metadata))
    return result
