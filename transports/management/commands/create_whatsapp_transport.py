from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transports.addresses import STRICT_POSSIBLE, STRICTNESS
from transports.services import whatsapp_transport_from_settings
from whatsapp_gateway.checks import whatsapp_settings_problems
from whatsapp_gateway.models import App


class Command(BaseCommand):
    help = "Create (or find, by name) an app's WhatsApp Cloud transport from the WHATSAPP_* settings; prints its id."

    def add_arguments(self, parser):
        parser.add_argument("--app", required=True, help="Name of the app that owns the transport.")
        parser.add_argument("--name", default="whatsapp", help="Transport name (default: whatsapp).")
        parser.add_argument(
            "--strictness", choices=STRICTNESS, default=STRICT_POSSIBLE,
            help="Phone validation: possible also accepts Meta's +1 555 test numbers.",
        )

    def handle(self, *args, **options):
        app = App.objects.filter(name=options["app"]).first()
        if app is None:
            raise CommandError(f"No app named {options['app']!r}.")
        # The demo credentials are public: outside DEBUG a transport never stores them (or none at all).
        problems = {} if settings.DEBUG else whatsapp_settings_problems(all_required=True)
        if problems:
            raise CommandError("; ".join(problems.values()) + " (DEBUG is off): set the real values from Meta.")
        transport = whatsapp_transport_from_settings(
            app=app, name=options["name"], settings=settings, phone_strictness=options["strictness"]
        )
        self.stdout.write(str(transport.pk))
