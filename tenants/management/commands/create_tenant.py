from django.core.management.base import BaseCommand, CommandError, CommandParser

from relay.errors import Invalid
from tenants import services


class Command(BaseCommand):
    help = (
        "Create a tenant with an admin user and an API key with every scope. Prints the user's "
        "password and, as the last line, RELAY_API_KEY=<key>."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The tenant's name, e.g. the team's.")
        parser.add_argument("--email", required=True, help="Login and email of the admin user.")

    def handle(self, *args: object, name: str, email: str, **options: object) -> None:
        try:
            created = services.create_tenant(name=name, email=email)
        except Invalid as error:
            raise CommandError("; ".join(str(item["msg"]) for item in error.items)) from None
        self.stdout.write(f"Tenant: {created.tenant.name} ({created.tenant.pk})")
        self.stdout.write(f"Login: {created.user.get_username()}")
        self.stdout.write(f"Password: {created.password}")
        self.stdout.write(f"RELAY_API_KEY={created.api_key.key}")
