"""Logging: one JSON object per line (or plain text), each line with its request id and tenant,
and never a secret.

`RequestLogMiddleware` (relay.middleware) binds the request id, `TenantApiView` binds the tenant;
`ContextFilter` copies both onto every record logged meanwhile, from any logger. `RedactSecrets`
rewrites anything shaped like an API key, a webhook secret or a signature before a handler writes
it: a safety net under the rule that code never logs them in the first place.
"""

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "relay_request_id", default=None
)
tenant_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "relay_tenant", default=None
)

# What each pattern keeps in clear: an API key's prefix is not secret (lists show it).
SECRET_PATTERNS = [
    (re.compile(r"\b(rly_[a-z0-9]{10}_)[A-Za-z0-9]{8,}"), r"\1[redacted]"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9_-]{8,}"), r"\1[redacted]"),
    # Signatures: Relay-Signature's v1=, our signed URLs' signature=, S3's X-Amz-Signature=.
    (re.compile(r"\b(v1=)[0-9a-f]{16,}"), r"\1[redacted]"),
    (re.compile(r"(?i)\b((?:x-amz-)?signature=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(?i)(x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"), r"\1[redacted]"),
]
# Extra fields a record may carry (`logger.info(..., extra={"status": 200})`) that JSON lines keep.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms")


def redact(text: str) -> str:
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Adds `request_id` and `tenant` (or None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        return True


class RedactSecrets(logging.Filter):
    """Rewrites the message (its arguments merged in) and any traceback without key material."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, tenant, the request fields when present, and
    the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "tenant": getattr(record, "tenant", None),
        }
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return super().format(record)


def logging_config(*, log_format: str, level: str) -> dict[str, object]:
    """The LOGGING setting: the console in `log_format` (json or plain), secrets redacted."""
    formatter = JsonFormatter if log_format == "json" else PlainFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter},
            "redact": {"()": RedactSecrets},
        },
        "formatters": {"console": {"()": formatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "console",
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # Django's own 4xx lines say less than relay.requests' one line per request.
        "loggers": {"django.request": {"level": "ERROR"}},
    }
