"""The path converter of every `/api/v1` id.

Any path segment matches, so that a malformed id reaches the view like an unknown one and gets the
same answer ("Dataset not found", 404) instead of the URL conf's "no API resource at this URL".
A segment that is not a UUID becomes the nil UUID, which names no row (ids are UUIDv7).
"""

import uuid

NO_SUCH_ID = uuid.UUID(int=0)


class ApiIdConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            return NO_SUCH_ID

    def to_url(self, value: object) -> str:
        return str(value)
