"""System check: every stored transport's config still passes the schema (rows may be edited by hand)."""

from django.core.checks import Warning, register
from django.db import DatabaseError

TAG = "transports"


@register(TAG)
def stored_transports_check(app_configs=None, **kwargs) -> list[Warning]:
    """A Warning per stored transport that would fail at send time; startup is never blocked.

    The URL guard is skipped (it resolves hosts); `manage.py check_transports` runs it too.
    The database may not exist or be migrated yet (`migrate` runs checks first): then nothing is said.
    """
    from transports.services import transports_config_problems

    try:
        problems = transports_config_problems(network=False)
    except DatabaseError:
        return []
    return [
        Warning(
            f"Transport {transport.pk} ({transport.name}, app {transport.app.name}) would fail at send time: "
            + "; ".join(errors),
            hint="Fix its config in the admin or through the API; `manage.py check_transports` lists them all.",
            obj=transport,
            id="transports.W001",
        )
        for transport, errors in problems.items()
    ]
