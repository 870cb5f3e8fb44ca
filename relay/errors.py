"""Domain errors. Services raise these; `relay.api.errors` is the only place that maps them to HTTP.

Messages reach users unchanged, so they name the thing and say what to do.
"""

# One wording per case, whichever check finds it: DRF's serializers and Relay's own row checks
# (annotations, imports) both say this for a missing (or null) required field.
FIELD_REQUIRED = "This field is required."


class RelayError(Exception):
    """Base of every error a user can cause."""


class NotFound(RelayError):
    pass


class Conflict(RelayError):
    pass


class TooLarge(RelayError):
    pass


class Invalid(RelayError):
    """Validation failed; `items` are `{"loc": [...], "msg": ..., "type": ...}` dicts."""

    def __init__(self, items: list[dict[str, object]]) -> None:
        super().__init__("Validation failed")
        self.items = items

    @classmethod
    def at(cls, loc: list[str | int], msg: str, error_type: str) -> "Invalid":
        return cls([{"loc": loc, "msg": msg, "type": error_type}])
