import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from whatsapp_gateway.demo import demo_api_key, demo_transport_point_at
from whatsapp_gateway.health import sends_go_to_the_simulator
from whatsapp_gateway.models import App
from whatsapp_gateway.stack import StackOptions, stack_run


def host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"{value!r} is not HOST:PORT, e.g. 127.0.0.1:8000")
    return value


class Command(BaseCommand):
    help = (
        "Run the web server, a sends worker, a webhooks/housekeeping worker with beat, and the Meta simulator "
        "until Ctrl-C; prints the banner and 'ready' once /readyz answers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--web", default="127.0.0.1:8000", help="HOST:PORT of the web server.")
        parser.add_argument(
            "--simulator", default="127.0.0.1:8001",
            help="HOST:PORT of the Meta simulator; the demo transport, the allow-list and the webhooks follow it.",
        )
        parser.add_argument("--no-simulator", action="store_true", help="Talk to the real Meta API.")
        parser.add_argument("--concurrency", type=int, default=2, help="Worker processes serving the sends queue.")

    def handle(self, *args, web, simulator, no_simulator, concurrency, **options):
        web = host_port(web)
        simulator = None if no_simulator else host_port(simulator)
        demo_key = demo_api_key()
        if simulator and sends_go_to_the_simulator():
            demo_transport = demo_transport_point_at(base_url=f"http://{simulator}")
        else:
            demo_transport = App.objects.filter(name="demo").values_list("transports__id", flat=True).first()
        stack = StackOptions(
            web=web, simulator=simulator, worker_concurrency=concurrency, callback_transport_id=demo_transport,
        )

        def announce():
            base = f"http://{web}"
            lines = [
                "",
                "WhatsApp Gateway:",
                f"  Admin:     {base}/admin/   (login admin / admin on the demo setup)",
                f"  API docs:  {base}/api/docs/",
                f"  Health:    {base}/healthz, {base}/readyz",
            ]
            if demo_key:
                lines.append(f"  Demo API key: {demo_key}")
            if stack.simulator:
                lines.append(f"  Meta simulator: {stack.simulator_url} (WHATSAPP_API_BASE_URL)")
            lines.append(f"  Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
                         f"broker: {settings.CELERY_BROKER_URL.split('://')[0]}")
            lines.append("Press Ctrl-C to stop.")
            self.stdout.write("\n".join(lines))
            # Seen at once even when stdout is a pipe or a file (block-buffered), not only at exit.
            self.stdout.flush()

        sys.exit(stack_run(stack, on_ready=announce, out=self.stdout))
