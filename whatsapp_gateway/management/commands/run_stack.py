import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from whatsapp_gateway.demo import demo_api_key
from whatsapp_gateway.models import App
from whatsapp_gateway.stack import StackOptions, stack_run


class Command(BaseCommand):
    help = "Run the web server, a Celery worker with beat, and the Meta simulator until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--web", default="127.0.0.1:8000", help="HOST:PORT of the web server.")
        parser.add_argument("--simulator", default="127.0.0.1:8001", help="HOST:PORT of the Meta simulator.")
        parser.add_argument("--no-simulator", action="store_true", help="Talk to the real Meta API.")
        parser.add_argument("--concurrency", type=int, default=2, help="Worker processes.")

    def handle(self, *args, web, simulator, no_simulator, concurrency, **options):
        demo_key = demo_api_key()
        demo_transport = App.objects.filter(name="demo").values_list("transports__id", flat=True).first()
        stack = StackOptions(
            web=web,
            simulator=None if no_simulator else simulator,
            worker_concurrency=concurrency,
            callback_transport_id=demo_transport,
        )

        def announce():
            base = f"http://{web}"
            lines = [
                "",
                "WhatsApp Gateway is starting:",
                f"  Admin:     {base}/admin/   (login admin / admin on the demo setup)",
                f"  API docs:  {base}/api/docs/",
                f"  Health:    {base}/healthz",
            ]
            if demo_key:
                lines.append(f"  Demo API key: {demo_key}")
            if stack.simulator:
                lines.append(f"  Meta simulator: http://{stack.simulator} (WHATSAPP_API_BASE_URL)")
            lines.append(f"  Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
                         f"broker: {settings.CELERY_BROKER_URL.split('://')[0]}")
            lines.append("Press Ctrl-C to stop.\n")
            self.stdout.write("\n".join(lines))
            # Seen at once even when stdout is a pipe or a file (block-buffered), not only at exit.
            self.stdout.flush()

        sys.exit(stack_run(stack, on_ready=announce))
