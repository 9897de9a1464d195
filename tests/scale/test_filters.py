"""The shared FilterSet base: one form class per FilterSet class, and choices that still
check values and show in the browsable API's form."""

import django_filters
from django.http import QueryDict

import error.filters
import job.filters
import job_exe.filters
import recipe.filters
import storage.filters
from job.filters import JobFilterSet, JobListFilterSet
from job.models import Job
from scale.api.filters import ScaleFilterSet

PROJECT_FILTER_MODULES = (error.filters, job.filters, job_exe.filters, recipe.filters,
                          storage.filters)


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_every_filterset_of_the_project_makes_its_form_class_once():
    names = {module.__name__ for module in PROJECT_FILTER_MODULES}
    ours = [cls for cls in _subclasses(django_filters.FilterSet) if cls.__module__ in names]
    assert len(ours) >= 12
    assert [cls for cls in ours if not issubclass(cls, ScaleFilterSet)] == []
    for cls in ours:
        # A FilterSet with no model of its own (NoParametersFilterSet) is given its rows.
        rows = (cls._meta.model or Job)._default_manager.none()
        assert cls(queryset=rows).get_form_class() is cls(queryset=rows).get_form_class()


def test_a_subclass_has_a_form_class_of_its_own():
    parent = JobFilterSet().get_form_class()
    child = JobListFilterSet().get_form_class()
    assert child is not parent
    assert "job_id" in child.base_fields
    assert "job_id" not in parent.base_fields


def test_forms_made_from_one_class_keep_their_own_values_and_errors():
    bad = JobListFilterSet(QueryDict("status=NOPE&job_id=7"))
    good = JobListFilterSet(QueryDict("status=FAILED&status=QUEUED"))
    assert not bad.is_valid()
    assert good.is_valid()
    assert list(bad.errors) == ["status"]
    assert "must be one of" in bad.errors["status"][0]
    assert good.form.cleaned_data["status"] == ["FAILED", "QUEUED"]
    assert good.form.cleaned_data["job_id"] == []
    assert good.form.fields["status"] is not bad.form.fields["status"]


def test_fixed_choices_still_check_values_and_show_in_the_form():
    filterset = JobListFilterSet(QueryDict("order=-error.category&error_category=DATA"))
    assert filterset.is_valid(), filterset.errors
    assert filterset.form.cleaned_data["order"] == ["-error__category"]
    html = str(filterset.form["error_category"])
    assert '<option value="DATA" selected>' in html
    assert '<option value="SYSTEM">' in html
    assert '<option value="-last_status_change">' in str(filterset.form["order"])
    refused = JobListFilterSet(QueryDict("error_category=data"))
    assert not refused.is_valid()
    assert "must be one of SYSTEM, ALGORITHM, DATA" in refused.errors["error_category"][0]
