"""What a counter ledger (``scale.counters``) says: the sum of each key's rows."""

from django.db.models import Sum


def ledger_sums(model, *keys: str, value: str = "count") -> dict[tuple, int]:
    """The ledger's non-zero sums per key (``keys``: its key fields' attnames)."""
    rows = model.objects.order_by().values_list(*keys).annotate(total=Sum(value))
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1] != 0}
