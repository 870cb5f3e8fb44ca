import json
import logging
import shlex
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from annotations import demo
from datasets.synthetic import EngineUnavailable
from relay.proxies import DEFAULT_BASE_URL
from tenants import services
from tenants.models import Tenant

DEMO_TENANT = "Demo"
DEMO_EMAIL = "demo@relay.local"
CREDENTIALS_FILE = "demo-credentials.txt"
DEMO_CORPUS_DIR = "demo-corpus"
# Lines that older credential files held; the URLs are printed fresh on every run instead.
STALE_LINES = ("Dashboard:", "Admin:", "API docs:")


class Command(BaseCommand):
    help = (
        "On first run, create the demo tenant with a login (the install's operator: staff and "
        "superuser) and an API key, and keep them in RELAY_DATA_DIR/demo-credentials.txt; on "
        "later runs print them again from there. With --with-data, also make (or complete) the "
        "demo datasets of labelled synthetic speech."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--with-data",
            action="store_true",
            help="Also make the demo datasets (synthetic speech, uploaded, processed, labelled).",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="With --with-data: leave processing to the workers (serve's own, in the "
            "embedded mode) instead of waiting for it; the labels are published when it is done.",
        )
        parser.add_argument(
            "--if-new",
            action="store_true",
            help="With --with-data: only if this RELAY_DATA_DIR never had demo data, so that "
            "demo datasets someone deleted stay deleted (make run uses this).",
        )
        parser.add_argument(
            "--profile",
            default=demo.DEMO_PROFILE,
            help="The datasets.synthetic profile of the demo data (default: demo).",
        )
        parser.add_argument(
            "--base-url",
            default=settings.RELAY_PUBLIC_URL or DEFAULT_BASE_URL,
            help="Where Relay will be served, for the URLs printed (default: RELAY_PUBLIC_URL).",
        )

    def handle(
        self,
        *args: object,
        with_data: bool,
        background: bool,
        if_new: bool,
        profile: str,
        base_url: str,
        verbosity: int,
        **options: object,
    ) -> None:
        # A line per uploaded and processed file would bury the credentials.
        quiet = (
            quieted_loggers("tenants", "datasets", "annotations")
            if verbosity < 2
            else nullcontext()
        )
        with quiet:
            self._bootstrap(
                with_data=with_data,
                background=background,
                if_new=if_new,
                profile=profile,
                base_url=base_url,
            )

    def _bootstrap(
        self, *, with_data: bool, background: bool, if_new: bool, profile: str, base_url: str
    ) -> None:
        base_url = base_url.rstrip("/")
        credentials_path = settings.DATA_DIR / CREDENTIALS_FILE
        tenant = Tenant.objects.filter(name=DEMO_TENANT).first()
        if not credentials_path.exists():
            if tenant is not None:
                self.stdout.write(
                    f"The {DEMO_TENANT} tenant exists but {credentials_path} is gone; "
                    "sign in with your own credentials or create a tenant with create_tenant."
                )
            else:
                created = services.create_tenant(name=DEMO_TENANT, email=DEMO_EMAIL)
                tenant = created.tenant
                lines = [
                    f"Login: {created.user.get_username()}",
                    f"Password: {created.password}",
                    f"RELAY_API_KEY={created.api_key.key}",
                ]
                credentials_path.write_text("\n".join(lines) + "\n")
                credentials_path.chmod(0o600)
        demo_user = get_user_model().objects.filter(username=DEMO_EMAIL).first()
        if demo_user is not None and tenant is not None:
            # Installs made before the demo user was the operator get it too.
            services.make_operator(user=demo_user)
        if credentials_path.exists():
            kept = credentials_path.read_text().splitlines()
            self.stdout.write(f"Dashboard: {base_url}/")
            self.stdout.write(f"Admin: {base_url}/admin/")
            self.stdout.write(f"API docs: {base_url}/api/v1/docs")
            self.stdout.write("\n".join(line for line in kept if not line.startswith(STALE_LINES)))
        if tenant is not None:
            corpus_dir = settings.DATA_DIR / DEMO_CORPUS_DIR
            if with_data and not (if_new and demo.was_made_in(corpus_dir)):
                self._make_demo_data(tenant, corpus_dir, profile, base_url, wait=not background)
            elif (found := demo.find_demo_data(tenant=tenant)) is not None:
                self._describe_demo_data(found, base_url)
        kept_in = f"kept in {credentials_path}; " if credentials_path.exists() else ""
        self.stdout.write(
            f"({kept_in}to start afresh, stop Relay and delete {settings.DATA_DIR}, the "
            "RELAY_DATA_DIR folder)"
        )

    def _make_demo_data(
        self, tenant: Tenant, corpus_dir: Path, profile: str, base_url: str, *, wait: bool
    ) -> None:
        try:
            made = demo.ensure_demo_data(
                tenant=tenant, corpus_dir=corpus_dir, profile=profile, wait=wait
            )
        except EngineUnavailable as error:
            self.stdout.write(f"No demo data: {error}")
            return
        self._describe_demo_data(made, base_url)

    def _describe_demo_data(self, made: demo.DemoData, base_url: str) -> None:
        training, held_out = made.training, made.held_out
        self.stdout.write(
            "Demo data: synthetic speech with labelled clicks, dropouts, clipping, long pauses "
            "and stutters"
            + (f" (made in {made.generated_s:.0f} s)" if made.generated_s is not None else "")
        )
        for part, purpose in ((training, "to train on"), (held_out, "to try a trained model on")):
            state = f'{part.label_count} labels in the set "{part.labels.name}"' + (
                "" if part.labels.is_published else ", published once processed (seconds)"
            )
            self.stdout.write(
                f'  "{part.dataset.name}": {part.file_count} files {purpose}; {state}'
            )
        body = json.dumps(
            {"dataset_id": str(training.dataset.pk), "annotation_set_id": str(training.labels.pk)}
        )
        self.stdout.write("Train a detector on it (README.md: Try it on the demo data):")
        self.stdout.write(
            f'  curl -X POST {base_url}/api/v1/training-jobs -H "X-API-Key: $RELAY_API_KEY" '
            f'-H "Content-Type: application/json" -d {shlex.quote(body)}'
        )


@contextmanager
def quieted_loggers(*names: str) -> Iterator[None]:
    """Only warnings from these loggers inside the block; their levels are restored after it (the
    command also runs inside other processes: tests, `make run`'s serve)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
