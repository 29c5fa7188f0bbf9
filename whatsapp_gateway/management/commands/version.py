from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    requires_system_checks = []  # a version needs no database
    help = "Print the gateway's version (settings.VERSION, also in the OpenAPI info and the admin header)."

    def handle(self, *args, **options):
        self.stdout.write(settings.VERSION)
