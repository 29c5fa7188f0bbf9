from django.core.management.base import BaseCommand, CommandError

from templates.services import TemplateError, templates_sync, templates_sync_each
from transports.models import Transport


class Command(BaseCommand):
    help = (
        "Sync message templates from Meta (all pages) for one transport or every active one; "
        "exit non-zero, one line per failed transport, when any sync failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--transport", type=int, help="Transport id; all active transports when omitted.")

    def handle(self, *args, transport=None, **options):
        if transport is None:
            reports, failures = templates_sync_each()
        else:
            found = Transport.objects.filter(pk=transport).first()
            if found is None:
                raise CommandError(f"No transport with id {transport}.")
            try:
                reports, failures = [templates_sync(transport=found)], []
            except TemplateError as error:
                raise CommandError(f"transport {transport}: sync failed: {error.message}") from error
        for report in reports:
            self.stdout.write(
                f"transport {report.transport}: {report.created} new, {report.updated} updated, "
                f"{report.deleted} deleted at Meta"
            )
            for skipped in report.skipped:
                self.stdout.write(
                    f"transport {report.transport}: skipped {skipped['name']} ({skipped['language']}): "
                    f"{skipped['reason']}"
                )
        for failure in failures:
            self.stderr.write(f"transport {failure.transport}: sync failed: {failure.message}")
        if failures:
            raise CommandError(f"{len(failures)} of {len(reports) + len(failures)} transport(s) failed to sync.")
