"""Domain errors. Services raise these; `relay.api.errors` is the only place that maps them to HTTP.

Messages reach users unchanged, so they name the thing and say what to do.
"""


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
