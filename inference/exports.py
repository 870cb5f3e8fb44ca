"""Detections as downloadable files, produced lazily: Relay's JSON, CSV, and the label formats
annotation sets export (annotations.label_formats): the DCASE TSV that sed_eval reads, Audacity
label tracks (a zip, one track per file) and a Raven selection table. No Django imports."""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from annotations import label_formats

FORMATS = label_formats.FORMATS
# The same files as annotation exports, so the same types and extensions.
CONTENT_TYPES = label_formats.CONTENT_TYPES
EXTENSIONS = label_formats.EXTENSIONS
CSV_COLUMNS = ("file_id", "filename", "artifact_type", "start_ms", "end_ms", "confidence")
FORMULA_STARTS = frozenset("=+-@\t\r")
BLOCK_CHARS = 64 * 1024
ZIP_SPOOL_BYTES = 8 * 1024 * 1024


def render(
    label_format: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    job: Mapping[str, Any],
    files: Iterable[tuple[str, str]] = (),
) -> Iterator[bytes]:
    """UTF-8 blocks of the file (zip bytes for audacity). `job` (the job as the API shows it)
    heads the JSON format; `files`, `(file_id, filename)` of every file with detections, names
    the Audacity tracks."""
    if label_format == "json":
        return _encoded(_json(rows, job=job))
    if label_format == "csv":
        return _encoded(_csv(rows))
    label_rows = map(_label_row, rows)
    if label_format == "audacity":
        return label_formats.audacity_zip_blocks(
            label_rows,
            member_names=label_formats.audacity_member_names(files),
            block_bytes=BLOCK_CHARS,
            spool_bytes=ZIP_SPOOL_BYTES,
        )
    render_text = {"dcase": label_formats.render_dcase, "raven": label_formats.render_raven}
    return _encoded(render_text[label_format](label_rows))


def _label_row(row: Mapping[str, Any]) -> label_formats.ExportRow:
    """A detection as the annotation exporters take it: its file in place of an audio file."""
    return label_formats.ExportRow(
        audio_file_id=row["file_id"],
        filename=row["filename"],
        artifact_type=row["artifact_type"],
        start_ms=row["start_ms"],
        end_ms=row["end_ms"],
        confidence=row["confidence"],
        note="",
    )


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
