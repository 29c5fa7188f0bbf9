"""Writing many loaded rows at once: one UPDATE per distinct set of values when the rows mostly share them.

Django's `bulk_update` builds a CASE WHEN per row and field; for a batch of status webhooks, where a hundred
broadcasts move to the same status at the same second, resolving those expressions costs more CPU than the
database spends on the UPDATE. Rows that share every written value are updated with one plain UPDATE each
group. When they do not (at most one group per GROUP_AT_MOST_EVERY rows), PostgreSQL gets one
`UPDATE ... FROM (VALUES ...)` per batch for plain text and number fields (a sent batch's wamids), and any
other case `bulk_update` as before.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection
from django.db.models import CharField, IntegerField, Model, TextField

VALUES_FIELD_TYPES = (CharField, TextField, IntegerField)  # values written by UPDATE ... FROM (VALUES ...)

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
        if connection.vendor == "postgresql" and all(
            isinstance(model._meta.get_field(name), VALUES_FIELD_TYPES) for name in fields
        ):
            return _values_update(model, rows, attnames, batch_size=batch_size)
        model.objects.bulk_update(rows, fields, batch_size=batch_size)
        return -(-len(rows) // batch_size)
    updates = 0
    for values, ids in groups.items():
        for start in range(0, len(ids), IDS_PER_UPDATE):
            changes = dict(zip(attnames, values, strict=True))
            model.objects.filter(pk__in=ids[start:start + IDS_PER_UPDATE]).update(**changes)
            updates += 1
    return updates


def _values_update(model: type[Model], rows: Sequence[Model], attnames: list[str], *, batch_size: int) -> int:
    """PostgreSQL: `UPDATE t SET f = v.f FROM (VALUES (pk, f...), ...) v WHERE t.pk = v.pk`, one per batch."""
    meta, quote = model._meta, connection.ops.quote_name
    pk_column = meta.pk.column
    columns = [meta.get_field(name).column for name in attnames]
    casts = [meta.pk.cast_db_type(connection)] + [meta.get_field(name).cast_db_type(connection) for name in attnames]
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns)
    names = ", ".join(quote(column) for column in [pk_column, *columns])
    updates = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            params = [value for row in batch for value in (row.pk, *(getattr(row, name) for name in attnames))]
            values = ", ".join([row_sql] * len(batch))
            # Identifiers come from the model's own metadata, quoted; every value is a bound parameter.
            sql = (f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM (VALUES {values}) "  # noqa: S608
                   f"AS v({names}) WHERE t.{quote(pk_column)} = v.{quote(pk_column)}")
            cursor.execute(sql, params)
            updates += 1
    return updates
