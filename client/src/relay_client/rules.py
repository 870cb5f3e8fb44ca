"""`--fail-on` rules for `relay detect`: when a run's detections should fail a CI job.

A rule is `LIMIT` or `TYPE=LIMIT`, where LIMIT is a count (`3`: more than 3 detections fail) or
a rate per audio hour (`10/h`: more than 10 per hour of audio fail). Without a type the rule
counts every detection. `0` fails on any detection at all.
"""

import re
from dataclasses import dataclass
from typing import Any

from relay_client.errors import RelayError

_RULE = re.compile(
    r"^(?:(?P<type>[A-Za-z0-9_-]{1,64})\s*[=:]\s*)?(?P<limit>\d+(?:\.\d+)?)(?P<rate>/h)?$"
)


@dataclass(frozen=True)
class FailRule:
    artifact_type: str | None  # None: every detection
    limit: float
    per_hour: bool

    def __str__(self) -> str:
        subject = self.artifact_type or "all types"
        unit = " per audio hour" if self.per_hour else ""
        return f"{subject} > {self.limit:g}{unit}"


@dataclass(frozen=True)
class Breach:
    rule: FailRule
    observed: float

    def __str__(self) -> str:
        unit = "/h" if self.rule.per_hour else ""
        return f"{self.rule}: {self.observed:g}{unit}"


def parse_rule(text: str) -> FailRule:
    match = _RULE.match(text.strip())
    if match is None:
        raise RelayError(
            f"--fail-on takes COUNT, RATE/h, TYPE=COUNT or TYPE=RATE/h (e.g. click=0, 5/h), "
            f"got {text!r}"
        )
    return FailRule(match["type"], float(match["limit"]), per_hour=bool(match["rate"]))


def breaches(rules: list[FailRule], summary: dict[str, Any]) -> list[Breach]:
    """The rules a job summary (`GET /inference-jobs/{id}/summary`) exceeds. A type the model
    found nothing of counts 0; a rate over no audio is 0."""
    hours = summary.get("total_audio_hours") or 0.0
    per_type = summary.get("per_type") or {}
    found = []
    for rule in rules:
        if rule.artifact_type is None:
            count = summary.get("total_detections") or 0
        else:
            names = {name.lower(): name for name in per_type}
            entry = per_type.get(names.get(rule.artifact_type.lower(), ""), {})
            count = entry.get("count") or 0
        observed = (count / hours if hours else 0.0) if rule.per_hour else float(count)
        if observed > rule.limit:
            found.append(Breach(rule, round(observed, 3)))
    return found
