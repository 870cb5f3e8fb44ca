"""Export of annotation sets to label files and import of label files into a draft set.

The formats themselves live in `annotations.label_formats` (no Django); this module reads and
writes the database. Exports stream: a set may hold a million annotations, which are read in
chunks and encoded as they go. Imports check every row with the same rules as bulk adds
(`annotations.validation`), report every failing field of every failing row by line, and add
the rows through `services.add_annotations`, all or nothing.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.db.models import Subquery
from django.utils.text import slugify

from annotations import label_formats, services
from annotations.label_formats import ExportRow, LabelFileError, ParsedFile, ParsedRow
from annotations.models import Annotation, AnnotationSet
from annotations.validation import AudioFacts, check_row
from datasets.models import ArtifactType, AudioFile
from relay.errors import Conflict, Invalid, TooLarge

logger = logging.getLogger(__name__)

EXPORT_CHUNK_ROWS = 2000
# Text is handed to the server in blocks of about this size rather than line by line.
EXPORT_BLOCK_CHARS = 64 * 1024
# The Audacity zip is built before it is sent; small ones stay in memory, big ones go to disk.
ZIP_SPOOL_BYTES = 8 * 1024 * 1024

CONTENT_TYPES = label_formats.CONTENT_TYPES
EXTENSIONS = label_formats.EXTENSIONS


@dataclass(frozen=True)
class LabelExport:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def export_annotation_set(
    *, annotation_set: AnnotationSet, label_format: str, set_payload: Mapping[str, object]
) -> LabelExport:
    """The set as a label file, produced lazily; rows ordered by filename, audio, then start.

    `set_payload` is the set as the API shows it, embedded in the JSON format.
    """
    rows = _export_rows(annotation_set)
    if label_format == "audacity":
        chunks = _audacity_zip(annotation_set, rows)
    elif label_format == "json":
        chunks = _encoded(label_formats.render_json(rows, annotation_set=dict(set_payload)))
    else:
        render = {
            "csv": label_formats.render_csv,
            "dcase": label_formats.render_dcase,
            "raven": label_formats.render_raven,
        }[label_format]
        chunks = _encoded(render(rows))
    logger.info("annotation set %s exported as %s", annotation_set.pk, label_format)
    return LabelExport(
        filename=export_filename(annotation_set, label_format),
        content_type=CONTENT_TYPES[label_format],
        chunks=chunks,
    )


def export_filename(annotation_set: AnnotationSet, label_format: str) -> str:
    """`<slug of the name>-<first 8 characters of the id>.<ext>`: ASCII, safe in any header."""
    slug = slugify(annotation_set.name)[:60].strip("-") or "annotation-set"
    return f"{slug}-{str(annotation_set.pk)[:8]}.{EXTENSIONS[label_format]}"


def _export_rows(annotation_set: AnnotationSet) -> Iterator[ExportRow]:
    rows = (
        Annotation.objects.filter(annotation_set=annotation_set)
        .order_by("audio_file__filename", "audio_file_id", "start_ms", "end_ms", "id")
        .values_list(
            "audio_file_id",
            "audio_file__filename",
            "artifact_type__name",
            "start_ms",
            "end_ms",
            "confidence",
            "note",
        )
        .iterator(chunk_size=EXPORT_CHUNK_ROWS)
    )
    for audio_id, filename, type_name, start_ms, end_ms, confidence, note in rows:
        yield ExportRow(str(audio_id), filename, type_name, start_ms, end_ms, confidence, note)


def _encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    block, size = [], 0
    for piece in pieces:
        block.append(piece)
        size += len(piece)
        if size >= EXPORT_BLOCK_CHARS:
            yield "".join(block).encode("utf-8")
            block, size = [], 0
    if block:
        yield "".join(block).encode("utf-8")


def _audacity_zip(annotation_set: AnnotationSet, rows: Iterator[ExportRow]) -> Iterator[bytes]:
    labelled = Annotation.objects.filter(annotation_set=annotation_set).values("audio_file_id")
    audio = AudioFile.objects.filter(pk__in=Subquery(labelled)).values_list("pk", "filename")
    member_names = label_formats.audacity_member_names(
        (str(audio_id), filename) for audio_id, filename in audio
    )
    yield from label_formats.audacity_zip_blocks(
        rows, member_names=member_names, block_bytes=EXPORT_BLOCK_CHARS, spool_bytes=ZIP_SPOOL_BYTES
    )


@dataclass(frozen=True)
class RowError:
    """One failing field of one row; `member` names the file inside a zip ("" otherwise)."""

    line: int
    field: str
    message: str
    error_type: str
    member: str = ""

    def loc(self) -> list[str | int]:
        inside = [self.member] if self.member else []
        where: list[str | int] = ["body", "file", *inside, "line", self.line]
        return where if self.field == "row" else [*where, self.field]


@dataclass(frozen=True)
class ImportReport:
    dry_run: bool
    rows: int
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def import_annotations(
    *,
    annotation_set: AnnotationSet,
    label_format: str,
    data: bytes,
    upload_name: str,
    dry_run: bool = False,
    created_by_user: object = None,
    created_by_key: object = None,
) -> ImportReport:
    """Parse a label file and add its rows to a draft set, all or nothing.

    A dry run checks everything and returns the report without writing. A real import raises
    Invalid listing every failing field of every failing row (`["body", "file", "line", 12,
    "end_ms"]`), Conflict for a published set, TooLarge past RELAY_MAX_IMPORT_BYTES; a file that
    cannot be read at all, or holds more than RELAY_MAX_IMPORT_ROWS rows, is Invalid at
    `["body", "file"]`.
    """
    if annotation_set.is_published:
        raise Conflict(services.PUBLISHED_MESSAGE)
    max_bytes = settings.RELAY_MAX_IMPORT_BYTES
    if len(data) > max_bytes:
        raise TooLarge(f"The label file is over the limit of {max_bytes} bytes.")
    try:
        parsed = label_formats.parse(
            label_format,
            data,
            name=upload_name,
            max_rows=settings.RELAY_MAX_IMPORT_ROWS,
            max_text_bytes=max_bytes,
        )
    except LabelFileError as error:
        raise Invalid.at(["body", "file"], str(error), error.error_type) from None
    rows, errors = _checked_rows(annotation_set, parsed)
    row_count = len(parsed.rows) + len(
        {(e.member, e.line) for e in parsed.errors} - {(r.member, r.line) for r in parsed.rows}
    )
    logger.info(
        "import of %s into set %s: %d rows, %d errors, dry run %s",
        label_format,
        annotation_set.pk,
        row_count,
        len(errors),
        dry_run,
    )
    if dry_run:
        return ImportReport(dry_run=True, rows=row_count, errors=errors)
    if errors:
        raise Invalid([{"loc": e.loc(), "msg": e.message, "type": e.error_type} for e in errors])
    added = services.add_annotations(
        annotation_set=annotation_set,
        rows=rows,
        loc=["body", "file", "row"],
        created_by_user=created_by_user,
        created_by_key=created_by_key,
    )
    return ImportReport(dry_run=False, rows=row_count, created=len(added))


@dataclass
class _DatasetFacts:
    """What mapping rows needs to know of the dataset: its types and audio."""

    types: dict[str, str]  # lower-cased name → name
    audio: dict[uuid.UUID, AudioFacts]
    by_name: dict[str, list[uuid.UUID]]  # ready audio only: the only audio rows can label
    by_stem: dict[str, list[uuid.UUID]]
    unready_by_name: dict[str, str]  # name or stem → status, to say why a name matched nothing


def _dataset_facts(annotation_set: AnnotationSet) -> _DatasetFacts:
    dataset_id = annotation_set.dataset_id
    names = ArtifactType.objects.filter(dataset_id=dataset_id).values_list("name", flat=True)
    facts = _DatasetFacts(
        types={name.lower(): name for name in names},
        audio={},
        by_name={},
        by_stem={},
        unready_by_name={},
    )
    by_name, by_stem = defaultdict(list), defaultdict(list)
    audio_rows = AudioFile.objects.filter(dataset_id=dataset_id).values_list(
        "pk", "filename", "processing_status", "duration_ms"
    )
    for pk, filename, status, duration_ms in audio_rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        facts.audio[pk] = AudioFacts(
            is_ready=status == AudioFile.Status.READY, duration_ms=duration_ms or 0
        )
        stem = PurePosixPath(filename).stem
        if status != AudioFile.Status.READY:
            facts.unready_by_name.setdefault(filename, status)
            facts.unready_by_name.setdefault(stem, status)
            continue
        by_name[filename].append(pk)
        by_stem[stem].append(pk)
    facts.by_name, facts.by_stem = dict(by_name), dict(by_stem)
    return facts


def _checked_rows(
    annotation_set: AnnotationSet, parsed: ParsedFile
) -> tuple[list[dict[str, object]], list[RowError]]:
    """Rows ready for `add_annotations`, and every error: the parser's and the rules'."""
    facts = _dataset_facts(annotation_set)
    parse_errors: dict[tuple[str, int], list[RowError]] = defaultdict(list)
    for error in parsed.errors:
        parse_errors[(error.member, error.line)].append(
            RowError(error.line, error.field, error.message, error.error_type, error.member)
        )
    rows, errors = [], []
    for row in parsed.rows:
        own = parse_errors.pop((row.member, row.line), [])
        errors += own
        values, row_errors = _checked_row(row, facts, failed={e.field for e in own})
        errors += row_errors
        if not own and not row_errors:
            rows.append(values)
    for leftover in parse_errors.values():  # lines that gave no row at all
        errors += leftover
    member_order = {
        member: index
        for index, member in enumerate(
            dict.fromkeys([row.member for row in parsed.rows] + [e.member for e in parsed.errors])
        )
    }
    errors.sort(key=lambda error: (member_order[error.member], error.line))
    return rows, errors


def _checked_row(
    row: ParsedRow, facts: _DatasetFacts, *, failed: set[str]
) -> tuple[dict[str, object], list[RowError]]:
    errors = []

    def fail(field_name: str, message: str, error_type: str) -> None:
        errors.append(RowError(row.line, field_name, message, error_type, row.member))

    values: dict[str, object] = {"note": row.note}
    if row.audio_file_id is not None:
        values["audio_file_id"] = row.audio_file_id
    elif row.filename is not None:
        audio_id, problem, problem_type = _audio_named(row, facts)
        if problem:
            fail("filename", problem, problem_type)
            failed = failed | {"filename"}
        else:
            values["audio_file_id"] = str(audio_id)
    if row.artifact_type is not None:
        values["artifact_type"] = facts.types.get(row.artifact_type.lower(), row.artifact_type)
    for name in ("start_ms", "end_ms", "confidence"):
        value = getattr(row, name)
        if value is not None:
            values[name] = value
    check_errors, _ = check_row(values, loc=[], audio=facts.audio, types=set(facts.types.values()))
    for item in check_errors:
        field_name = str(item["loc"][-1])
        if field_name in failed:
            continue  # the parser already said what is wrong with it
        if field_name == "audio_file_id" and "filename" in failed:
            continue  # no audio to check: the filename named none
        fail(field_name, str(item["msg"]), str(item["type"]))
    return values, errors


def _audio_named(row: ParsedRow, facts: _DatasetFacts) -> tuple[uuid.UUID | None, str, str]:
    """The ready audio file a row's filename names, or a message and error type saying why
    there is none. Audio that is not ready (an upload never confirmed, a failed file) cannot be
    labelled, so it is never a match, and never makes a name ambiguous."""
    name = row.filename or ""
    matches = facts.by_name.get(name, [])
    if not matches and row.match_stem:
        matches = facts.by_stem.get(name, [])
    if len(matches) == 1:
        return matches[0], "", ""
    if not matches:
        status = facts.unready_by_name.get(name)
        if status is not None:
            return (
                None,
                (f"The audio file named {name!r} is {status}; only ready audio can be labelled"),
                "value_error.not_ready",
            )
        return None, f"No audio file named {name!r} in this dataset", "value_error.not_found"
    return (
        None,
        (
            f"{len(matches)} audio files are named {name!r}; give audio_file_id (CSV or JSON) "
            "or rename the files so that names are unique"
        ),
        "value_error.ambiguous",
    )
