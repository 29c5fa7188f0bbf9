from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from whatsapp_gateway.models import App
from whatsapp_gateway.services import app_create


class Command(BaseCommand):
    help = "Create an app (tenant) and print its first API key, once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Unique name of the app.")

    def handle(self, *args, name: str, **options):
        name = name.strip()
        if App.objects.filter(name=name).exists():
            raise CommandError(f"An app named {name!r} already exists.")
        try:
            app, key = app_create(name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Created app {app.name} (id {app.pk}).")
        self.stdout.write(f"API key (shown once, store it now): {key}")
