"""How deep a JSON text nests, found without recursion. No Django imports.

Python's `json` decoder recurses once per array or object, so `"[" * 100_000` overflows its stack
(a RecursionError); the parser asks this first.
"""

import re

# A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON text opens more than `limit` arrays or objects inside each other, found
    without recursion; brackets inside strings do not count. Malformed text is left to the
    decoder (an unclosed string ends the scan)."""
    if text.count("[") + text.count("{") <= limit:  # most bodies: no scan at all
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False
