"""Detections as downloadable files, produced lazily: Relay's JSON, CSV, and the DCASE TSV that
sed_eval and ../shared/bench/score.py read. No Django imports."""

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

FORMATS = ("json", "csv", "dcase")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "dcase": "text/tab-separated-values; charset=utf-8",
}
EXTENSIONS = {"json": "json", "csv": "csv", "dcase": "tsv"}
CSV_COLUMNS = ("file_id", "filename", "artifact_type", "start_ms", "end_ms", "confidence")
DCASE_COLUMNS = ("filename", "onset", "offset", "event_label")
FORMULA_STARTS = frozenset("=+-@\t\r")
BLOCK_CHARS = 64 * 1024


def seconds_text(ms: int) -> str:
    """`1250` → `"1.250"`, in integer arithmetic so no float ever rounds the wrong way."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def render(
    label_format: str, rows: Iterable[Mapping[str, Any]], *, job: Mapping[str, Any]
) -> Iterator[bytes]:
    """UTF-8 blocks of the file. `job` (the job as the API shows it) heads the JSON format."""
    if label_format == "json":
        return _encoded(_json(rows, job=job))
    return _encoded({"csv": _csv, "dcase": _dcase}[label_format](rows))


def _json(rows: Iterable[Mapping[str, Any]], *, job: Mapping[str, Any]) -> Iterator[str]:
    """`{"job": {…}, "detections": [{file_id, filename, artifact_type, start_ms, end_ms,
    confidence}, …]}`, one detection per line."""
    yield '{"job": ' + json.dumps(job, ensure_ascii=False, default=str)
    yield ', "detections": ['
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(dict(row), ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"


def _guard_formula(text: str) -> str:
    # A spreadsheet would run a cell that starts like a formula; a quote keeps it text.
    return "'" + text if text and (text[0] in FORMULA_STARTS or text[0] == "'") else text


def _csv(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row["file_id"],
                _guard_formula(row["filename"]),
                row["artifact_type"],
                row["start_ms"],
                row["end_ms"],
                repr(row["confidence"]),
            )
        )
        if buffer.tell() >= BLOCK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _tsv_cell(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)


def _dcase(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """`filename onset offset event_label`, tab-separated, in seconds."""
    yield "\t".join(DCASE_COLUMNS) + "\n"
    for row in rows:
        cells = (
            row["filename"],
            seconds_text(row["start_ms"]),
            seconds_text(row["end_ms"]),
            row["artifact_type"],
        )
        yield "\t".join(map(_tsv_cell, cells)) + "\n"


def _encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    block, size = [], 0
    for piece in pieces:
        block.append(piece)
        size += len(piece)
        if size >= BLOCK_CHARS:
            yield "".join(block).encode("utf-8")
            block, size = [], 0
    if block:
        yield "".join(block).encode("utf-8")
