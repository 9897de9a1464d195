"""What the job maintenance commands share: one-line argument errors and the job filters
of ``/jobs/``, validated by the API's own FilterSet.

(The leading underscore keeps Django from taking this module for a command.)
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import timedelta

import isodate
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict
from django_filters.utils import translate_validation

from job.filters import JobListFilterSet
from job.models import Job
from scale.api.errors import flatten_detail
from scale.api.filters import MultiValueFilter


def job_filter_options() -> list[tuple[str, bool, str]]:
    """The /jobs/ query parameters a command takes, as (parameter, repeatable, help), read
    from the API's FilterSet: a filter added there is an option here too. The option is
    the parameter with dashes (--job-type-name); its value goes to the FilterSet under the
    parameter's own name, so rules and messages are the API's. ``order`` orders nothing
    a command does."""
    return [
        (name, isinstance(flt, MultiValueFilter), str(flt.label))
        for name, flt in JobListFilterSet.base_filters.items()
        if name != "order"
    ]


class JobCommand(BaseCommand):
    """A command whose argument errors are one line (argparse prints its usage first)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message: str) -> None:
            if parser.called_from_command_line:
                sys.stderr.write(f"CommandError: {message} (see --help)\n")
                sys.exit(2)
            raise CommandError(f"Error: {message}")

        parser.error = one_line_error
        return parser


def add_job_filter_arguments(parser: CommandParser, *, names: tuple[str, ...] | None = None):
    for name, repeatable, help_text in job_filter_options():
        if names is not None and name not in names:
            continue
        option = "--" + name.replace("_", "-")
        if repeatable:
            parser.add_argument(option, dest=name, action="append", default=[], help=help_text)
        else:
            parser.add_argument(option, dest=name, default=None, help=help_text)


def job_filterset(values: Mapping[str, object]) -> JobListFilterSet:
    """The ``/jobs/`` FilterSet bound to ``values`` (parameter name → value or list), valid.

    An invalid value raises ``CommandError`` with the message the API would answer.
    """
    query = QueryDict(mutable=True)
    for name, value in values.items():
        if value is None:
            continue
        query.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    filterset = JobListFilterSet(data=query, queryset=Job.objects.all())
    if not filterset.is_valid():
        detail = translate_validation(filterset.errors).detail
        raise CommandError("; ".join(flatten_detail(detail)))
    return filterset


def parse_duration_option(option: str, text: str | None) -> timedelta | isodate.Duration:
    """An ISO-8601 duration (P30D, PT12H, P1M) that is not negative."""
    if text is None or not str(text).strip():
        raise CommandError(f"{option} is required: an ISO-8601 duration such as P30D")
    try:
        duration = isodate.parse_duration(str(text).strip())
    except (ValueError, isodate.ISO8601Error) as exc:
        raise CommandError(
            f"{option} {text!r} is not an ISO-8601 duration (such as P30D or PT12H)"
        ) from exc
    if isinstance(duration, timedelta) and duration < timedelta(0):
        raise CommandError(f"{option} {text!r} is negative")
    if isinstance(duration, isodate.Duration) and (
        duration.years < 0 or duration.months < 0 or duration.tdelta < timedelta(0)
    ):
        raise CommandError(f"{option} {text!r} is negative")
    return duration


def positive_int_option(option: str, value: int, *, maximum: int) -> int:
    if not 1 <= value <= maximum:
        raise CommandError(f"{option} must be from 1 to {maximum}, not {value}")
    return value
