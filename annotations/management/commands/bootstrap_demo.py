from django.conf import settings
from django.core.management.base import BaseCommand

from tenants import services
from tenants.models import Tenant

DEMO_TENANT = "Demo"
DEMO_EMAIL = "demo@relay.local"
CREDENTIALS_FILE = "demo-credentials.txt"


class Command(BaseCommand):
    help = (
        "On first run, create the demo tenant with a login and an API key and keep them in "
        "RELAY_DATA_DIR/demo-credentials.txt; on later runs print them again from there."
    )

    def handle(self, *args: object, **options: object) -> None:
        credentials_path = settings.DATA_DIR / CREDENTIALS_FILE
        if not credentials_path.exists():
            if Tenant.objects.filter(name=DEMO_TENANT).exists():
                self.stdout.write(
                    f"The {DEMO_TENANT} tenant exists but {credentials_path} is gone; "
                    "sign in with your own credentials or create a tenant with create_tenant."
                )
                return
            created = services.create_tenant(name=DEMO_TENANT, email=DEMO_EMAIL)
            lines = [
                f"Dashboard: {settings.RELAY_PUBLIC_URL}/",
                f"API docs: {settings.RELAY_PUBLIC_URL}/api/v1/docs",
                f"Login: {created.user.get_username()}",
                f"Password: {created.password}",
                f"RELAY_API_KEY={created.api_key.key}",
            ]
            credentials_path.write_text("\n".join(lines) + "\n")
            credentials_path.chmod(0o600)
        self.stdout.write(credentials_path.read_text().rstrip("\n"))
        self.stdout.write(f"(kept in {credentials_path}; remove RELAY_DATA_DIR to start afresh)")
