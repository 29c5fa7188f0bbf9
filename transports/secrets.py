"""Transport secrets at rest: a JSON object encrypted with Fernet (key from the environment), and reading them."""

import json
import os

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


def secret_env_name(value) -> str | None:
    """NAME when `value` is an `env:NAME` reference, else None."""
    return value[len(ENV_PREFIX):] if isinstance(value, str) and value.startswith(ENV_PREFIX) else None


def secrets_env_errors(secrets: dict, *, operator: bool, field: str = "secrets") -> list[str]:
    """Problems with the `env:NAME` references among `secrets`, as "field.name: rule"; [] when none.

    The environment is the operator's: a tenant (the API) may store no reference at all, and an
    operator (admin, commands) only one naming a variable listed in TRANSPORT_SECRET_ENV_NAMES.
    """
    allowed = set(settings.TRANSPORT_SECRET_ENV_NAMES)
    errors = []
    for name, value in (secrets or {}).items():
        env_name = secret_env_name(value)
        if env_name is None:
            continue
        if not operator:
            errors.append(f"{field}.{name}: env: references are for operators (admin); give the value itself")
        elif env_name not in allowed:
            errors.append(f"{field}.{name}: env:{env_name} is not listed in TRANSPORT_SECRET_ENV_NAMES")
    return errors


def secrets_resolve(secrets: dict) -> dict:
    """`secrets` with `env:NAME` references resolved: the variable's value for a name listed in
    TRANSPORT_SECRET_ENV_NAMES, "" for any other (so a stored reference can never read the rest)."""
    allowed = set(settings.TRANSPORT_SECRET_ENV_NAMES)
    resolved = {}
    for key, value in secrets.items():
        env_name = secret_env_name(value)
        resolved[key] = value if env_name is None else os.environ.get(env_name, "") if env_name in allowed else ""
    return resolved


def transport_secrets(transport) -> dict:
    """The transport's secrets decrypted, with `env:NAME` references resolved from the environment."""
    return secrets_resolve(secrets_decrypt(transport.encrypted_secrets))
