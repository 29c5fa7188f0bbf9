from django.core.management.base import BaseCommand, CommandError

from templates.services import TemplateError, templates_sync, templates_sync_all
from transports.models import Transport


class Command(BaseCommand):
    help = "Sync message templates from Meta (all pages) for one transport or every active one."

    def add_arguments(self, parser):
        parser.add_argument("--transport", type=int, help="Transport id; all active transports when omitted.")

    def handle(self, *args, transport=None, **options):
        if transport is None:
            reports = templates_sync_all()
        else:
            found = Transport.objects.filter(pk=transport).first()
            if found is None:
                raise CommandError(f"No transport with id {transport}.")
            try:
                reports = [templates_sync(transport=found)]
            except TemplateError as error:
                raise CommandError(f"Sync failed: {error.message}") from error
        for report in reports:
            self.stdout.write(
                f"transport {report.transport}: {report.created} new, {report.updated} updated, "
                f"{report.deleted} deleted at Meta"
            )
