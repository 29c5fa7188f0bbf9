from django.core.management.base import BaseCommand, CommandError

from broadcasts.services.privacy import ErasureError, recipient_erase
from whatsapp_gateway.models import App


class Command(BaseCommand):
    help = "Erase one person's number, parameters and messages (every app, or one with --app)."

    def add_arguments(self, parser):
        parser.add_argument(
            "number", help="A phone number in any format ('+1 202 555 0101'), a BSUID or a wamid; matched whole."
        )
        parser.add_argument("--app", help="Name of the only app to erase from (default: every app).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be erased; change nothing.")

    def handle(self, *args, number: str, app: str | None, dry_run: bool, **options):
        apps = App.objects.filter(name=app) if app else App.objects.all()
        if app and not apps.exists():
            raise CommandError(f"No app named {app!r}.")
        for each in apps.order_by("id"):
            try:
                erasure = recipient_erase(
                    app=each, address=number, requested_by="manage.py erase_recipient", dry_run=dry_run
                )
            except ErasureError as error:
                raise CommandError(str(error)) from error
            counts = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in erasure.counts.items())
            done = "Dry run, nothing changed" if dry_run else f"erasure {erasure.pk}"
            self.stdout.write(f"{each.name}: {done} — {counts}")
