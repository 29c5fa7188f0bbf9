"""`manage.py run_simulator`: the Meta Cloud API simulator in the foreground until Ctrl-C or SIGTERM."""

from django.core.management.base import BaseCommand, CommandError

from simulator.runner import add_arguments, config_from_options, serve


class Command(BaseCommand):
    help = "Run the Meta WhatsApp Cloud API simulator (docs/simulator.md)."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        try:
            serve(config_from_options(options), host=options["host"], port=options["port"],
                  access_log=options["access_log"], out=self.stdout)
        except OSError as error:  # the port is taken or the address is not this machine's: one line, exit 1
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {error.strerror}") from error
