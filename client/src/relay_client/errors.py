"""What the client raises. Every API failure is an `ApiError` carrying the status and the
response's `detail`, so a script can branch on `error.status` and a person reads `str(error)`."""

from typing import Any


class RelayError(Exception):
    """Base of every error this package raises."""


class ConfigError(RelayError):
    """No server URL or API key, or a config file that cannot be read."""


class NotFoundError(RelayError):
    """A name given on the command line matches no resource (or several)."""


class ApiError(RelayError):
    """The API answered with an error status. `detail` is the response's `detail`: a sentence,
    or for a 422 a list of `{"loc", "msg", "type"}` items."""

    def __init__(self, status: int, detail: Any, *, method: str = "", path: str = "") -> None:
        self.status = status
        self.detail = detail
        self.method = method
        self.path = path
        super().__init__(self.lines()[0])

    @property
    def items(self) -> list[dict[str, Any]]:
        """The 422 items (empty for other errors)."""
        if isinstance(self.detail, list):
            return [item for item in self.detail if isinstance(item, dict)]
        return []

    def summary(self) -> str:
        """One line: the status and the detail, 422 items joined with `; `."""
        if isinstance(self.detail, list):
            return f"{self.status} " + "; ".join(format_item(item) for item in self.detail)
        return f"{self.status} {self.detail}"

    def lines(self) -> list[str]:
        """A heading line, then one line per 422 item: `body.artifact_types.1.color: message`."""
        where = f" ({self.method} {self.path})" if self.method else ""
        if isinstance(self.detail, list):
            heading = f"{self.status} validation failed{where}"
            return [heading, *(format_item(item) for item in self.detail)]
        return [f"{self.status} {self.detail}{where}"]


def format_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = ".".join(str(part) for part in item.get("loc") or [])
    message = item.get("msg") or item.get("message") or item.get("type") or "invalid"
    return f"{loc}: {message}" if loc else str(message)


class TransferError(RelayError):
    """A presigned upload failed: the storage endpoint refused the file or could not be reached."""
