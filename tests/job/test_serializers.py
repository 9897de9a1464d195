"""The compiled to_representation gives exactly what DRF's own implementation gives."""

import pytest
from rest_framework import serializers

from error.serializers import ErrorSerializer
from job import selectors
from job.serializers import (
    JobDetailsSerializer,
    JobSerializer,
    JobUpdateSerializer,
    JobWithLatestExecutionSerializer,
)
from scale.api.serializers import ScaleModelSerializer


def _drf_representation(serializer_class, instance, context):
    """Render with DRF's Serializer.to_representation at every level."""
    original = ScaleModelSerializer.to_representation
    ScaleModelSerializer.to_representation = serializers.Serializer.to_representation
    try:
        return serializer_class(instance, context=context).data
    finally:
        ScaleModelSerializer.to_representation = original


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("serializer_class", "load_page"),
    [
        (JobSerializer, selectors.job_page),
        (JobUpdateSerializer, selectors.job_update_page),
        (JobWithLatestExecutionSerializer, selectors.job_execution_page),
    ],
)
def test_compiled_representation_equals_drf(rich_job, serializer_class, load_page):
    row = load_page([rich_job.pk])[rich_job.pk]
    _assert_compiled_equals_drf(serializer_class, row, context={})


@pytest.mark.django_db
def test_compiled_details_representation_equals_drf(rich_job):
    job = selectors.job_details_get(job_id=rich_job.pk)
    _assert_compiled_equals_drf(JobDetailsSerializer, job, {"files": selectors.job_files(job=job)})


def _assert_compiled_equals_drf(serializer_class, job, context):
    fast = serializer_class(job, context=context).data
    slow = _drf_representation(serializer_class, job, context)
    assert fast == slow
    assert list(fast) == list(slow)


@pytest.mark.django_db
def test_compiled_representation_keeps_nulls():
    from tests import factories

    error = factories.ErrorFactory(title=None, description=None)
    assert ErrorSerializer(error).data["title"] is None
    assert ErrorSerializer(error).data == _drf_representation(ErrorSerializer, error, {})


def test_compiled_source_reads_each_field_in_one_expression():
    from error.serializers import ErrorBriefSerializer
    from scale.api.serializers import _compile

    compiled = _compile(ErrorBriefSerializer)
    assert compiled.__code__.co_filename == "<error.serializers.ErrorBriefSerializer>"
    assert set(compiled.__code__.co_names) >= {"id", "name", "title", "description", "category"}
    # No helper is called for plain fields: the function calls nothing at all.
    assert not [name for name in compiled.__code__.co_names if name.startswith("_")]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (serializers.CharField(source="*"), "source='\\*' is not supported"),
        (serializers.CharField(source="class"), "'class' is not an identifier"),
        (serializers.ListField(source="data", child=serializers.CharField()), None),
    ],
)
def test_fields_it_cannot_compile_are_refused_by_name(declared, message):
    from error.models import Error
    from scale.api.serializers import _compile

    class Odd(ScaleModelSerializer):
        odd = declared

        class Meta:
            model = Error
            fields = ("id", "odd")

    if message is None:  # a field with its own to_representation is called, not refused
        from types import SimpleNamespace

        assert Odd(SimpleNamespace(id=1, data=["a", 1])).data == {"id": 1, "odd": ["a", "1"]}
        assert Odd(SimpleNamespace(id=1, data=None)).data == {"id": 1, "odd": None}
    else:
        with pytest.raises(TypeError, match=message):
            _compile(Odd)


@pytest.mark.django_db
def test_a_files_data_type_is_its_stored_tags_without_blanks():
    from storage.serializers import ProductFileSerializer
    from tests import factories

    scale_file = factories.ScaleFileFactory(data_type=" landsat, ,raw,")
    plain = selectors._FILES.rows([scale_file.pk])[0]  # what details render
    for instance in (scale_file, plain):
        assert ProductFileSerializer(instance).data["data_type"] == ["landsat", "raw"]
    assert ProductFileSerializer(plain).data == _drf_representation(
        ProductFileSerializer, scale_file, {}
    )
