"""Transport services: create, update, stop and resume transports."""

from cryptography.fernet import InvalidToken
from django.db import IntegrityError, transaction
from django.utils import timezone

from transports.config_schema import config_errors
from transports.models import Transport
from transports.secrets import (
    secret_env_name,
    secrets_decrypt,
    secrets_encrypt,
    secrets_env_errors,
    secrets_merged,
    secrets_rotate,
)
from transports.whatsapp.preset import SHORTHAND_SECRETS, WHATSAPP_CLOUD, whatsapp_cloud_expand, whatsapp_cloud_options
from whatsapp_gateway.errors import GatewayError
from whatsapp_gateway.models import App

# The inputs of transport_create/transport_update a problem can name; any other path is inside `config`.
INPUT_FIELDS = ("name", "secrets", "whatsapp_cloud", "is_active")


class TransportConfigInvalid(GatewayError):
    """The config breaks the published schema; `problems` is a list of "field: rule".

    `errors` files each problem under the input it names (secrets, whatsapp_cloud, …), else under config.
    """

    code = "invalid_config"

    def __init__(self, problems: list[str]):
        self.problems = problems
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            field = problem.split(".", 1)[0].split(":", 1)[0]
            by_field.setdefault(field if field in INPUT_FIELDS else "config", []).append(problem)
        super().__init__("; ".join(problems), errors=by_field)


class TransportNameTaken(GatewayError):
    """Another transport of the app has this name (names are unique per app)."""

    code = "transport_name_taken"

    def __init__(self, name: str):
        super().__init__(f"This app already has a transport named {name!r}.", field="name")


def transport_name_check(*, app: App, name: str, transport: Transport | None = None) -> None:
    """Raise TransportNameTaken when another transport of `app` is called `name`."""
    others = Transport.objects.filter(app=app, name=name)
    if transport is not None:
        others = others.exclude(pk=transport.pk)
    if others.exists():
        raise TransportNameTaken(name)


def _transport_save(transport: Transport) -> None:
    """Save; a name another request took since the check is TransportNameTaken too, not a 500."""
    try:
        with transaction.atomic():
            transport.save()
    except IntegrityError as error:
        raise TransportNameTaken(transport.name) from error


def transport_config_check(*, config: dict, secrets: dict | None = None) -> None:
    """Raise TransportConfigInvalid unless `config` is valid (schema, placeholders, URL guard)."""
    errors = config_errors(config, secrets=secrets)
    if errors:
        raise TransportConfigInvalid(errors)


def transport_secrets_check(
    *, secrets: dict | None, whatsapp_cloud: dict | None, operator: bool, stored: dict | None = None,
    config_changes: bool = False,
) -> None:
    """Raise TransportConfigInvalid for `env:` references the caller may not store.

    A tenant (`operator` False) stores none, and may not change where a transport sends while it
    uses the operator's references: the new URL could carry the operator's secret anywhere.
    """
    errors = secrets_env_errors(secrets or {}, operator=operator)
    if isinstance(whatsapp_cloud, dict):
        shorthand = {field: whatsapp_cloud.get(field) for field in SHORTHAND_SECRETS}
        errors += secrets_env_errors(shorthand, operator=operator, field="whatsapp_cloud")
    if not operator and config_changes and any(secret_env_name(v) for v in (stored or {}).values()):
        errors.append(
            "config: this transport uses secrets from the operator's environment; "
            "only an operator can change its config (admin)"
        )
    if errors:
        raise TransportConfigInvalid(errors)


def transport_config_from_shorthand(*, whatsapp_cloud: dict, token_required: bool = True) -> tuple[dict, dict]:
    """(config, secrets) from the `whatsapp_cloud` shorthand; raises TransportConfigInvalid."""
    try:
        return whatsapp_cloud_expand(whatsapp_cloud, token_required=token_required)
    except (TypeError, ValueError) as error:
        raise TransportConfigInvalid([str(error)]) from error


def transport_create(
    *, app: App, name: str, config: dict | None = None, secrets: dict | None = None,
    whatsapp_cloud: dict | None = None, is_active: bool = True, operator: bool = False,
) -> Transport:
    """A new transport from a full config or the `whatsapp_cloud` shorthand (whose secrets win).

    `operator` is True for the operator's own tools (commands, admin): only they store `env:` references.
    """
    transport_secrets_check(secrets=secrets, whatsapp_cloud=whatsapp_cloud, operator=operator)
    if whatsapp_cloud is not None:
        config, shorthand_secrets = transport_config_from_shorthand(whatsapp_cloud=whatsapp_cloud)
        secrets = {**(secrets or {}), **shorthand_secrets}
    if config is None:
        raise TransportConfigInvalid(["config: is required (or give whatsapp_cloud)"])
    secrets = secrets_merged({}, secrets)
    transport_config_check(config=config, secrets=secrets)
    transport_name_check(app=app, name=name)
    transport = Transport(app=app, name=name, config=config, is_active=is_active)
    transport.encrypted_secrets = secrets_encrypt(secrets)
    _transport_save(transport)
    return transport


