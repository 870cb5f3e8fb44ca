from django.core.management.base import BaseCommand, CommandError

from tenants import webhooks


class Command(BaseCommand):
    help = (
        "Encrypt every webhook's signing secret again with the first key of "
        "RELAY_WEBHOOK_SECRET_KEYS. Run it after putting a new key first; once it succeeds, the "
        "old keys can be removed. Fails (exit status 1) when some secret no key decrypts."
    )

    def handle(self, *args: object, **options: object) -> None:
        rotated, unreadable = webhooks.rotate_secrets_key()
        self.stdout.write(f"{rotated} webhook secrets encrypted with the first key.")
        if unreadable:
            raise CommandError(
                f"{unreadable} webhook secrets cannot be decrypted with any configured key; "
                "their deliveries fail until that key is restored or the webhooks are made again."
            )
