"""Transport secrets at rest: a JSON object encrypted with Fernet (key from the environment)."""

import json

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    # The first key encrypts; all keys decrypt, so keys can be rotated without downtime.
    return MultiFernet([Fernet(key) for key in settings.SECRETS_ENCRYPTION_KEYS])


def secrets_encrypt(secrets: dict) -> str:
    if not secrets:
        return ""
    return _fernet().encrypt(json.dumps(secrets).encode()).decode()


def secrets_decrypt(token: str) -> dict:
    if not token:
        return {}
    return json.loads(_fernet().decrypt(token.encode()))


def secrets_merged(stored: dict, changes: dict | None) -> dict:
    """`changes` over `stored`; a name changed to None is removed."""
    return {name: value for name, value in {**stored, **(changes or {})}.items() if value is not None}


def secrets_rotate(token: str) -> str:
    """`token` re-encrypted with the first key (readable by any configured key); "" stays ""."""
    return _fernet().rotate(token.encode()).decode() if token else ""


ENV_PREFIX = "env:"


def secrets_resolve(secrets: dict) -> dict:
    """`secrets` with `env:NAME` references replaced by the environment variable's value ("" when unset)."""
    import os

    return {
        key: os.environ.get(value[len(ENV_PREFIX):], "") if isinstance(value, str) and value.startswith(ENV_PREFIX)
        else value
        for key, value in secrets.items()
    }
