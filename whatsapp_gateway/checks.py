"""Deploy check: production never runs on the simulator's public demo credentials."""

from django.conf import settings
from django.core.checks import Error, register

TAG = "whatsapp_gateway"
# Each credential: its check id, whether a deployment must set it, and what its demo value would give away.
CREDENTIALS = {
    "WHATSAPP_APP_SECRET": ("whatsapp_gateway.E001", True, "anyone can sign webhooks the gateway accepts"),
    "WHATSAPP_VERIFY_TOKEN": ("whatsapp_gateway.E002", True, "anyone can pass Meta's subscription handshake"),
    # May stay unset (each transport then holds its own token), never the demo one.
    "WHATSAPP_ACCESS_TOKEN": ("whatsapp_gateway.E003", False, "transports made from it only reach the simulator"),
}


def whatsapp_settings_problems(*, all_required: bool = False) -> dict[str, str]:
    """{variable: problem} for each WHATSAPP_* credential that is a public demo value or unset though required.

    `all_required` also requires the access token (creating a transport from the settings needs one).
    """
    problems = {}
    for name, (_, required, _risk) in CREDENTIALS.items():
        value = getattr(settings, name, "")
        if value and value == settings.WHATSAPP_DEMO_VALUES.get(name):
            problems[name] = f"{name} is the public demo value"
        elif not value and (required or all_required):
            problems[name] = f"{name} is not set"
    return problems


@register(TAG, deploy=True)
def whatsapp_credentials_check(app_configs=None, **kwargs) -> list[Error]:
    """An Error per WHATSAPP_* credential a production deployment cannot run on (`manage.py check --deploy`)."""
    return [
        Error(
            f"{problem} ({CREDENTIALS[name][2]}).",
            hint=f"Set {name} to your Meta app's value; see docs/deployment.md#production-environment-variables.",
            id=CREDENTIALS[name][0],
        )
        for name, problem in whatsapp_settings_problems().items()
    ]