def transport_update(
    *, transport: Transport, name: str | None = None, config: dict | None = None,
    secrets: dict | None = None, is_active: bool | None = None, whatsapp_cloud: dict | None = None,
    operator: bool = False,
) -> Transport:
    """Change the given fields only; secrets given are merged over the stored ones (None removes one)."""
    stored = secrets_decrypt(transport.encrypted_secrets)
    transport_secrets_check(
        secrets=secrets, whatsapp_cloud=whatsapp_cloud, operator=operator, stored=stored,
        config_changes=config is not None or whatsapp_cloud is not None,
    )
    if whatsapp_cloud is not None:
        if isinstance(whatsapp_cloud, dict) and transport.config.get("preset") == WHATSAPP_CLOUD:
            # Options left out keep their stored values, as the other fields of a PATCH do.
            whatsapp_cloud = {**whatsapp_cloud_options(transport.config), **whatsapp_cloud}
        # The stored token stays when the shorthand leaves it out: secrets are never sent back to be re-sent.
        config, shorthand_secrets = transport_config_from_shorthand(
            whatsapp_cloud=whatsapp_cloud, token_required="accessToken" not in stored
        )
        secrets = {**(secrets or {}), **shorthand_secrets}
    merged_secrets = secrets_merged(stored, secrets)
    if config is not None or secrets:
        # A removed secret must not be one the config still uses.
        transport_config_check(config=transport.config if config is None else config, secrets=merged_secrets)
    if config is not None:
        transport.config = config
    if name is not None:
        transport_name_check(app=transport.app, name=name, transport=transport)
        transport.name = name
    if secrets:
        transport.encrypted_secrets = secrets_encrypt(merged_secrets)
    if is_active is not None:
        transport.is_active = is_active
    _transport_save(transport)
    return transport


def whatsapp_transport_from_settings(*, app, name: str, settings, phone_strictness: str = "possible") -> Transport:
    """The app's transport called `name`, created from the WHATSAPP_* settings when it does not exist.

    Built with phoneStrictness "possible" so Meta's +1 555 test numbers (and DEV_PHONE) work.
    """
    existing = Transport.objects.filter(app=app, name=name).first()
    if existing is not None:
        return existing
    config, secrets = whatsapp_cloud_expand({
        "phone_number_id": settings.WHATSAPP_PHONE_NUMBER_ID,
        "business_account_id": settings.WHATSAPP_BUSINESS_ACCOUNT_ID,
        "api_version": settings.WHATSAPP_API_VERSION,
        "base_url": settings.WHATSAPP_API_BASE_URL,
        "access_token": settings.WHATSAPP_ACCESS_TOKEN,
        "app_secret": settings.WHATSAPP_APP_SECRET,
        "verify_token": settings.WHATSAPP_VERIFY_TOKEN,
        "phone_strictness": phone_strictness,
        "default_region": getattr(settings, "PHONE_DEFAULT_REGION", None) or None,
    })
    return transport_create(app=app, name=name, config=config, secrets=secrets, operator=True)


def transports_config_problems(*, network: bool = True) -> dict[Transport, list[str]]:
    """Stored transports whose config would fail at send time (e.g. edited by hand in the database).

    Each is mapped to its problems as "field: rule", checked as create and update check them;
    secrets that no configured key decrypts are a problem too. Valid transports are left out.
    """
    problems = {}
    for transport in Transport.objects.select_related("app").order_by("id"):
        try:
            secrets = secrets_decrypt(transport.encrypted_secrets)
        except (InvalidToken, ValueError):
            secrets, errors = None, ["secrets: cannot be decrypted with SECRETS_ENCRYPTION_KEYS"]
        else:
            errors = []
        errors += config_errors(transport.config, secrets=secrets, network=network)
        if errors:
            problems[transport] = errors
    return problems


def transports_secrets_rotate() -> int:
    """Re-encrypt every transport's secrets with the first SECRETS_ENCRYPTION_KEYS key; the count changed.

    After it the older keys can be dropped. A row no configured key decrypts raises InvalidToken
    and nothing is changed (one transaction), so no secret is lost to a missing key.
    """
    transports = list(Transport.objects.exclude(encrypted_secrets="").only("id", "encrypted_secrets"))
    for transport in transports:
        transport.encrypted_secrets = secrets_rotate(transport.encrypted_secrets)
    with transaction.atomic():
        Transport.objects.bulk_update(transports, ["encrypted_secrets"], batch_size=500)
    return len(transports)


class TransportInUse(GatewayError):
    """The transport has sessions or webhook events (the audit trail); the message says what to do instead."""

    code = "transport_in_use"
    status = 409


def transport_delete(*, transport: Transport) -> None:
    """Delete a transport nothing was sent or received through; raise TransportInUse otherwise."""
    # Reverse relations by name: the audit rows live in an app above this one.
    if transport.sessions.exists() or transport.webhook_events.exists():
        raise TransportInUse(
            "This transport has sessions or webhook events; deactivate it (is_active: false) instead of deleting it."
        )
    transport.delete()


def transport_stop(*, transport_id: int, reason: str) -> bool:
    """Stop a transport (e.g. Meta refused its token); True if this call stopped it."""
    with transaction.atomic():
        stopped = Transport.objects.filter(id=transport_id, stopped_at__isnull=True).update(
            stopped_at=timezone.now(), stopped_reason=reason
        )
    return stopped == 1


def transport_resume(*, transport: Transport) -> Transport:
    transport.stopped_at = None
    transport.stopped_reason = ""
    transport.save(update_fields=["stopped_at", "stopped_reason", "updated_at"])
    return transport
