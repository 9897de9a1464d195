"""The OpenAPI schema (drf-spectacular) of the shared REST plumbing.

The schema is generated from the code that serves the requests, so it cannot drift from
it: query parameters come from the FilterSet classes and the pagination class, nested
objects from the serializers, error bodies from ``scale.api.errors``. It is OpenAPI 3.1
(settings), written for client generators and strict validators. What drf-spectacular
cannot see by itself is declared here, next to nothing else:

- the operation names, by one rule (``ScaleAutoSchema.get_operation_id``);
- the shared django-filter pieces (``MultiValueFilter``, ``OrderFilter``,
  ``DateTimeOrDurationFilter``): repeatable, typed, with the named enums of the bodies,
  ``<Model>Order`` enums and the pattern of ``started``/``ended``;
- ``IdObjectField`` (``{"id": n}`` or null, the ``IdObject`` component) and the token;
- property descriptions from ``scale.api.descriptions`` where a field has no help_text;
- the error responses every operation can give, as ``{"detail": ...}`` and ``text/plain``;
- reads that need no credentials while ``SCALE_READS_REQUIRE_LOGIN`` is off;
- the ``servers`` entry, and the browsable API's page descriptions (``view_description``).
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

import django_filters
import uritemplate
from django import forms
from django.conf import settings
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiFilterExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_parameter_type,
    deep_import_string,
    force_instance,
    get_manager,
    get_view_model,
)
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from scale.api.descriptions import FIELD_DESCRIPTIONS
from scale.api.filters import (
    DATETIME_OR_DURATION_MAX_LENGTH,
    DATETIME_OR_DURATION_PATTERN,
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
    413: "The request body is larger than the service takes (2.5 MB), or has too many fields.",
    415: "The request body is not application/json.",
    429: "Too many failed authentications from this client address or user name (or, when "
    "the operator limits them, too many anonymous requests): refused for a while; the "
    "Retry-After header says how many seconds.",
    503: "The database is unavailable; the Retry-After header says when to try again.",
}

# What a client asking for JSON gets, one example per status (list, then details, wording).
ERROR_EXAMPLES = {
    400: "page_size: must be a whole number from 1 to 1000, not 0.",
    401: "Invalid token.",
    403: "You do not have permission to perform this action.",
    406: "Could not satisfy the request Accept header.",
    413: "The request body is larger than 2621440 bytes.",
    415: 'Unsupported media type "text/plain" in request.',
    429: "Too many failed authentications from this address.",
    503: "The database is unavailable; try again shortly.",
}
ERROR_EXAMPLE_404 = {"list": "page: 9 is past the last page (1).", "one": "42 was not found."}

DATETIME_OR_DURATION_DESCRIPTION = (
    "ISO-8601 datetime with timezone, or ISO-8601 duration: a datetime such as "
    "2015-01-01T00:00:00Z or 2015-01-01T00:00:00.000+05:00, or a duration such as PT3H0M0S "
    "meaning that long before now. A moment before the year 1 (or after 9999) is the "
    "earliest (or latest) one."
)
# The examples of the contract's started and ended.
DATETIME_OR_DURATION_EXAMPLES = {
    "datetime": {"value": "2015-01-01T00:00:00Z", "summary": "An ISO-8601 datetime"},
    "duration": {"value": "PT3H0M0S", "summary": "An ISO-8601 duration: 3 hours ago"},
}


class ErrorDetailSerializer(serializers.Serializer):
    """An error: one line naming what was wrong. It is the JSON body of every error when
    the Accept header asks for JSON; otherwise the same line is sent as text/plain."""

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
        # JSON first: a generator types the error by the first media type it knows.
        responses[(code, "application/json")] = OpenApiResponse(
            ErrorDetailSerializer, description=description
        )
        responses[(code, "text/plain")] = OpenApiResponse(str, description=description)
    return responses


def named_enum(values: list[str]) -> str | None:
    """The component name that ``ENUM_NAME_OVERRIDES`` gives these choice values, if any."""
    for name, choices in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        if list(deep_import_string(choices).values) == values:
            return name
    return None


def enum_member_name(term: str) -> str:
    """A readable constant for an ``order`` term: ``-job_type__name`` → ``JOB_TYPE_NAME_DESC``."""
    name = re.sub(r"_+", "_", term.removeprefix("-")).upper()
    return f"{name}_DESC" if term.startswith("-") else name


def form_field_schema(field: forms.Field, registry) -> dict[str, Any]:
    """The schema of one value that a form field cleans; an unknown field is a bug here.

    The choices of a model (job status, error category) are the named component enums
    that the response bodies use too.
    """
    if isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _ in field.choices]
        name = named_enum(values)
        if name is None:
            return {"type": "string", "enum": values}
        return {"$ref": f"#/components/schemas/{name}"}
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


def order_enum(filterset_class, filter_field: OrderFilter, registry) -> dict[str, Any]:
    """The ``order`` terms of a FilterSet as a named component, ``<Model>Order`` (``JobOrder``),
    with readable member names for generators (``x-enum-varnames``: ``ID``, ``ID_DESC``)."""
    terms = [term for name in filter_field.extra["allowed"] for term in (name, f"-{name}")]
    name = f"{filterset_class._meta.model.__name__}Order"
    schema = {
        "type": "string",
        "enum": terms,
        "x-enum-varnames": [enum_member_name(term) for term in terms],
        "description": f"A field to order {filterset_class._meta.model._meta.verbose_name_plural} "
        "by, ascending, or descending with a leading -.",
    }
    component = ResolvedComponent(name, ResolvedComponent.SCHEMA, schema=schema, object=name)
    if component in registry and registry[component].schema != schema:
        raise TypeError(f"two FilterSets of one model order by different fields: {name}")
    registry.register_on_missing(component)
    return component.ref


def filter_schema(
    filterset_class, filter_field: django_filters.Filter, registry
) -> tuple[dict[str, Any], bool]:
    """``(schema, repeatable)`` of one filter of the shared kinds in ``scale.api.filters``."""
    if isinstance(filter_field, OrderFilter):
        item = order_enum(filterset_class, filter_field, registry)
        return {"type": "array", "items": item, "maxItems": MAX_REPEATS}, True
    if isinstance(filter_field, MultiValueFilter):
        item = form_field_schema(filter_field.extra["child"], registry)
        return {"type": "array", "items": item, "maxItems": MAX_REPEATS}, True
    if isinstance(filter_field, DateTimeOrDurationFilter):
        # Not format: date-time, since durations are allowed too: the pattern says both.
        return {
            "type": "string",
            "pattern": DATETIME_OR_DURATION_PATTERN,
            "maxLength": DATETIME_OR_DURATION_MAX_LENGTH,
        }, False
    if isinstance(filter_field, StrictBooleanFilter):
        return {"type": "boolean"}, False
    raise TypeError(
        f"no OpenAPI schema for filter {type(filter_field).__name__}; declare query "
        f"parameters with the filters of scale.api.filters"
    )


def filterset_parameters(filterset_class: type[django_filters.FilterSet], registry) -> list[dict]:
    """The query parameters of a FilterSet, one per declared filter, under its API name."""
    parameters = []
    for name, filter_field in filterset_class.base_filters.items():
        schema, repeatable = filter_schema(filterset_class, filter_field, registry)
        description = str(filter_field.label or "")
        examples = None
        if isinstance(filter_field, DateTimeOrDurationFilter):
            description = f"{description} {DATETIME_OR_DURATION_DESCRIPTION}".strip()
            examples = DATETIME_OR_DURATION_EXAMPLES
        parameter = build_parameter_type(
            name=name,
            schema=schema,
            location="query",
            description=description,
            explode=True if repeatable else None,
            style="form" if repeatable else None,
        )
        if examples:
            parameter["examples"] = examples
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
        return filterset_parameters(filterset_class, auto_schema.registry)


class IdObjectFieldExtension(OpenApiSerializerFieldExtension):
    """``IdObjectField``: ``{"id": n}``, one named component (``IdObject``) wherever a related
    object is given by its id; nullability comes from the field's ``allow_null``."""

    target_class = "scale.api.serializers.IdObjectField"

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        schema = {
            "type": "object",
            "description": "A related object by its id.",
            "properties": {
                "id": {
                    "type": "integer",
                    "format": "int64",
                    "description": "The unique identifier of the model.",
                }
            },
            "required": ["id"],
            "additionalProperties": False,
        }
        component = ResolvedComponent(
            "IdObject", ResolvedComponent.SCHEMA, schema=schema, object="IdObject"
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class TokenAuthenticationExtension(OpenApiAuthenticationExtension):
    """DRF's token: the header carries the word ``Token``, a space and the key. Generators
    cannot read a prefix from an apiKey scheme, so the description says it (a generated
    openapi-python-client takes ``prefix="Token"``, README "Clients")."""

    target_class = "scale.api.authentication.StrictTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A user's token, sent as the header Authorization: Token <key> "
            "(the word Token, one space, the 40-character key; manage.py drf_create_token "
            "makes one). Cancels need a user with the job.change_job permission.",
        }


