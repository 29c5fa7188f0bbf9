from django.core.management.base import BaseCommand, CommandError

from transports.services import transports_config_problems


class Command(BaseCommand):
    help = "Validate every stored transport's config against the schema; exit 1 naming the field and rule if any fails."

    def handle(self, *args, **options):
        problems = transports_config_problems()
        for transport, errors in problems.items():
            self.stdout.write(f"Transport {transport.pk} ({transport.name}, app {transport.app.name}):")
            for error in errors:
                self.stdout.write(f"  {error}")
        if problems:
            raise CommandError(f"{len(problems)} transport(s) would fail at send time.")
        self.stdout.write("Every stored transport's config is valid.")
