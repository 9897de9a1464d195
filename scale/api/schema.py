"""The OpenAPI schema (drf-spectacular) of the shared REST plumbing.

The schema is generated from the code that serves the requests, so it cannot drift from
it: query parameters come from the FilterSet classes and the pagination class, nested
objects from the serializers, error bodies from ``scale.api.errors``. What drf-spectacular
cannot see by itself is declared here, next to nothing else:

- the shared django-filter pieces (``MultiValueFilter``, ``OrderFilter``,
  ``DateTimeOrDurationFilter``): repeatable, typed, with their enums and bounds;
- ``IdObjectField`` (``{"id": n}`` or null);
- the error responses every operation can give, as ``text/plain`` and ``{"detail": ...}``;
- reads that need no credentials while ``SCALE_READS_REQUIRE_LOGIN`` is off.
"""

from __future__ import annotations

import inspect
from typing import Any

import django_filters
import uritemplate
from django import forms
from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiFilterExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    build_parameter_type,
    force_instance,
    get_manager,
    get_view_model,
)
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from scale.api.filters import (
    MAX_REPEATS,
    PG_BIGINT_MAX,
    DateTimeOrDurationFilter,
    IdField,
    MultiValueFilter,
    OrderFilter,
    StrictBooleanFilter,
)

ERROR_DESCRIPTIONS = {
    400: "A query parameter or the request body is invalid; the message names it.",
    401: "No credentials where they are needed, or an invalid token.",
    403: "The user lacks the model permission the write needs, or a session write lacks its "
    "CSRF token.",
    404: "No such object.",
    406: "The Accept header asks for a media type the service cannot give.",
    414: "The request line is longer than the server takes (8190 bytes with gunicorn.conf.py): "
    "too many or too long repeated query parameters. One line of text/plain, whatever the "
    "Accept header (the HTTP server answers it, not the service).",
    415: "The request body is not application/json.",
}

DATETIME_OR_DURATION_DESCRIPTION = (
    "An ISO-8601 datetime with a timezone (2015-01-01T00:00:00Z) or an ISO-8601 duration "
    "meaning that long before now (PT3H0M0S)."
)


class ErrorDetailSerializer(serializers.Serializer):
    """The JSON error body, for clients whose Accept header asks for JSON."""

    detail = serializers.CharField(help_text="One line naming what was wrong.")


def error_responses(descriptions: dict[int, str]) -> dict[tuple[int, str], OpenApiResponse]:
    """Error responses (status → description) for ``@extend_schema(responses=...)``.

    An error body is one line of ``text/plain`` by default, or ``{"detail": "..."}`` when
    the Accept header asks for JSON (``scale.api.errors.error_response``). The errors any
    operation of its kind can give are added by ``ScaleAutoSchema``; a view declares the
    ones particular to it.
    """
    responses: dict[tuple[int, str], OpenApiResponse] = {}
    for code, description in descriptions.items():
        responses[(code, "text/plain")] = OpenApiResponse(str, description=description)
        responses[(code, "application/json")] = OpenApiResponse(
            ErrorDetailSerializer, description=description
        )
    return responses