def plain_text(doc: str) -> str:
    """The first paragraph of a docstring as one line of plain text (no ``literal`` markup):
    the rest of a docstring speaks of the implementation, not of the API."""
    first = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(first.replace("``", "").split())


def camel_case(words: list[str]) -> str:
    return "".join(part.capitalize() for word in words for part in re.split(r"[-_]", word))


def singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith(("ss", "us")) else word


class ScaleAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the service's operation names, errors, open reads
    and descriptions."""

    def get_operation_id(self) -> str:
        """``<verb><Path>``, the rule every endpoint follows unless its ``extend_schema``
        names it (``cancelJob``): the verb is ``list`` for a page of results, ``get`` for
        one object or answer, ``update``/``create``/``delete`` for PATCH/POST/DELETE; the
        path's fixed segments follow in CamelCase, each but the last in the singular:
        ``/jobs/`` → ``listJobs``, ``/jobs/{id}/`` → ``getJob``, ``/jobs/updates/`` →
        ``listJobUpdates``, ``/job-executions/{id}/logs/`` → ``getJobExecutionLogs``,
        ``/queue/status/`` → ``listQueueStatus``, ``/version/`` → ``getVersion``."""
        segments = [segment for segment in self.path.strip("/").split("/") if segment]
        words = [
            segment if index == len(segments) - 1 else singular(segment)
            for index, segment in enumerate(segments)
            if not segment.startswith("{")
        ]
        if segments and segments[-1].startswith("{"):  # /jobs/{id}/: one job
            words[-1] = singular(words[-1])
        if self.method == "GET":
            verb = "list" if self._is_list_view() else "get"
        else:
            verb = {"POST": "create", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}[
                self.method
            ]
        return verb + camel_case(words)

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            # Said, not left out: an empty list is "no credentials needed" (get_auth).
            operation.setdefault("security", [])
        return operation

    def get_auth(self) -> list[dict]:
        # ReadOpenWriteByModelPermission: reads need no credentials unless an operator
        # closed them. An empty list says so, as generators read it (openapi-python-client
        # then takes a plain Client); a token or session is still accepted, and a bad
        # token is still a 401.
        if self.method in SAFE_METHODS and not settings.SCALE_READS_REQUIRE_LOGIN:
            return []
        return super().get_auth()

    def get_description(self) -> str:
        return plain_text(super().get_description() or "")

    def _map_basic_serializer(self, serializer, direction) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            # A serializer renders every readable field, null or not: every key is there.
            schema["required"] = list(schema.get("properties", {}))
        # The first paragraph of the serializer's own docstring, in the API's words.
        own_doc = type(force_instance(serializer)).__dict__.get("__doc__")
        if own_doc:
            schema["description"] = plain_text(own_doc)
        else:
            schema.pop("description", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        for name, prop in schema.get("properties", {}).items():
            # A field's help_text wins; then the contract's words for the field of this
            # model, or for the field name (scale.api.descriptions).
            described = prop.get("description", "")
            if not described or described.startswith("* "):  # nothing, or only the choices
                words = FIELD_DESCRIPTIONS.get(f"{model.__name__}.{name}") if model else None
                words = words or FIELD_DESCRIPTIONS.get(name)
                if words:
                    # drf-spectacular's enum hook moves the choices to the enum component.
                    prop["description"] = f"{words}\n\n{described}" if described else words
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
        # (406), a request line too long for the HTTP server (414), come from a client
        # locked out or throttled (429), or meet the database down (503).
        codes = [401, 406, 414, 429, 503]
        if self.method in SAFE_METHODS:
            if self._is_list_view():
                codes += [400, 404]  # a bad parameter; a page past the last one
            elif self._has_path_lookup():
                codes.append(404)
        else:
            codes += [400, 403, 413, 415]
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
        examples = dict(ERROR_EXAMPLES)
        examples[404] = ERROR_EXAMPLE_404[
            "list" if self.method in SAFE_METHODS and self._is_list_view() else "one"
        ]
        responses = {}
        for code in self._error_codes():
            content: dict[str, Any] = {}
            if code != 414:  # scale.gunicorn_errors: never JSON
                # JSON first: a generator types the error by the first media type it knows.
                content["application/json"] = {
                    "schema": detail,
                    "examples": {"error": {"value": {"detail": examples[code]}}},
                }
            content["text/plain"] = {"schema": {"type": "string"}}
            responses[str(code)] = {"description": descriptions[code], "content": content}
        return responses


def without_version_prefix(endpoints: list) -> list:
    """drf-spectacular's preprocessing hook: each operation once, at its root path. The
    same endpoints under ``/v3/`` (Scale 3.0's version prefix) answer the same, which the
    schema's description says instead of listing every path twice."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/v3/")]


def add_servers(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular's postprocessing hook: the service's base URL as the one server,
    as the client that fetched the schema reaches it (the mount prefix included), so that
    a generated client or schemathesis needs no other address. Offline, the prefix alone."""
    prefix = get_script_prefix().rstrip("/")
    url = request.build_absolute_uri(f"{prefix}/").rstrip("/") if request else prefix or "/"
    result["servers"] = [
        {"url": url, "description": "This service. Every path is also served under /v3/."}
    ]
    return result


def describe_enums(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular's postprocessing hook, after its enum hook: an enum component that
    came without the choices' labels (null, a one-value enum) says what it holds."""
    for schema in result.get("components", {}).get("schemas", {}).values():
        if schema.get("description"):
            continue
        if "enum" in schema:
            schema["description"] = "One of: " + ", ".join(map(str, schema["enum"])) + "."
        elif schema.get("type") == "null":
            schema["description"] = "No value."
    return result


@functools.cache
def _operation_descriptions() -> list[tuple[re.Pattern, dict[str, str]]]:
    """Each path of the schema as a pattern, with its operations' descriptions by method."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (
            re.compile("^" + re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(path)) + "$"),
            {method: operation.get("description", "") for method, operation in item.items()},
        )
        for path, item in document["paths"].items()
    ]


def view_description(view, html: bool = False) -> str | SafeString:
    """DRF's VIEW_DESCRIPTION_FUNCTION: the description of the browsable API's page is its
    operation's description in the OpenAPI schema, in the API's words (a viewset's
    docstring speaks of the code). The schema is made once per process."""
    from rest_framework.views import get_view_description

    request = getattr(view, "request", None)
    if request is not None:
        path = request.path_info.removeprefix("/v3")
        for pattern, descriptions in _operation_descriptions():
            if pattern.match(path):
                text = descriptions.get("get") or next(iter(descriptions.values()), "")
                return mark_safe(f"<p>{escape(text)}</p>") if html else text
    return get_view_description(view, html)
