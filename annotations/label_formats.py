"""Label files in the formats audio people use: render annotation rows, parse them back. No Django.

Times are whole milliseconds inside Relay and seconds in every format that writes seconds: exported
with exactly three decimals, parsed to the nearest millisecond. Parsers report problems per line
and per field (named after the annotation field, `start_ms`, `artifact_type`…, whatever the column
is called in the file) and keep going, so one pass reports every bad row. A file that cannot be
read at all (not UTF-8, a damaged zip, a header that is not the format's) raises `LabelFileError`.
"""

import csv
import io
import json
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import IO

from relay.errors import FIELD_REQUIRED

FORMATS = ("json", "csv", "dcase", "audacity", "raven")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "dcase": "text/tab-separated-values; charset=utf-8",
    "audacity": "application/zip",
    "raven": "text/tab-separated-values; charset=utf-8",
}
EXTENSIONS = {
    "json": "json",
    "csv": "csv",
    "dcase": "tsv",
    "audacity": "zip",
    "raven": "selections.txt",
}

CSV_COLUMNS = (
    "filename",
    "audio_file_id",
    "artifact_type",
    "start_ms",
    "end_ms",
    "confidence",
    "note",
)
DCASE_COLUMNS = ("filename", "onset", "offset", "event_label")
RAVEN_COLUMNS = (
    "Selection",
    "View",
    "Channel",
    "Begin Time (s)",
    "End Time (s)",
    "Low Freq (Hz)",
    "High Freq (Hz)",
    "Begin File",
    "Annotation",
)
RAVEN_VIEW = "Spectrogram 1"
# Relay's normalized audio is 16 kHz, so a selection spans the whole band up to 8 kHz.
RAVEN_HIGH_FREQ_HZ = 8000

# Larger than any audio Relay accepts; refused before turning "1e999999" into a huge integer.
MAX_TIME_MS = 10**10
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = frozenset("=+-@\t\r")
UUID_SUFFIX = re.compile(
    r"^(?P<name>.*) \((?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)$"
)
SECONDS_PATTERN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
INTEGER_PATTERN = re.compile(r"[+-]?\d+")
PLAIN_SECONDS_PATTERN = re.compile(r"(\d+)(?:\.(\d{0,3}))?")
# A zip with entries, and an empty one.
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


class LabelFileError(ValueError):
    """The file as a whole cannot be read; `error_type` is an API error type."""

    def __init__(self, message: str, error_type: str = "value_error.unreadable") -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(frozen=True)
class ExportRow:
    """One stored annotation with its audio file's name."""

    audio_file_id: str
    filename: str
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: float
    note: str


@dataclass(frozen=True)
class ParsedRow:
    """One data row of a label file. A field that failed to parse is None, with its error in
    `ParsedFile.errors`; `confidence` is also None when the format carries none.

    `member` names the file inside a zip the row came from ("" otherwise). `match_stem` says the
    filename may be an audio file's name without its extension (Audacity's `take1.txt`).
    """

    line: int
    filename: str | None = None
    audio_file_id: str | None = None
    artifact_type: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    confidence: float | None = None
    note: str = ""
    member: str = ""
    match_stem: bool = False


@dataclass(frozen=True)
class ParseError:
    line: int
    field: str
    message: str
    member: str = ""
    error_type: str = "value_error.invalid"


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


# --- seconds and milliseconds: the one place each way


def seconds_text(ms: int) -> str:
    """`1250` → `"1.250"`, in integer arithmetic so no float ever rounds the wrong way."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def ms_from_seconds(text: str) -> int:
    """Seconds as written in a label file, to the nearest millisecond; ValueError says why not."""
    text = text.strip()
    plain = PLAIN_SECONDS_PATTERN.fullmatch(text)
    if plain and len(plain[1]) <= 10:  # the usual "12.345": whole milliseconds, no rounding
        return int(plain[1]) * 1000 + int((plain[2] or "").ljust(3, "0"))
    if not SECONDS_PATTERN.fullmatch(text):
        raise ValueError(f"must be a number of seconds, like 1.25 (got {text!r})")
    try:
        seconds = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"must be a number of seconds, like 1.25 (got {text!r})") from None
    if seconds < 0:
        raise ValueError(f"must be 0 or more (got {text})")
    if seconds > MAX_TIME_MS // 1000:
        raise ValueError(f"is too large (got {text})")
    return int((seconds * 1000).to_integral_value(rounding=ROUND_HALF_UP))


def _ms_from_integer(text: str) -> int:
    text = text.strip()
    if not INTEGER_PATTERN.fullmatch(text):
        raise ValueError(f"must be a whole number of milliseconds (got {text!r})")
    value = int(text)
    if value < 0:
        raise ValueError(f"must be 0 or more (got {value})")
    if value > MAX_TIME_MS:
        raise ValueError(f"is too large (got {value})")
    return value


# --- rendering


def render_csv(rows: Iterable[ExportRow]) -> Iterator[str]:
    """A header, then one line per row; free text is guarded against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for row in rows:
        writer.writerow(
            (
                _guard_formula(row.filename),
                row.audio_file_id,
                _guard_formula(row.artifact_type),
                row.start_ms,
                row.end_ms,
                repr(row.confidence),
                _guard_formula(row.note),
            )
        )
        yield flush()


