from django.core.management.base import BaseCommand

from relay.housekeeping import housekeep


class Command(BaseCommand):
    help = (
        "Remove what abandoned work left behind: uploads still unconfirmed RELAY_UPLOAD_GRACE_S "
        "after their URL expired (rows and partial objects). Safe to run at any time, also while "
        "workers run it."
    )

    def handle(self, *args: object, **options: object) -> None:
        for job, removed in housekeep().items():
            self.stdout.write(f"{job}: {removed} removed")