def form_field_schema(field: forms.Field) -> dict[str, Any]:
    """The schema of one value that a form field cleans; an unknown field is a bug here."""
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [str(value) for value, _ in field.choices]}
    if isinstance(field, IdField):
        return {"type": "integer", "format": "int64", "minimum": 1, "maximum": PG_BIGINT_MAX}
    if isinstance(field, forms.IntegerField):
        schema: dict[str, Any] = {"type": "integer", "format": "int64"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    if isinstance(field, forms.CharField):
        # Django refuses empty values of a required field and any NUL character.
        schema = {"type": "string", "minLength": 1, "pattern": "^[^\\u0000]*$"}
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        return schema
    raise TypeError(f"no OpenAPI schema for form field {type(field).__name__}")


def filter_schema(filter_field: django_filters.Filter) -> tuple[dict[str, Any], bool]:
    """``(schema, repeatable)`` of one filter of the shared kinds in ``scale.api.filters``."""
    if isinstance(filter_field, OrderFilter):
        allowed = filter_field.extra["allowed"]
        terms = [term for name in allowed for term in (name, f"-{name}")]
        item = {"type": "string", "enum": terms}
        return {"type": "array", "items": item, "maxItems": MAX_REPEATS}, True
    if isinstance(filter_field, MultiValueFilter):
        item = form_field_schema(filter_field.extra["child"])
        return {"type": "array", "items": item, "maxItems": MAX_REPEATS}, True
    if isinstance(filter_field, DateTimeOrDurationFilter):
        # Not format: date-time, since durations are allowed too.
        return {"type": "string"}, False
    if isinstance(filter_field, StrictBooleanFilter):
        return {"type": "boolean"}, False
    raise TypeError(
        f"no OpenAPI schema for filter {type(filter_field).__name__}; declare query "
        f"parameters with the filters of scale.api.filters"
    )


def filterset_parameters(filterset_class: type[django_filters.FilterSet]) -> list[dict]:
    """The query parameters of a FilterSet, one per declared filter, under its API name."""
    parameters = []
    for name, filter_field in filterset_class.base_filters.items():
        schema, repeatable = filter_schema(filter_field)
        description = str(filter_field.label or "")
        if isinstance(filter_field, DateTimeOrDurationFilter):
            description = f"{description} {DATETIME_OR_DURATION_DESCRIPTION}".strip()
        parameter = build_parameter_type(
            name=name,
            schema=schema,
            location="query",
            description=description,
            explode=True if repeatable else None,
            style="form" if repeatable else None,
        )
        parameters.append(parameter)
    return parameters


class ScaleFilterSetExtension(OpenApiFilterExtension):
    """The query parameters of ``DjangoFilterBackend`` from the view's FilterSet class.

    Replaces drf-spectacular's own django-filter extension, which cannot know the shared
    filters (it would call every repeatable parameter a single string).
    """

    target_class = "django_filters.rest_framework.DjangoFilterBackend"
    match_subclasses = True
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs) -> list[dict]:
        model = get_view_model(auto_schema.view)
        if model is None:
            return []
        queryset = get_manager(model).none()
        filterset_class = self.target.get_filterset_class(auto_schema.view, queryset)
        if filterset_class is None:
            return []
        return filterset_parameters(filterset_class)


class IdObjectFieldExtension(OpenApiSerializerFieldExtension):
    """``IdObjectField``: ``{"id": n}``; nullability comes from the field's ``allow_null``."""

    target_class = "scale.api.serializers.IdObjectField"

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"id": {"type": "integer", "format": "int64"}},
            "required": ["id"],
            "additionalProperties": False,
        }


class ScaleAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the service's errors and its open reads."""

    def get_auth(self) -> list[dict]:
        auths = super().get_auth()
        # ReadOpenWriteByModelPermission: reads need no credentials unless an operator
        # closed them; an empty requirement tells clients that credentials are optional.
        if (
            self.method in SAFE_METHODS
            and not settings.SCALE_READS_REQUIRE_LOGIN
            and {} not in auths
        ):
            auths.append({})
        return auths

    def _map_basic_serializer(self, serializer, direction) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            # A serializer renders every readable field, null or not: every key is there.
            schema["required"] = list(schema.get("properties", {}))
        # The first paragraph of the serializer's own docstring; the rest, and the
        # docstrings of base classes, speak of the implementation, not of the shape.
        own_doc = type(force_instance(serializer)).__dict__.get("__doc__")
        if own_doc:
            schema["description"] = " ".join(inspect.cleandoc(own_doc).split("\n\n")[0].split())
        else:
            schema.pop("description", None)
        return schema

    def _get_response_bodies(self, direction="response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            if code.startswith("2") and not response.get("description"):
                response["description"] = "OK"
        for code, response in self._error_responses_of_operation().items():
            responses.setdefault(code, response)
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[int]:
        # Every request may carry a bad token (401), an Accept header nothing satisfies
        # (406), or a request line too long for the HTTP server (414).
        codes = [401, 406, 414]
        if self.method in SAFE_METHODS:
            if self._is_list_view():
                codes += [400, 404]  # a bad parameter; a page past the last one
            elif self._has_path_lookup():
                codes.append(404)
        else:
            codes += [400, 403, 415]
            if self._has_path_lookup():
                codes.append(404)
        return sorted(codes)

    def _has_path_lookup(self) -> bool:
        return bool(uritemplate.variables(self.path))

    def _error_responses_of_operation(self) -> dict[str, dict]:
        detail = self.resolve_serializer(ErrorDetailSerializer, "response").ref
        descriptions = dict(ERROR_DESCRIPTIONS)
        if self.method in SAFE_METHODS and self._is_list_view():
            descriptions[404] = "A page past the last one."
        else:
            descriptions[404] = "No object with this id."
        responses = {}
        for code in self._error_codes():
            content: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
            if code != 414:  # scale.gunicorn_errors: never JSON
                content["application/json"] = {"schema": detail}
            responses[str(code)] = {"description": descriptions[code], "content": content}
        return responses


def without_version_prefix(endpoints: list) -> list:
    """drf-spectacular's preprocessing hook: each operation once, at its root path. The
    same endpoints under ``/v3/`` (Scale 3.0's version prefix) answer the same, which the
    schema's description says instead of listing every path twice."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/v3/")]
