"""Serializer fields shared by every app."""

import unicodedata
from datetime import UTC, datetime

from rest_framework import serializers

# Line breaks and tabs are text; other control characters break CSV exports and terminals, lone
# surrogates cannot be stored as UTF-8, and PostgreSQL refuses NUL outright.
ALLOWED_CONTROL_CHARACTERS = frozenset("\n\r\t")
REJECTED_CATEGORIES = frozenset({"Cc", "Cs"})


def first_forbidden_character(text: str, *, multiline: bool) -> str | None:
    allowed = ALLOWED_CONTROL_CHARACTERS if multiline else frozenset()
    for character in text:
        if character in allowed:
            continue
        if unicodedata.category(character) in REJECTED_CATEGORIES:
            return character
    return None


class TextField(serializers.CharField):
    """A CharField that accepts any Unicode text but no control characters or lone surrogates.

    `multiline=True` also accepts line breaks and tabs (descriptions, notes).
    """

    default_error_messages = {
        "not_a_string": "Must be a string.",
        "control_character": "Must not contain control characters (found {codepoint}).",
    }

    def __init__(self, *, multiline: bool = False, **kwargs: object) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> str:
        # DRF would turn 0 into "0"; a client sending a number where text belongs has a bug.
        if not isinstance(data, str):
            self.fail("not_a_string")
        text = super().to_internal_value(data)
        forbidden = first_forbidden_character(text, multiline=self.multiline)
        if forbidden is not None:
            self.fail("control_character", codepoint=f"U+{ord(forbidden):04X}")
        return text


class ChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField whose error lists the valid choices, so a client can correct itself."""

    default_error_messages = {
        "invalid_choice": '"{input}" is not a valid choice; use one of: {choices}.',
    }

    def to_internal_value(self, data: object) -> object:
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail(
                "invalid_choice", input=data, choices=", ".join(self.choice_strings_to_values)
            )


class FileSizeField(serializers.IntegerField):
    """A declared upload size in bytes: at least 1, since an empty file holds no audio.

    The upper bound is `RELAY_MAX_UPLOAD_BYTES`, checked by the upload service (413), and shown
    in the schema as `maximum`.
    """

    default_error_messages = {
        "min_value": "An empty file holds no audio; file_size must be at least {min_value} byte.",
    }

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("help_text", "Size of the file in bytes (at least 1).")
        super().__init__(min_value=1, **kwargs)


def utc_datetime_text(value: datetime) -> str:
    """An aware datetime as DateTimeField shows it under TIME_ZONE = "UTC" ("…T…Z"), without
    the field's per-value timezone lookups: 500 of those are a third of a page's time."""
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def datetime_from_sql_text(text: str) -> datetime:
    """A stored datetime read as text (`CAST(… AS text)`): PostgreSQL's "2026-11-23
    20:22:58.92251+00" in a UTC session, or SQLite's naive UTC "2026-11-23 20:22:58.922512"."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
