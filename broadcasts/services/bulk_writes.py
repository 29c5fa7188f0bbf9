"""Writing many loaded rows at once: one UPDATE per distinct set of values when the rows mostly share them.

Django's `bulk_update` builds a CASE WHEN per row and field; for a batch of status webhooks, where a hundred
broadcasts move to the same status at the same second, resolving those expressions costs more CPU than the
database spends on the UPDATE. Rows that share every written value are updated with one plain UPDATE each
group; when they do not (at most one group per GROUP_AT_MOST_EVERY rows), `bulk_update` is used as before.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Model

GROUP_AT_MOST_EVERY = 10  # rows per distinct set of values, at least, for grouped UPDATEs
IDS_PER_UPDATE = 900  # stays under SQLite's bound-parameter limit


def _groups(rows: Sequence[Model], attnames: list[str]) -> dict[tuple, list] | None:
    groups: dict[tuple, list] = defaultdict(list)
    try:
        for row in rows:
            groups[tuple(getattr(row, name) for name in attnames)].append(row.pk)
    except TypeError:  # an unhashable value (a JSON field's dict or list): no grouping
        return None
    return groups


def rows_update(model: type[Model], rows: Sequence[Model], fields: Sequence[str], *, batch_size: int = 1000) -> int:
    """Write `fields` of the loaded `rows` (same result as `model.objects.bulk_update`); returns the UPDATEs run."""
    if not rows:
        return 0
    fields = list(fields)
    attnames = [model._meta.get_field(name).attname for name in fields]
    groups = _groups(rows, attnames)
    if groups is None or len(groups) > max(1, len(rows) // GROUP_AT_MOST_EVERY):
        model.objects.bulk_update(rows, fields, batch_size=batch_size)
        return -(-len(rows) // batch_size)
    updates = 0
    for values, ids in groups.items():
        for start in range(0, len(ids), IDS_PER_UPDATE):
            changes = dict(zip(attnames, values, strict=True))
            model.objects.filter(pk__in=ids[start:start + IDS_PER_UPDATE]).update(**changes)
            updates += 1
    return updates
