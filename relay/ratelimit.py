"""Sliding-window rate limits, atomic across threads (in process) or processes (in Redis).

A window log: the time of every admitted request is kept for one period, and a request is admitted
while fewer than `limit` remain from the last period. So no period-long stretch of time, wherever
it starts, ever admits more than `limit`, however many processes share the counter. (A fixed
window admits up to twice the limit across a boundary, and DRF's cache throttle reads its history
and writes it back in two steps, so concurrent processes overwrite each other's requests.)

With Redis the check and the insert are one Lua script, which Redis runs atomically, on Redis's own
clock, so web processes on several machines agree. Without Redis a lock guards an in-memory log:
the embedded mode is one process.

No Django imports: `relay.api.throttling` picks the store from the settings.
"""

import math
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Protocol

PERIOD_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
PERIOD_NAMES = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}
RATE_PATTERN = re.compile(r"([1-9][0-9]*)/(s|sec|second|m|min|minute|h|hour|d|day)")


@dataclass(frozen=True)
class Rate:
    limit: int
    period_s: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """`50/s`, `600/min`, `1000/hour`, `10000/day`; ValueError for anything else."""
        match = RATE_PATTERN.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"a rate looks like 50/s, 600/min or 1000/hour, got {text!r}")
        return cls(limit=int(match[1]), period_s=PERIOD_SECONDS[match[2]])

    def __str__(self) -> str:
        return f"{self.limit} per {PERIOD_NAMES[self.period_s]}"


@dataclass(frozen=True)
class Decision:
    """The outcome of one check, with what the RateLimit-* headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: float  # until the oldest request in the window leaves it (0 when the window is empty)

    @property
    def retry_after_s(self) -> int:
        """Whole seconds to wait before the next request can be admitted (at least 1)."""
        return max(1, math.ceil(self.reset_s))

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_s)),
        }


@dataclass(frozen=True)
class Check:
    """One window to check: `record` admits and records a request when it has room (a hit),
    else only looks (a peek)."""

    key: str
    rate: Rate
    record: bool


class WindowStore(Protocol):
    def hit(self, key: str, rate: Rate) -> Decision:
        """Admit and record a request if the window has room; else refuse and record nothing."""

    def peek(self, key: str, rate: Rate) -> Decision:
        """Whether a request would be admitted now, recording nothing."""

    def check(self, *checks: Check) -> list[Decision]:
        """The windows in turn, as one atomic step (one round trip to Redis): the first refusal
        ends it, and the windows after it are neither checked nor recorded. One decision per
        window checked."""

    def clear(self) -> None:
        """Forget every window (tests)."""


class LocalWindowStore:
    """The window logs of one process, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def hit(self, key: str, rate: Rate) -> Decision:
        return self.check(Check(key, rate, record=True))[0]

    def peek(self, key: str, rate: Rate) -> Decision:
        return self.check(Check(key, rate, record=False))[0]

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def check(self, *checks: Check) -> list[Decision]:
        decisions = []
        with self._lock:
            now = time.monotonic()
            for check in checks:
                decisions.append(self._check(check, now))
                if not decisions[-1].allowed:
                    break
        return decisions

    def _check(self, check: Check, now: float) -> Decision:
        rate = check.rate
        window = self._windows.setdefault(check.key, deque())
        while window and window[0] <= now - rate.period_s:
            window.popleft()
        allowed = len(window) < rate.limit
        if allowed and check.record:
            window.append(now)
        reset_s = window[0] + rate.period_s - now if window else 0.0
        if not window:
            del self._windows[check.key]  # idle keys must not accumulate
        return Decision(allowed, rate.limit, rate.limit - len(window), reset_s)


# KEYS: the windows (sorted sets of request ids scored by their time in microseconds), in order.
# ARGV: this request's id, then for each window its limit, its period in microseconds, and 1 to
# record an admitted request or 0. Returns, for each window checked until the first refusal,
# {allowed (1/0), requests in the window, microseconds until the oldest one leaves it}.
WINDOW_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local results = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 * i - 1])
  local period = tonumber(ARGV[3 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
  local count = redis.call('ZCARD', key)
  local allowed = 0
  if count < limit then
    allowed = 1
    if ARGV[3 * i + 1] == '1' then
      redis.call('ZADD', key, now, ARGV[1])
      redis.call('PEXPIRE', key, math.ceil(period / 1000) + 1000)
      count = count + 1
    end
  end
  local reset = 0
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if oldest[2] then
    reset = tonumber(oldest[2]) + period - now
  end
  table.insert(results, {allowed, count, reset})
  if allowed == 0 then
    break
  end
end
return results
"""


class RedisWindowStore:
    """Window logs in Redis, checked and updated by one atomic script."""

    KEY_PREFIX = "relay:ratelimit:"

    def __init__(self, client: "object") -> None:  # a redis.Redis
        self._client = client
        self._script = client.register_script(WINDOW_SCRIPT)

    def hit(self, key: str, rate: Rate) -> Decision:
        return self.check(Check(key, rate, record=True))[0]

    def peek(self, key: str, rate: Rate) -> Decision:
        return self.check(Check(key, rate, record=False))[0]

    def clear(self) -> None:
        for key in self._client.scan_iter(match=f"{self.KEY_PREFIX}*"):
            self._client.delete(key)

    def check(self, *checks: Check) -> list[Decision]:
        args: list[object] = [uuid.uuid4().hex]
        for check in checks:
            args += [check.rate.limit, check.rate.period_s * 1_000_000, int(check.record)]
        results = self._script(
            keys=[f"{self.KEY_PREFIX}{check.key}" for check in checks], args=args
        )
        return [
            Decision(
                bool(allowed), check.rate.limit, check.rate.limit - int(count), int(reset_us) / 1e6
            )
            for check, (allowed, count, reset_us) in zip(checks, results, strict=False)
        ]
