"""Admin building blocks for tables that grow to millions of rows.

Django's admin is written for small tables: its changelist counts the filtered rows on
every page, its search casts integer columns to text, its delete confirmation loads every
protected row to list it. The pieces here keep each page to a fixed, small amount of
work, whatever the size of the table. The admin modules of every app use them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.db.models.deletion import PROTECT
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString


class EstimatedCountPaginator(Paginator):
    """A paginator whose ``count`` is exact up to ``exact_count_limit`` rows, estimated beyond.

    The changelist asks for ``count`` on every page, filtered or not; ``COUNT(*)`` over a
    million jobs reads a million index entries each time. Here the rows are counted only
    up to the limit (``SELECT count(*) FROM (... LIMIT limit + 1)``, cheap whatever the
    table's size). When the limit is reached the planner's row estimate for the same query
    is used instead (``EXPLAIN``: pg_class.reltuples for an unfiltered table, its
    statistics for a filtered one), never less than the limit. Small sets therefore show
    exact counts and pages; big ones show "about N" and every page stays reachable.
    """

    exact_count_limit = 10_000
    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        bounded = queryset.values("pk")[: self.exact_count_limit + 1].count()
        if bounded <= self.exact_count_limit:
            self.count_is_estimate = False
            return bounded
        self.count_is_estimate = True
        return max(self._planner_estimate(queryset), bounded)

    @staticmethod
    def _planner_estimate(queryset: QuerySet) -> int:
        sql, params = queryset.values("pk").query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


class LargeTableChangeList(ChangeList):
    """Defers the model admin's ``list_defer`` columns (big JSON, logs) on list pages only,
    and tells the pagination template whether the count is an estimate."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        deferred = getattr(self.model_admin, "list_defer", ())
        return queryset.defer(*deferred) if deferred else queryset

    def get_results(self, request) -> None:
        super().get_results(request)
        self.count_is_estimate = getattr(self.paginator, "count_is_estimate", False)


class ProtectedCountDeleteMixin:
    """A delete confirmation that counts the rows protecting an object instead of loading
    them all (see ``protected_references``)."""

    def get_deleted_objects(self, objs, request):
        protected = protected_references(objs)
        if protected:
            return [], {}, set(), protected
        return super().get_deleted_objects(objs, request)


class LargeTableAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    """A model admin for a big table.

    - ``show_full_result_count = False``, ``EstimatedCountPaginator`` and no facets: no
      full count, ever.
    - ``list_defer``: columns never read on list pages.
    - ``search_id_fields`` / ``search_text_fields``: a whole-number search term matches
      the id columns exactly (through their indexes), any other term matches the text
      columns case-insensitively. Django's default would cast ids to text (``=id`` becomes
      ``UPPER(id::text) = UPPER('42')``), which no index serves.
    - the delete confirmation counts protected rows instead of loading them all.
    """

    show_full_result_count = False
    # "Show counts" would count every filter choice over the whole table on every page.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    list_per_page = 100
    list_max_show_all = 200
    list_defer: Sequence[str] = ()
    # What the object's own page reads with the object (its links) and never reads.
    detail_select_related: Sequence[str] = ()
    detail_defer: Sequence[str] = ()
    search_id_fields: Sequence[str] = ("pk",)
    search_text_fields: Sequence[str] = ()

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request)
        if self.detail_select_related:
            queryset = queryset.select_related(*self.detail_select_related)
        if self.detail_defer:
            queryset = queryset.defer(*self.detail_defer)
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_search_fields(self, request) -> Sequence[str]:
        # Non-empty so that the changelist shows its search box; get_search_results below
        # decides what a term matches.
        return tuple(self.search_id_fields) + tuple(self.search_text_fields)

    def get_search_results(self, request, queryset, search_term):
        terms = search_term.split()
        for term in terms:
            if term.isascii() and term.isdigit() and len(term) <= 18:
                query = Q.create(
                    [(field, int(term)) for field in self.search_id_fields], connector=Q.OR
                )
            elif self.search_text_fields:
                query = Q.create(
                    [(f"{field}__icontains", term) for field in self.search_text_fields],
                    connector=Q.OR,
                )
            else:
                return queryset.none(), False
            queryset = queryset.filter(query)
        return queryset, False


class ReadOnlyAdminMixin:
    """Pages that show rows but never save them.

    Jobs and executions change only through the services in ``job/services.py`` (admin
    actions call them); a model form saving a job would bypass the lock and the status
    rules. The change page is therefore a view page, and there is no add or delete.
    ``has_change_permission`` without an object still answers with the user's real
    permission, so actions that need ``change`` (cancel) stay available on the list.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)


class LedgerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A counter ledger (``scale.counters``): changes that PostgreSQL triggers append and
    the workers fold, never edited. A subclass names the key and value columns it lists
    (``list_display``); each key's value is the sum of its rows."""

    list_filter: Sequence[str] = ("folded",)

    def get_fields(self, request, obj=None):
        return (*self.list_display, "folded")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


class ReadOnlyInline(admin.TabularInline):
    """An inline that lists related rows read-only: no add, change or delete."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def titled_filter(base: type[admin.FieldListFilter], title: str) -> type[admin.FieldListFilter]:
    """``base`` under another title: two filters both called "category" would confuse."""

    class TitledFilter(base):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    TitledFilter.__name__ = f"Titled{base.__name__}"
    return TitledFilter


def protected_references(objs: Iterable[Model]) -> list[str]:
    """What keeps ``objs`` from being deleted, as ``"N jobs"`` lines, counted up to 1000.

    Django's own delete confirmation loads every protecting row to list it: for a job type
    with a million jobs that page would never render. Every reverse relation in this
    project is ``PROTECT``, so a count per relation says all there is to say.
    """
    objs = list(objs) if not isinstance(objs, QuerySet) else objs
    if isinstance(objs, QuerySet):
        model = objs.model
    elif objs:
        model = type(objs[0])
    else:
        return []
    lines = []
    for relation in model._meta.related_objects:
        if relation.on_delete is not PROTECT or relation.many_to_many:
            continue
        related = relation.related_model._default_manager.filter(
            **{f"{relation.field.name}__in": objs}
        )
        count = related.order_by().values("pk")[:1001].count()
        if count:
            shown = "1,000+" if count > 1000 else f"{count:,}"
            name = relation.related_model._meta
            plural = name.verbose_name if count == 1 else name.verbose_name_plural
            lines.append(f"{shown} {plural}")
    return lines


def admin_change_link(obj: Model | None, text: object | None = None) -> SafeString | str:
    """A link to ``obj``'s admin page (``-`` for None), built without a query."""
    if obj is None:
        return "-"
    return admin_change_link_by_id(type(obj), obj.pk, text if text is not None else obj)


def admin_change_link_by_id(model: type[Model], pk: int | None, text: object) -> SafeString | str:
    if pk is None:
        return "-"
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, text)


def admin_changelist_link(model: type[Model], text: object, **lookups: object) -> SafeString:
    """A link to ``model``'s admin list filtered by ``lookups`` (``job__id__exact=5``)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if lookups:
        url = f"{url}?{urlencode(lookups)}"
    return format_html('<a href="{}">{}</a>', url, text)


def pretty_json(value: object) -> SafeString:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=False))

