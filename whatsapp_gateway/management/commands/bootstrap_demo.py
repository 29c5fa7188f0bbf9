from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from whatsapp_gateway.demo import demo_bootstrap


class Command(BaseCommand):
    help = "Create the demo app, its API key (DEMO_API_KEY if set), an admin user and the demo transport."

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default="admin", help="Superuser to create if missing.")
        parser.add_argument("--admin-password", default="admin", help="Its password (development only).")

    def handle(self, *args, admin_username: str, admin_password: str, **options):
        try:
            demo = demo_bootstrap(admin_username=admin_username, admin_password=admin_password)
        except ImproperlyConfigured as refused:
            raise CommandError(str(refused)) from refused
        except ValueError as refused:  # a DEMO_API_KEY not of the key format
            raise CommandError(f"DEMO_API_KEY: {refused}") from refused
        self.stdout.write(f"Demo app: {demo.app.name}")
        self.stdout.write(f"Demo API key: {demo.api_key}")
        if demo.transport_id:
            self.stdout.write(f"Demo transport id: {demo.transport_id}")
