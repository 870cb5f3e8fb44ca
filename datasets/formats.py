"""Which audio uploads Relay accepts, by content type and file extension. No Django imports."""

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import NamedTuple


@dataclass(frozen=True)
class AudioFormat:
    family: str  # what the user calls it
    content_types: frozenset[str]
    extensions: frozenset[str]
    decoded_formats: frozenset[str]  # what the decoder may report for such a file


ACCEPTED_FORMATS = (
    AudioFormat(
        "wav",
        frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}),
        frozenset({".wav", ".wave"}),
        frozenset({"wav"}),
    ),
    AudioFormat(
        "flac", frozenset({"audio/flac", "audio/x-flac"}), frozenset({".flac"}), frozenset({"flac"})
    ),
    AudioFormat(
        "mp3", frozenset({"audio/mpeg", "audio/mp3"}), frozenset({".mp3"}), frozenset({"mp3"})
    ),
    AudioFormat(
        "ogg/opus",
        frozenset({"audio/ogg", "audio/opus", "application/ogg"}),
        frozenset({".ogg", ".oga", ".opus"}),
        frozenset({"ogg", "opus"}),
    ),
    AudioFormat(
        "m4a/aac",
        frozenset({"audio/mp4", "audio/m4a", "audio/x-m4a", "audio/aac", "audio/x-aac"}),
        frozenset({".m4a", ".mp4", ".aac"}),
        frozenset({"m4a", "aac"}),
    ),
    AudioFormat(
        "webm", frozenset({"audio/webm", "video/webm"}), frozenset({".webm"}), frozenset({"webm"})
    ),
)
ACCEPTED_CONTENT_TYPES = sorted(ct for fmt in ACCEPTED_FORMATS for ct in fmt.content_types)
ACCEPTED_EXTENSIONS = sorted(ext for fmt in ACCEPTED_FORMATS for ext in fmt.extensions)


def format_for_content_type(content_type: str) -> AudioFormat | None:
    essence = content_type.split(";")[0].strip().lower()
    return next((fmt for fmt in ACCEPTED_FORMATS if essence in fmt.content_types), None)


def format_for_filename(filename: str) -> AudioFormat | None:
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    return next((fmt for fmt in ACCEPTED_FORMATS if extension in fmt.extensions), None)


class FormatProblem(NamedTuple):
    field: str
    message: str
    code: str  # `unsupported_format`, or `format_mismatch` when each is fine but they disagree


def upload_format_problems(*, filename: str, content_type: str) -> list[FormatProblem]:
    """What is wrong with a declared upload's type; empty when fine."""
    by_type = format_for_content_type(content_type)
    by_name = format_for_filename(filename)
    problems = []
    if by_type is None:
        accepted = ", ".join(ACCEPTED_CONTENT_TYPES)
        problems.append(
            FormatProblem(
                "content_type",
                f"Unsupported audio type; use one of {accepted}.",
                "unsupported_format",
            )
        )
    if by_name is None:
        accepted = ", ".join(ACCEPTED_EXTENSIONS)
        problems.append(
            FormatProblem(
                "filename",
                f"Unsupported file extension; use one of {accepted}.",
                "unsupported_format",
            )
        )
    if by_type and by_name and by_type != by_name:
        problems.append(
            FormatProblem(
                "content_type",
                f"Content type {content_type!r} does not match the extension of {filename!r}.",
                "format_mismatch",
            )
        )
    return problems
