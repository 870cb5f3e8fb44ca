import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from relay import queue


class Command(BaseCommand):
    help = (
        "Run background workers as their own process (needs REDIS_URL), for the given queues, "
        "plus the sweep that re-enqueues work whose worker died. Stops on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            nargs="+",
            choices=queue.QUEUES,
            default=list(queue.QUEUES),
            help="Queues to consume (default: all).",
        )
        parser.add_argument("--threads", type=int, default=2, help="Worker threads.")

    def handle(self, *args: object, queues: list[str], threads: int, **options: object) -> None:
        if not settings.REDIS_URL:
            raise CommandError(
                "run_workers needs REDIS_URL; without it, `serve` runs the workers in its process."
            )
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        workers = queue.Workers(threads=threads, queues=tuple(queues)).start()
        self.stdout.write(f"Workers running on {', '.join(queues)} (SIGTERM stops them)")
        stopping.wait()
        workers.stop()
