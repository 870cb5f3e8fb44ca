"""Watches everything the suite logs for key material, so no test's code path can leak a key.

It looks for API keys, webhook secrets and the configured encryption keys
(RELAY_WEBHOOK_SECRET_KEYS). It sees records before the console's redaction filter
(relay.logs.RedactSecrets), so it catches code that logs a key even where the filter would have
hidden it.
"""

import logging
import re

from django.conf import settings

from relay.logs import JsonFormatter

KEY_MATERIAL = re.compile(
    r"rly_[a-z0-9]{10}_[A-Za-z0-9]{40}"  # an API key (tenants.keys)
    r"|whsec_[A-Za-z0-9_-]{20,}"  # a webhook signing secret
)


class KeyMaterialWatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.formatter = JsonFormatter()
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot format is not a leak; the console shows it
            return
        # The keys are read per line: tests change them through the `settings` fixture.
        if KEY_MATERIAL.search(line) or any(
            key in line for key in settings.RELAY_WEBHOOK_SECRET_KEYS
        ):
            self.leaks.append(line)
