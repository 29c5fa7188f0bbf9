import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from broadcasts.services.manual_sends import send_test_message, test_result_describe
from transports.addresses import AddressError
from transports.models import Transport


def _json_object(value: str) -> dict:
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error})") from error
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return parsed


class Command(BaseCommand):
    help = "Send one test message through a transport now and print the provider's answer."

    def add_arguments(self, parser):
        parser.add_argument("--transport", type=int, required=True, help="Transport id.")
        parser.add_argument("--to", required=True, help="Recipient phone number, e.g. +15550100001.")
        parser.add_argument("--template", help="Template name; without it a text message is sent.")
        parser.add_argument("--language", default="en_US", help="Template language code (default en_US).")
        parser.add_argument(
            "--param", action="append", default=[],
            help="Template body parameter, repeatable; name=value for named templates.",
        )
        parser.add_argument(
            "--header", type=_json_object, metavar="JSON",
            help='Template header as in a session\'s message.meta.header, e.g. \'{"type": "image", "link": "https://…"}\'.',
        )
        parser.add_argument("--text", help="Text for a plain text message (24-hour window only).")

    def handle(self, *args, **options):
        transport = Transport.objects.filter(pk=options["transport"]).first()
        if transport is None:
            raise CommandError(f"No transport with id {options['transport']}.")
        try:
            result, session = send_test_message(
                transport=transport, to=options["to"], template=options["template"],
                language=options["language"], params=options["param"], text=options["text"],
                header=options["header"],
            )
        except AddressError as error:
            raise CommandError(f"--to: {error}") from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(test_result_describe(result))
        self.stdout.write(f"Recorded as test session {session.pk}")
        self.stdout.write(result.response_body or json.dumps({"request": result.request}))
        if not result.ok:
            raise CommandError("The provider refused the message.")
