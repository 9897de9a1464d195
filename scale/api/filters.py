"""Shared django-filter pieces: repeated-value filters, the time window and ``order``.

Every public query parameter is declared under its API name in an app's FilterSet, built
from these; every FilterSet derives from ``ScaleFilterSet`` (``TimeWindowFilterSet`` when
it takes ``started``/``ended``). A bad value makes the FilterSet invalid, and the base
viewset (``scale.api.views.ReadOnlyViewSet``) turns that into a 400 naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import django_filters
import isodate
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import mark_safe

MAX_REPEATS = 1000
_SPACE_FOR_PLUS = re.compile(r"^(\S+T[0-9:.,]+) ([0-9]{2}(?::?[0-9]{2})?)$")
PG_BIGINT_MAX = 2**63 - 1
_EMPTY_DURATION = re.compile(r"-?PT?")

# The forms ``started``/``ended`` take, as the OpenAPI schema gives them to clients (and to
# generators and schemathesis, which make values from it): exactly what the field accepts.
# No look-arounds, so that JavaScript, Python and hypothesis read it alike.
_YEAR = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
# An unencoded "+" in a query string arrives as a space: 2015-01-01T00:00:00 05:00.
_OFFSET = r"(?:Z|[-+ ](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
_DATETIME = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)T{_TIME}{_OFFSET}"
_N = r"[0-9]{1,12}"
_DATE_PART = (
    rf"(?:{_N}Y(?:{_N}M)?(?:{_N}W)?(?:{_N}D)?|{_N}M(?:{_N}W)?(?:{_N}D)?|{_N}W(?:{_N}D)?|{_N}D)"
)
_SECONDS = rf"{_N}(?:\.[0-9]{{1,6}})?S"
_TIME_PART = rf"(?:{_N}H(?:{_N}M)?(?:{_SECONDS})?|{_N}M(?:{_SECONDS})?|{_SECONDS})"
_DURATION = rf"P(?:{_DATE_PART}(?:T{_TIME_PART})?|T{_TIME_PART})"
# Empty is allowed: the field reads ?started= as no started at all.
DATETIME_OR_DURATION_PATTERN = rf"^(?:{_DATETIME}|{_DURATION})?$"
DATETIME_OR_DURATION_MAX_LENGTH = 100
_DATETIME_OR_DURATION = re.compile(DATETIME_OR_DURATION_PATTERN)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class RepeatedTextInput(forms.TextInput):
    """A repeatable parameter in an HTML form (the browsable API's filter form): a text box
    per value given and a blank one to add a value; every value of the parameter is read.
    The page leaves blank boxes out when it sends the form (static/scale/filter_form.js):
    an empty value is a 400, as in any request."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def render(self, name, value, attrs=None, renderer=None) -> str:
        values = value if isinstance(value, list | tuple) else [value]
        given = [item for item in values if item not in (None, "")]
        return mark_safe(  # each box is rendered, and escaped, by Django
            "".join(super(RepeatedTextInput, self).render(name, item, attrs, renderer)
                    for item in [*given, ""])
        )


class RepeatedSelect(forms.SelectMultiple):
    """A repeatable parameter of known values in an HTML form: a multiple choice, whose
    browser sends one parameter per value chosen."""


class MultiValueField(forms.Field):
    """A query parameter that may be repeated (``?status=A&status=B``), each value cleaned.

    Error messages carry the client's values as ``params``, never inside the message
    itself: Django and django-filter format messages with ``%``, and a value such as
    ``100%`` would otherwise break the formatting (a 500 instead of a 400).

    ``child`` cleans one value, and its error names the bad value; the whole parameter
    cleans to a list with duplicates removed, or ``[]`` when absent.
    """

    widget = RepeatedTextInput

    def __init__(self, *, child: forms.Field, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.child = child

    def to_python(self, value) -> list:
        if value in (None, "", [], ()):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_REPEATS:
            raise forms.ValidationError(f"may be given at most {MAX_REPEATS} times.")
        cleaned = []
        for raw in values:
            try:
                item = self.child.clean(raw)
            except forms.ValidationError as exc:
                reason = " ".join(exc.messages)
                raise forms.ValidationError(
                    "%(value)s is not valid: %(reason)s",
                    params={"value": repr(raw), "reason": reason},
                ) from exc
            if item not in cleaned:
                cleaned.append(item)
        return cleaned


class MultiValueFilter(django_filters.Filter):
    """``field IN (values)`` for a repeatable parameter; absent means no filtering."""

    field_class = MultiValueField

    def __init__(self, *args, child: forms.Field, **kwargs) -> None:
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(*args, child=child, **kwargs)

    def filter(self, qs: QuerySet, value: list) -> QuerySet:
        if not value:
            return qs
        relation, _, column = self.field_name.partition("__")
        field = qs.model._meta.get_field(relation)
        if column and "__" not in column and field.many_to_one:
            # fk IN (SELECT id FROM related WHERE column IN ...) rather than a JOIN: the
            # same rows, but PostgreSQL then counts through the index that the FK leads
            # (job_type, error) instead of joining the whole table.
            related = field.related_model.objects.filter(**{f"{column}__{self.lookup_expr}": value})
            return qs.filter(**{f"{relation}__in": related.values("pk")})
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": value})


class IdField(forms.Field):
    """An id: a whole number from 1 to PostgreSQL's bigint maximum, written in ASCII digits
    and nothing else (Django's IntegerField also takes ``1.0``, `` 12`` and ``１２``)."""

    def to_python(self, value) -> int | None:
        if value in (None, ""):
            return None
        text = str(value)
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(PG_BIGINT_MAX)):
            raise forms.ValidationError(f"must be a whole number from 1 to {PG_BIGINT_MAX}.")
        number = int(text)
        if not 1 <= number <= PG_BIGINT_MAX:
            raise forms.ValidationError(f"must be a whole number from 1 to {PG_BIGINT_MAX}.")
        return number


def id_filter(field_name: str, *, label: str) -> MultiValueFilter:
    return MultiValueFilter(field_name=field_name, child=IdField(), label=label)


def text_filter(field_name: str, *, label: str, max_length: int = 250) -> MultiValueFilter:
    child = forms.CharField(max_length=max_length, strip=False)
    return MultiValueFilter(field_name=field_name, child=child, label=label)


def fixed_choices(choices) -> Callable[[], list]:
    """Choices that never change, given to a form field or widget as a function.

    Django copies a field's and a widget's choices with every form, normalizing each one
    again (every request's FilterSet makes its form); a function returning them is copied
    as it is, and called only when the choices are read (a value checked, a form shown).
    """
    choices = list(choices)
    return lambda: choices


def choice_filter(field_name: str, *, choices, label: str) -> MultiValueFilter:
    names = ", ".join(value for value, _ in choices)
    choices = fixed_choices(choices)
    child = forms.ChoiceField(
        choices=choices, error_messages={"invalid_choice": f"must be one of {names}."}
    )
    widget = RepeatedSelect(choices=choices)
    return MultiValueFilter(field_name=field_name, child=child, label=label, widget=widget)


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (any case; ``1``/``0`` too). Django's boolean fields read any
    other word as false or unknown; here it is a 400 naming the parameter."""

    TRUE = ("true", "1")
    FALSE = ("false", "0")
    widget = forms.Select(choices=[("", "---------"), ("true", "true"), ("false", "false")])

    def to_python(self, value) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(
            "%(value)s is not a boolean: use true or false.", params={"value": repr(value)}
        )


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class DateTimeOrDurationField(forms.Field):
    """An ISO-8601 datetime with a timezone, or an ISO-8601 duration meaning "now minus it",
    in the forms of ``DATETIME_OR_DURATION_PATTERN``.

    A moment beyond the calendar's ends (a duration longer than the time since year 1,
    ``0001-01-01T00:00:00+01:00``) is the earliest or latest instant: the window it bounds
    holds the same rows.
    """

    widget = forms.TextInput

    def to_python(self, value) -> datetime | None:
        if value in (None, ""):
            return None
        text = str(value).strip()
        moment = self._parse(text)
        # Parsed first, for the messages that say what is wrong; then only the documented
        # forms (isodate also reads week dates, basic formats, decimal commas...).
        if len(text) > DATETIME_OR_DURATION_MAX_LENGTH or not _DATETIME_OR_DURATION.match(text):
            raise forms.ValidationError(
                "%(value)s is not in a form this service takes: an ISO-8601 datetime with a "
                "timezone such as 2015-01-01T00:00:00Z or 2015-01-01T00:00:00.000+05:00, or "
                "an ISO-8601 duration such as PT3H0M0S or P1DT12H.",
                params={"value": repr(text)},
            )
        return moment

    def _parse(self, text: str) -> datetime:
        if text.startswith(("P", "-P")):
            return self._from_duration(text)
        text = _SPACE_FOR_PLUS.sub(r"\1+\2", text)
        try:
            moment = isodate.parse_datetime(text)
        except (ValueError, isodate.ISO8601Error, OverflowError, TypeError) as exc:
            raise forms.ValidationError(
                "%(value)s is neither an ISO-8601 datetime (2015-01-01T00:00:00Z) "
                "nor an ISO-8601 duration (PT3H0M0S).",
                params={"value": repr(text)},
            ) from exc
        try:
            offset = moment.utcoffset()
        except ValueError as exc:  # an offset of 24 hours or more: +24:00
            raise forms.ValidationError(
                "%(value)s has an impossible timezone offset.", params={"value": repr(text)}
            ) from exc
        if offset is None:
            raise forms.ValidationError(
                "%(value)s has no timezone; add Z or an offset such as +00:00.",
                params={"value": repr(text)},
            )
        # In UTC: PostgreSQL refuses offsets beyond 15:59 (+23:00 is valid ISO-8601).
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
            return _EARLIEST if moment.year == 1 else _LATEST

    def _from_duration(self, text: str) -> datetime:
        # isodate reads "P" and "PT" as a zero duration; ISO 8601 wants one component.
        if _EMPTY_DURATION.fullmatch(text):
            raise forms.ValidationError(
                "%(value)s is not a usable ISO-8601 duration: it needs at least one "
                "component (PT3H0M0S).",
                params={"value": repr(text)},
            )
        try:
            duration = isodate.parse_duration(text)
        except (ValueError, isodate.ISO8601Error, TypeError) as exc:
            raise forms.ValidationError(
                "%(value)s is not a usable ISO-8601 duration (PT3H0M0S).",
                params={"value": repr(text)},
            ) from exc
        except OverflowError:  # more days than a timedelta holds: longer than the calendar
            return _EARLIEST
        if isinstance(duration, timedelta) and duration < timedelta(0):
            raise forms.ValidationError(
                "%(value)s is a negative duration.", params={"value": repr(text)}
            )
        try:
            return timezone.now() - duration
        except (OverflowError, ValueError):  # reaches before year 1
            return _EARLIEST


class DateTimeOrDurationFilter(django_filters.Filter):
    field_class = DateTimeOrDurationField


class ScaleFilterSet(django_filters.FilterSet):
    """The base of every endpoint's FilterSet: its form class is made once per FilterSet
    class, not once per request.

    django-filter's ``get_form_class`` builds a new form class from the filters on every
    instance, making each filter's form field anew (for ``order``, a choice of every sort
    key both ways); most of the time of a small page's parameters went there. The fields
    depend on the declared filters alone, never on the request, so the first instance's
    class serves every later one; each form still gets its own copy of the fields, as any
    Django form does.
    """

    def get_form_class(self):
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = _FORM_CLASSES[type(self)] = super().get_form_class()
        return form_class


# Each FilterSet class's form class (``ScaleFilterSet.get_form_class``), made by its first
# instance; a subclass has its own.
_FORM_CLASSES: dict[type[ScaleFilterSet], type[forms.Form]] = {}


class TimeWindowFilterSet(ScaleFilterSet):
    """``started``/``ended``: an inclusive window on ``last_modified``; started ≤ ended."""

    started = DateTimeOrDurationFilter(
        field_name="last_modified",
        lookup_expr="gte",
        label="Start of the time window on last_modified: an ISO-8601 datetime with a "
        "timezone, or a duration meaning now minus it (PT3H).",
    )
    ended = DateTimeOrDurationFilter(
        field_name="last_modified",
        lookup_expr="lte",
        label="End of the time window on last_modified, in the same forms as started.",
    )

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            started = self.form.cleaned_data.get("started")
            ended = self.form.cleaned_data.get("ended")
            if started and ended and started > ended:
                self.form.add_error("started", "must not be after ended.")
                return False
        return valid


class OrderField(MultiValueField):
    """Repeatable ``order`` values, each a whitelisted field, ``-`` for descending.

    Dotted paths (``error.category``, ``-job_type.title``, as the Scale web UI sends them)
    are the same fields as their ``__`` paths, under the same whitelist.
    """

    def __init__(self, *, allowed: tuple[str, ...], **kwargs) -> None:
        terms = [term for name in allowed for term in (name, f"-{name}")]
        choices = fixed_choices((term, term) for term in terms)
        kwargs.setdefault("widget", RepeatedSelect(choices=choices))
        super().__init__(child=forms.CharField(max_length=100, strip=True), **kwargs)
        self.allowed = allowed

    def to_python(self, value) -> list[str]:
        terms = [term.replace(".", "__") for term in super().to_python(value)]
        for term in terms:
            if term.removeprefix("-") not in self.allowed:
                raise forms.ValidationError(
                    "%(value)s is not a field to order by; use one of %(allowed)s"
                    " (with - for descending).",
                    params={"value": repr(term), "allowed": ", ".join(self.allowed)},
                )
        return terms


class OrderFilter(django_filters.Filter):
    """``order=a&order=-b``: replaces the selector's default order; ``id`` breaks ties."""

    field_class = OrderField

    def __init__(self, *args, allowed: tuple[str, ...], **kwargs) -> None:
        super().__init__(*args, allowed=allowed, **kwargs)

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        terms = list(value)
        if not any(term.removeprefix("-") == "id" for term in terms):
            terms.append("id")
        return qs.order_by(*terms)
