import logging

import waitress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from relay import queue
from relay.wsgi import application

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Serve Relay with the waitress WSGI server (static files through whitenoise). Without "
        "REDIS_URL the background worker runs in this process too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument("--threads", type=int, default=8, help="Request threads.")

    def handle(self, *args: object, host: str, port: int, threads: int, **options: object) -> None:
        worker_threads = settings.RELAY_EMBEDDED_WORKER_THREADS
        workers = queue.Workers(threads=worker_threads).start() if worker_threads else None
        self.stdout.write(f"Relay listening on http://{host}:{port}/ (Ctrl-C stops it)")
        try:
            # X-Forwarded-* reach Django, which believes them only from RELAY_TRUSTED_PROXIES
            # (relay.proxies); waitress would otherwise drop them before Django can decide.
            waitress.serve(
                application,
                host=host,
                port=port,
                threads=threads,
                ident="relay",
                clear_untrusted_proxy_headers=False,
            )
        finally:
            if workers is not None:
                workers.stop()
