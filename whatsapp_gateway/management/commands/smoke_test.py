from django.core.management.base import BaseCommand, CommandError

from whatsapp_gateway.smoke import smoke_test_run


class Command(BaseCommand):
    help = "Check database, broker, worker and a transport's credentials, send one message; exit non-zero on failure."

    def add_arguments(self, parser):
        parser.add_argument("--transport", type=int, help="Transport id (default: the first active transport).")
        parser.add_argument("--to", help="Verified recipient number for the test message (default: DEV_PHONE).")
        parser.add_argument("--template", default="hello_world", help="Approved template to send (hello_world).")
        parser.add_argument("--language", default="en_US", help="Template language code (en_US).")
        parser.add_argument("--no-send", action="store_true", help="Check everything but send no message.")

    def handle(self, *args, **options):
        checks = smoke_test_run(
            transport_id=options["transport"], to=options["to"], send=not options["no_send"],
            template=options["template"], language=options["language"],
        )
        for check in checks:
            mark = "SKIP" if check.skipped else ("PASS" if check.ok else "FAIL")
            style = self.style.WARNING if check.skipped else (self.style.SUCCESS if check.ok else self.style.ERROR)
            self.stdout.write(style(f"{mark} {check.name:<12} {check.detail}"))
        failed = [check.name for check in checks if not check.ok]
        if failed:
            raise CommandError(f"smoke test failed: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("smoke test passed"))
