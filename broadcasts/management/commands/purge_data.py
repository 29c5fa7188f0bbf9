from django.core.management.base import BaseCommand

from broadcasts.services.privacy import personal_data_purge


class Command(BaseCommand):
    help = "Anonymize or delete personal data older than the RETENTION_* settings and print the counts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")

    def handle(self, *args, dry_run: bool, **options):
        counts = personal_data_purge(dry_run=dry_run)
        if dry_run and counts:
            self.stdout.write("Dry run: what a purge would change now (nothing was changed).")
        for kind, count in counts.items():
            self.stdout.write(f"{kind.replace('_', ' ')}: {count}")
        if not counts:
            self.stdout.write("Every retention is 0 days: nothing is purged.")
