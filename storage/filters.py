"""The query parameters of ``/workspaces/``, each declared under its API name."""

from scale.api.filters import OrderFilter, TimeWindowFilterSet, text_filter
from storage.models import Workspace


class WorkspaceFilterSet(TimeWindowFilterSet):
    """``started``/``ended`` on ``last_modified``, ``name`` and ``order``. Workspaces are a
    handful of rows: every orderable field is small enough to sort without an index."""

    name = text_filter("name", label="Only workspaces with this name (repeatable).", max_length=50)
    order = OrderFilter(
        allowed=(
            "id",
            "name",
            "title",
            "is_active",
            "used_size",
            "total_size",
            "created",
            "archived",
            "last_modified",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    class Meta:
        model = Workspace
        fields: list[str] = []
