"""The templates app's signals: code that must react to a template's status need not be imported here."""

from django.dispatch import Signal

# Sent after commit, with `transport` and `templates` (a list of (name, language)), when templates of
# the transport became APPROVED (again), from Meta's status webhook or a sync.
templates_approved = Signal()

# Sent after commit, with `transport` and `changes` (a list of TemplateCategoryChange), when Meta moved
# templates of the transport to another category.
templates_recategorised = Signal()

# Sent inside the transaction of the change, with `transport` and `changes` (a list of {"id", "name",
# "language", "status", "previous_status", "reason"}), when Meta's webhook or a sync changed templates' statuses:
# a receiver's writes (the callbacks' outbox) commit or roll back with the change.
template_status_changed = Signal()


def status_change(template, status: str, reason: str = "") -> dict:
    """One entry of `changes`: the template (as it was loaded, before the change) moving to `status`."""
    return {"id": template.pk, "name": template.name, "language": template.language, "status": status,
            "previous_status": template.status, "reason": reason}


def status_changes_announce(*, transport, changes: list[dict]) -> None:
    if changes:
        template_status_changed.send(sender=type(transport), transport=transport, changes=changes)
