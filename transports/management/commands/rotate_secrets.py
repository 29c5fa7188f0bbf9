from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError

from transports.services import transports_secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt every transport's secrets with the first SECRETS_ENCRYPTION_KEYS key (then drop the old ones)."

    def handle(self, *args, **options):
        try:
            count = transports_secrets_rotate()
        except InvalidToken as error:
            raise CommandError(
                "A transport's secrets cannot be decrypted with any SECRETS_ENCRYPTION_KEYS key; nothing changed. "
                "Keep the old key in the list until the rotation has run."
            ) from error
        self.stdout.write(f"Re-encrypted the secrets of {count} transport(s) with the first key.")
