"""System check: every stored transport's config still passes the schema (rows may be edited by hand)."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

TAG = "transports"


@register(TAG, Tags.database)
def stored_transports_check(app_configs=None, databases=None, **kwargs) -> list[Warning]:
    """A Warning per stored transport that would fail at send time; startup is never blocked.

    A database check: it decrypts every transport, so it runs when the checks are given a database
    (`migrate`, `check --database default`), not before every other `manage.py` command.
    The URL guard is skipped (it resolves hosts); `manage.py check_transports` runs it too.
    The database may not exist or be migrated yet (`migrate` runs checks first): then nothing is said.
    """
    from transports.services import transports_config_problems

    if not databases:
        return []

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
