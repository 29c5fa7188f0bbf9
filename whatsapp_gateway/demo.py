"""The zero-setup demo: an app with a known key, an admin login and a WhatsApp transport."""

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from transports.services import whatsapp_transport_from_settings
from whatsapp_gateway.models import App, AppAPIKey
from whatsapp_gateway.services import api_key_create

DEMO_APP_NAME = "demo"
DEMO_KEY_NAME = "demo"


def demo_key_file() -> Path:
    return Path(settings.VAR_DIR) / "demo_api_key"


def demo_api_key() -> str:
    """The demo key: DEMO_API_KEY if set, else the one `make run` generated and kept in var/."""
    if settings.DEMO_API_KEY:
        return settings.DEMO_API_KEY
    path = demo_key_file()
    return path.read_text().strip() if path.exists() else ""


@dataclass
class Demo:
    app: App
    api_key: str
    admin_username: str
    admin_password: str
    transport_id: int | None


def demo_bootstrap(*, admin_username: str = "admin", admin_password: str = "admin") -> Demo:  # noqa: S107 — the documented development login
    """Create (or reuse) the demo app, its key, an admin superuser and the demo WhatsApp transport.

    Raises ImproperlyConfigured when DEBUG is off: the admin/admin login and the demo credentials are public.
    """
    if not settings.DEBUG:
        raise ImproperlyConfigured("bootstrap_demo is for development only: DEBUG is off (make run sets DEBUG=1).")
    key = demo_api_key() or f"demo{secrets.token_hex(2)}.{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        app, _ = App.objects.get_or_create(name=DEMO_APP_NAME)
        _demo_key_ensure(app=app, key=key)
        user_model = get_user_model()
        if not user_model.objects.filter(username=admin_username).exists():
            user_model.objects.create_superuser(admin_username, f"{admin_username}@localhost", admin_password)
        transport_id = _demo_transport(app=app)
    return Demo(app, key, admin_username, admin_password, transport_id)


def _demo_key_ensure(*, app: App, key: str) -> None:
    keys = AppAPIKey.objects.filter(app=app, name=DEMO_KEY_NAME, revoked=False)
    if not any(k.is_valid(key) for k in keys):
        keys.update(revoked=True)
        AppAPIKey.objects.filter(prefix=key.partition(".")[0]).delete()
        api_key_create(app=app, name=DEMO_KEY_NAME, key=key)
    if not settings.DEMO_API_KEY:
        demo_key_file().parent.mkdir(parents=True, exist_ok=True)
        demo_key_file().write_text(key + "\n")


def _demo_transport(*, app: App) -> int | None:
    transport = app.transports.filter(name="whatsapp-demo").first()
    if transport is None:
        transport = whatsapp_transport_from_settings(app=app, name="whatsapp-demo", settings=settings)
    return transport.pk


def demo_transport_point_at(*, base_url: str) -> int | None:
    """Point the demo transport at the simulator the stack runs (`run_stack --simulator`); its id, if any.

    Only a demo transport that talks to a simulator is moved: one an operator pointed at Meta is left alone.
    """
    app = App.objects.filter(name=DEMO_APP_NAME).first()
    transport = app.transports.filter(name="whatsapp-demo").first() if app else None
    if transport is None:
        return None
    current = str(transport.config.get("baseUrl", ""))
    if current.rstrip("/") != base_url.rstrip("/") and "graph.facebook.com" not in current:
        transport.config = {**transport.config, "baseUrl": base_url}
        transport.save(update_fields=["config", "updated_at"])
    return transport.pk
