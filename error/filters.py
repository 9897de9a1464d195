"""The query parameters of ``/errors/``, each declared under its API name."""

from error.models import Error
from scale.api.filters import OrderFilter, TimeWindowFilterSet


class ErrorFilterSet(TimeWindowFilterSet):
    """``started``/``ended`` on ``last_modified``, and ``order``. Errors are a few hundred
    rows at most: every orderable field is small enough to sort without an index."""

    order = OrderFilter(
        allowed=(
            "id",
            "name",
            "title",
            "category",
            "is_builtin",
            "created",
            "last_modified",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    class Meta:
        model = Error
        fields: list[str] = []