def _guard_formula(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run, and to text that already starts with one,
    so that `_unguard_formula` gives back exactly the original."""
    if text and (text[0] in FORMULA_STARTS or text[0] == "'"):
        return "'" + text
    return text


def _unguard_formula(text: str) -> str:
    if len(text) >= 2 and text[0] == "'" and (text[1] in FORMULA_STARTS or text[1] == "'"):
        return text[1:]
    return text


def _tsv_cell(text: str) -> str:
    # Tabs and line breaks would split the cell; label text never needs them.
    return re.sub(r"[\t\r\n]+", " ", text)


def render_dcase(rows: Iterable[ExportRow]) -> Iterator[str]:
    """`filename onset offset event_label`, tab-separated, seconds: what sed_eval reads."""
    yield "\t".join(DCASE_COLUMNS) + "\n"
    for row in rows:
        cells = (
            row.filename,
            seconds_text(row.start_ms),
            seconds_text(row.end_ms),
            row.artifact_type,
        )
        yield "\t".join(map(_tsv_cell, cells)) + "\n"


def render_raven(rows: Iterable[ExportRow]) -> Iterator[str]:
    """A Raven selection table; times are relative to each row's `Begin File`."""
    yield "\t".join(RAVEN_COLUMNS) + "\n"
    for selection, row in enumerate(rows, start=1):
        cells = (
            str(selection),
            RAVEN_VIEW,
            "1",
            seconds_text(row.start_ms),
            seconds_text(row.end_ms),
            "0",
            str(RAVEN_HIGH_FREQ_HZ),
            row.filename,
            row.artifact_type,
        )
        yield "\t".join(map(_tsv_cell, cells)) + "\n"


def render_json(
    rows: Iterable[ExportRow], *, annotation_set: Mapping[str, object]
) -> Iterator[str]:
    """`{"annotation_set": {…}, "annotations": [{…}, …]}`, one annotation per line."""
    yield '{"annotation_set": ' + json.dumps(annotation_set, ensure_ascii=False)
    yield ', "annotations": ['
    separator = "\n"
    for row in rows:
        item = {
            "audio_file_id": row.audio_file_id,
            "filename": row.filename,
            "artifact_type": row.artifact_type,
            "start_ms": row.start_ms,
            "end_ms": row.end_ms,
            "confidence": row.confidence,
            "note": row.note,
        }
        yield separator + json.dumps(item, ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"


def audacity_line(row: ExportRow) -> str:
    """One line of an Audacity label track: `start end label`, tab-separated, seconds."""
    start, end = seconds_text(row.start_ms), seconds_text(row.end_ms)
    return f"{start}\t{end}\t{_tsv_cell(row.artifact_type)}\n"


def audacity_member_names(audio: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A zip member name for each `(audio_file_id, filename)`: `<stem>.txt`; `<filename>.txt`
    where two files share a stem; `<filename> (<audio_file_id>).txt` where they share the whole
    name. Each maps back to its audio on import (see `parse_audacity`)."""
    audio = list(audio)
    safe = {audio_id: _safe_member_name(filename) for audio_id, filename in audio}
    stems: dict[str, int] = {}
    names: dict[str, int] = {}
    for name in safe.values():
        stem = PurePosixPath(name).stem or name
        stems[stem.casefold()] = stems.get(stem.casefold(), 0) + 1
        names[name.casefold()] = names.get(name.casefold(), 0) + 1
    members = {}
    for audio_id, name in safe.items():
        stem = PurePosixPath(name).stem or name
        if stems[stem.casefold()] == 1:
            members[audio_id] = f"{stem}.txt"
        elif names[name.casefold()] == 1:
            members[audio_id] = f"{name}.txt"
        else:
            members[audio_id] = f"{name} ({audio_id}).txt"
    return members


def _safe_member_name(filename: str) -> str:
    # A name with a slash would make a folder, or climb out of one, when the zip is unpacked.
    name = re.sub(r"[/\\\x00-\x1f]", "_", filename).strip()
    return "_" if name in {"", ".", ".."} else name


def write_audacity_zip(
    rows: Iterable[ExportRow], *, member_names: Mapping[str, str], out: IO[bytes]
) -> None:
    """One label track per audio file into a zip written to `out`; rows come grouped by audio."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        member = None
        current = None
        try:
            for row in rows:
                if row.audio_file_id != current:
                    if member is not None:
                        member.close()
                    current = row.audio_file_id
                    member = archive.open(member_names[current], "w")
                member.write(audacity_line(row).encode("utf-8"))
        finally:
            if member is not None:
                member.close()


def audacity_zip_blocks(
    rows: Iterable[ExportRow],
    *,
    member_names: Mapping[str, str],
    block_bytes: int,
    spool_bytes: int,
) -> Iterator[bytes]:
    """`write_audacity_zip` as blocks of bytes, spooled to disk past `spool_bytes`."""
    with tempfile.SpooledTemporaryFile(max_size=spool_bytes) as spool:
        write_audacity_zip(rows, member_names=member_names, out=spool)
        spool.seek(0)
        while block := spool.read(block_bytes):
            yield block


# --- parsing


def decode_text(data: bytes) -> str:
    """UTF-8 text without a byte-order mark; LabelFileError otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LabelFileError(
            f"The file is not UTF-8 text (bad byte at offset {error.start}); save it as UTF-8.",
            "value_error.encoding",
        ) from None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """`(line number, line)` with any of \\n, \\r\\n or \\r as line ends."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        yield number, line.rstrip("\n")


class _Rows:
    """Collects rows and errors, and stops the parse past `max_rows` rows."""

    def __init__(self, max_rows: int, member: str = "") -> None:
        self.parsed = ParsedFile()
        self.max_rows = max_rows
        self.member = member

    def fail(self, line: int, field_name: str, message: str, error_type: str) -> None:
        self.parsed.errors.append(ParseError(line, field_name, message, self.member, error_type))

    def add(self, row: ParsedRow) -> None:
        if len(self.parsed.rows) >= self.max_rows:
            raise LabelFileError(
                f"The file has more than {self.max_rows} rows; split it into smaller files.",
                "value_error.max_rows",
            )
        self.parsed.rows.append(row)

    def seconds(self, line: int, field_name: str, column: str, text: str) -> int | None:
        try:
            return ms_from_seconds(text)
        except ValueError as error:
            error_type = (
                "value_error.min_value" if "0 or more" in str(error) else "type_error.number"
            )
            self.fail(line, field_name, f"{column} {error}", error_type)
            return None

    def order(self, line: int, start_ms: int | None, end_ms: int | None, what: str) -> None:
        if start_ms is not None and end_ms is not None and end_ms <= start_ms:
            self.fail(line, "end_ms", f"{what} must be after the start", "value_error.order")


def parse_csv(data: bytes, *, max_rows: int) -> ParsedFile:
    """Relay's CSV: a header naming some of CSV_COLUMNS (artifact_type, start_ms, end_ms and
    filename or audio_file_id required), then one row per annotation."""
    reader = csv.reader(io.StringIO(decode_text(data), newline=""), strict=True)
    collected = _Rows(max_rows)
    try:
        header = _csv_header(reader)
        position = {name: index for index, name in enumerate(header)}
        line = reader.line_num + 1
        for cells in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            collected.add(_csv_row(collected, row_line, cells, position, len(header)))
    except csv.Error as error:
        raise LabelFileError(
            f"The CSV is malformed at line {reader.line_num}: {error}", "value_error.csv"
        ) from None
    return collected.parsed


def _csv_header(reader: Iterator[list[str]]) -> list[str]:
    for cells in reader:
        if any(cell.strip() for cell in cells):
            break
    else:
        raise LabelFileError("The file is empty; expected a CSV header line.", "value_error.empty")
    header = [cell.strip().lower() for cell in cells]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise LabelFileError(
            f"Unknown CSV column(s) {', '.join(map(repr, unknown))}; the header may name "
            f"{', '.join(CSV_COLUMNS)}.",
            "value_error.header",
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise LabelFileError(f"The CSV header repeats {', '.join(repeated)}.", "value_error.header")
    missing = [name for name in ("artifact_type", "start_ms", "end_ms") if name not in header]
    if not {"filename", "audio_file_id"} & set(header):
        missing.append("filename or audio_file_id")
    if missing:
        raise LabelFileError(
            f"The CSV header lacks {', '.join(missing)}; the first line must name the columns.",
            "value_error.header",
        )
    return header


def _csv_row(
    collected: _Rows, line: int, cells: list[str], position: dict[str, int], width: int
) -> ParsedRow:
    if len(cells) != width:
        collected.fail(
            line,
            "row",
            f"Expected {width} columns like the header, got {len(cells)}",
            "value_error.columns",
        )

    def cell(name: str) -> str:
        index = position.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    filename = _unguard_formula(cell("filename"))
    audio_file_id = cell("audio_file_id").strip()
    if not filename.strip() and not audio_file_id:
        collected.fail(line, "filename", "Give filename or audio_file_id", "value_error.missing")
    times = {}
    for name in ("start_ms", "end_ms"):
        try:
            times[name] = _ms_from_integer(cell(name))
        except ValueError as error:
            error_type = (
                "value_error.min_value" if "0 or more" in str(error) else "type_error.integer"
            )
            collected.fail(line, name, f"{name} {error}", error_type)
            times[name] = None
    collected.order(line, times["start_ms"], times["end_ms"], "end_ms")
    confidence = None
    raw_confidence = cell("confidence").strip()
    if raw_confidence:
        try:
            confidence = float(raw_confidence)
        except ValueError:
            collected.fail(
                line,
                "confidence",
                f"confidence must be a number (got {raw_confidence!r})",
                "type_error.number",
            )
    artifact_type = _unguard_formula(cell("artifact_type")).strip()
    if not artifact_type:
        collected.fail(line, "artifact_type", FIELD_REQUIRED, "value_error.missing")
    return ParsedRow(
        line=line,
        filename=filename or None,
        audio_file_id=audio_file_id or None,
        artifact_type=artifact_type or None,
        start_ms=times["start_ms"],
        end_ms=times["end_ms"],
        confidence=confidence,
        note=_unguard_formula(cell("note")),
    )


def parse_dcase(data: bytes, *, max_rows: int) -> ParsedFile:
    """DCASE event lists: `filename onset offset event_label`, tab-separated, seconds, with or
    without the header. A line holding only a filename (a file without events) is skipped."""
    collected = _Rows(max_rows)
    seen_first = False
    for line, text in _lines(decode_text(data)):
        if not text.strip():
            continue
        cells = text.split("\t")
        if not seen_first:
            seen_first = True
            if _is_dcase_header(cells):
                continue
        if len(cells) == 1 or (len(cells) == 4 and not "".join(cells[1:]).strip()):
            continue
        if len(cells) != 4:
            collected.fail(
                line,
                "row",
                f"Expected 4 tab-separated columns ({' '.join(DCASE_COLUMNS)}), got {len(cells)}",
                "value_error.columns",
            )
            continue
        filename, onset, offset, label = cells
        if not filename.strip():
            collected.fail(line, "filename", FIELD_REQUIRED, "value_error.missing")
        start_ms = collected.seconds(line, "start_ms", "onset", onset)
        end_ms = collected.seconds(line, "end_ms", "offset", offset)
        collected.order(line, start_ms, end_ms, "offset")
        if not label.strip():
            collected.fail(line, "artifact_type", "event_label is empty", "value_error.missing")
        collected.add(
            ParsedRow(
                line=line,
                filename=filename or None,
                artifact_type=label.strip() or None,
                start_ms=start_ms,
                end_ms=end_ms,
            )
        )
    return collected.parsed


def _is_dcase_header(cells: list[str]) -> bool:
    """True for the standard header; LabelFileError for a first line that is no header of ours
    and no data either (both times are words)."""
    names = tuple(cell.strip().lower() for cell in cells)
    if names == DCASE_COLUMNS:
        return True
    if len(cells) == 4 and not any(SECONDS_PATTERN.fullmatch(c.strip()) for c in cells[1:3]):
        raise LabelFileError(
            f"Unknown header {' '.join(map(repr, cells))}; DCASE files have no header or "
            f"'{chr(9).join(DCASE_COLUMNS)}' (tab-separated).",
            "value_error.header",
        )
    return False


def parse_audacity_track(
    data: bytes, *, name: str, collected: "_Rows | None" = None, max_rows: int = 0
) -> ParsedFile:
    """One Audacity label track; `name` (the .txt file's name) names its audio file."""
    collected = collected or _Rows(max_rows)
    base = PurePosixPath(name.replace("\\", "/")).name
    stem = base[:-4] if base.lower().endswith(".txt") else base
    audio_file_id = None
    match = UUID_SUFFIX.match(stem)
    if match:
        stem, audio_file_id = match["name"], match["id"].lower()
    for line, text in _lines(decode_text(data)):
        # Lines starting with a backslash carry a spectral selection's frequencies.
        if not text.strip() or text.startswith("\\"):
            continue
        cells = text.split("\t")
        if len(cells) < 2:
            collected.fail(
                line,
                "row",
                "Expected start, end and label separated by tabs",
                "value_error.columns",
            )
            continue
        start_ms = collected.seconds(line, "start_ms", "start", cells[0])
        end_ms = collected.seconds(line, "end_ms", "end", cells[1])
        collected.order(line, start_ms, end_ms, "end (a point label has none)")
        label = "\t".join(cells[2:]).strip()
        if not label:
            collected.fail(line, "artifact_type", "The label is empty", "value_error.missing")
        collected.add(
            ParsedRow(
                line=line,
                filename=stem,
                audio_file_id=audio_file_id,
                artifact_type=label or None,
                start_ms=start_ms,
                end_ms=end_ms,
                member=collected.member,
                match_stem=True,
            )
        )
    return collected.parsed


def parse_audacity(data: bytes, *, name: str, max_rows: int, max_text_bytes: int) -> ParsedFile:
    """A zip of label tracks, one `<audio name>.txt` per audio file, or a single track whose name
    names its audio. Members outside the zip's label files (folders, `__MACOSX`) are skipped."""
    if data[:4] not in ZIP_SIGNATURES:
        return parse_audacity_track(data, name=name, max_rows=max_rows)
    collected = _Rows(max_rows)
    remaining = max_text_bytes
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if _is_label_member(info)]
            if not members:
                raise LabelFileError("The zip holds no .txt label files.", "value_error.empty")
            for info in members:
                with archive.open(info) as handle:
                    text = handle.read(remaining + 1)
                remaining -= len(text)
                if remaining < 0:
                    raise LabelFileError(
                        f"The zip's label files hold more than {max_text_bytes} bytes.",
                        "value_error.max_size",
                    )
                collected.member = PurePosixPath(info.filename).name
                parse_audacity_track(text, name=collected.member, collected=collected)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as error:
        raise LabelFileError(f"The zip file is damaged: {error}", "value_error.zip") from None
    except (RuntimeError, NotImplementedError) as error:
        # Encrypted members, or a compression method zipfile cannot read.
        raise LabelFileError(f"The zip file cannot be read: {error}", "value_error.zip") from None
    return collected.parsed


def _is_label_member(info: zipfile.ZipInfo) -> bool:
    path = PurePosixPath(info.filename)
    hidden = path.name.startswith(".") or "__MACOSX" in path.parts
    return not info.is_dir() and not hidden and path.suffix.lower() == ".txt"


def parse_raven(data: bytes, *, max_rows: int) -> ParsedFile:
    """A Raven selection table: `Begin File`, `Begin Time (s)`, `End Time (s)` and `Annotation`
    (the artifact type) are required. With a `File Offset (s)` column, times are taken relative
    to the Begin File from it. A selection listed once per view is read once."""
    collected = _Rows(max_rows)
    lines = _lines(decode_text(data))
    header = next(((line, text) for line, text in lines if text.strip()), None)
    if header is None:
        raise LabelFileError(
            "The file is empty; expected a Raven header line.", "value_error.empty"
        )
    columns = [cell.strip() for cell in header[1].split("\t")]
    required = ("Begin File", "Begin Time (s)", "End Time (s)", "Annotation")
    missing = [name for name in required if name not in columns]
    if missing:
        raise LabelFileError(
            f"Not a Raven selection table: the header lacks {', '.join(missing)}.",
            "value_error.header",
        )
    position = {name: index for index, name in enumerate(columns)}
    seen_selections = set()
    for line, text in lines:
        if not text.strip():
            continue
        cells = text.split("\t")

        def cell(name: str, cells: list[str] = cells) -> str:
            index = position.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        selection = cell("Selection")
        if selection and selection in seen_selections:
            continue
        seen_selections.add(selection)
        _raven_row(collected, line, cell)
    return collected.parsed


def _raven_row(collected: _Rows, line: int, cell: Callable[[str], str]) -> None:
    filename = cell("Begin File")
    if not filename:
        collected.fail(line, "filename", "Begin File is empty", "value_error.missing")
    start_ms = collected.seconds(line, "start_ms", "Begin Time (s)", cell("Begin Time (s)"))
    end_ms = collected.seconds(line, "end_ms", "End Time (s)", cell("End Time (s)"))
    collected.order(line, start_ms, end_ms, "End Time (s)")
    if cell("File Offset (s)") and start_ms is not None and end_ms is not None:
        offset_ms = collected.seconds(line, "start_ms", "File Offset (s)", cell("File Offset (s)"))
        if offset_ms is not None:
            start_ms, end_ms = offset_ms, offset_ms + (end_ms - start_ms)
    label = cell("Annotation")
    if not label:
        collected.fail(line, "artifact_type", "Annotation is empty", "value_error.missing")
    collected.add(
        ParsedRow(
            line=line,
            filename=filename or None,
            artifact_type=label or None,
            start_ms=start_ms,
            end_ms=end_ms,
        )
    )


JSON_FIELDS = ("audio_file_id", "filename", "artifact_type", "start_ms", "end_ms")


def parse_json(data: bytes, *, max_rows: int) -> ParsedFile:
    """Relay's JSON export: an object with an `annotations` list (`annotation_set` is ignored).
    JSON has no useful line numbers, so a row's `line` is its 1-based position in the list."""
    try:
        document = json.loads(decode_text(data), parse_constant=_reject_constant)
    except ValueError as error:
        raise LabelFileError(f"The file is not valid JSON: {error}", "value_error.json") from None
    items = document.get("annotations") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise LabelFileError(
            'Expected a JSON object with an "annotations" list.', "value_error.json"
        )
    collected = _Rows(max_rows)
    for line, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            collected.fail(line, "row", "Expected an annotation object", "type_error.dict")
            continue
        collected.add(_json_row(collected, line, item))
    return collected.parsed


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _json_row(collected: _Rows, line: int, item: dict[str, object]) -> ParsedRow:
    text = {}
    for name in ("filename", "audio_file_id", "artifact_type", "note"):
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            collected.fail(line, name, f"{name} must be a string", "value_error.not_a_string")
            value = None
        text[name] = value
    if not text["filename"] and not text["audio_file_id"]:
        collected.fail(line, "filename", "Give filename or audio_file_id", "value_error.missing")
    times = {}
    for name in ("start_ms", "end_ms"):
        value = item.get(name)
        times[name] = None
        if value is None:
            collected.fail(line, name, FIELD_REQUIRED, "value_error.missing")
        elif isinstance(value, bool) or not isinstance(value, int):
            collected.fail(
                line, name, f"{name} must be a whole number of milliseconds", "type_error.integer"
            )
        elif value < 0:
            collected.fail(line, name, f"{name} must be 0 or more", "value_error.min_value")
        else:
            times[name] = value
    collected.order(line, times["start_ms"], times["end_ms"], "end_ms")
    confidence = item.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float)
    ):
        collected.fail(line, "confidence", "confidence must be a number", "type_error.number")
        confidence = None
    if not text["artifact_type"]:
        collected.fail(line, "artifact_type", FIELD_REQUIRED, "value_error.missing")
    return ParsedRow(
        line=line,
        filename=text["filename"] or None,
        audio_file_id=text["audio_file_id"] or None,
        artifact_type=(text["artifact_type"] or "").strip() or None,
        start_ms=times["start_ms"],
        end_ms=times["end_ms"],
        confidence=None if confidence is None else float(confidence),
        note=text["note"] or "",
    )


def parse(
    label_format: str, data: bytes, *, name: str, max_rows: int, max_text_bytes: int
) -> ParsedFile:
    """Parse a label file of `label_format`; `name` is the uploaded file's name."""
    if label_format == "csv":
        return parse_csv(data, max_rows=max_rows)
    if label_format == "dcase":
        return parse_dcase(data, max_rows=max_rows)
    if label_format == "audacity":
        return parse_audacity(data, name=name, max_rows=max_rows, max_text_bytes=max_text_bytes)
    if label_format == "raven":
        return parse_raven(data, max_rows=max_rows)
    if label_format == "json":
        return parse_json(data, max_rows=max_rows)
    raise ValueError(f"unknown label format {label_format!r}")
