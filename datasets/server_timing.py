"""`Server-Timing: app;dur=<ms>` on the labeling page's read endpoints (peaks, spectrogram tiles,
cues): the time the view itself took, which the browser reports in Resource Timing and
`make bench-ui` reads, apart from any wait in the server's queue or on the network."""

import time
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response


class ServerTimingMixin:
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self._started = time.perf_counter()
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        started = getattr(self, "_started", None)
        if started is not None:
            response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
