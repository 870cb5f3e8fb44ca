from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "relay"
    verbose_name = "Relay"

    def ready(self) -> None:
        # Registers the deploy checks, and the X-API-Key security scheme with drf-spectacular.
        from relay import checks  # noqa: F401
        from relay.api import schema  # noqa: F401
