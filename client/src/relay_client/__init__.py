"""Python client for the Relay API, and the `relay` command line (`relay --help`)."""

__version__ = "0.1.0"

from relay_client.client import Client, DetectResult
from relay_client.errors import (
    ApiError,
    ConfigError,
    NotFoundError,
    RelayError,
    TransferError,
)
from relay_client.rules import FailRule, parse_rule
from relay_client.uploads import FileResult, UploadReport

__all__ = [
    "ApiError",
    "Client",
    "ConfigError",
    "DetectResult",
    "FailRule",
    "FileResult",
    "NotFoundError",
    "RelayError",
    "TransferError",
    "UploadReport",
    "__version__",
    "parse_rule",
]
