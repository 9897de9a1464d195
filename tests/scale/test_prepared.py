"""PreparedValuesQuery gives what the queryset gives, compiling it once."""

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from error.models import Error
from job.models import Job
from scale.prepared import PreparedValuesQuery
from tests import factories
from trigger.models import TriggerRule

pytestmark = pytest.mark.django_db


def test_any_of_filters_like_in():
    errors = [factories.ErrorFactory() for _ in range(3)]
    wanted = [errors[0].pk, errors[2].pk]
    assert set(Error.objects.filter(pk__any_of=wanted)) == {errors[0], errors[2]}
    assert list(Error.objects.filter(pk__any_of=[])) == []
    job = factories.JobFactory(error=errors[1])
    assert list(Job.objects.filter(error_id__any_of=[errors[1].pk])) == [job]


def test_rows_equal_the_querysets_rows_and_keep_the_other_parameters():
    data = [factories.ErrorFactory(category=Error.Category.DATA) for _ in range(2)]
    system = factories.ErrorFactory(category=Error.Category.SYSTEM)

    def build(ids):
        return (
            Error.objects.filter(category=Error.Category.DATA, pk__any_of=ids)
            .order_by("id")
            .values_list("id", "name", "created")
        )

    prepared = PreparedValuesQuery(build)
    everything = [e.pk for e in (*data, system)]
    assert prepared.rows(everything) == list(build(everything))
    assert [row[0] for row in prepared.rows(everything)] == [e.pk for e in data]
    assert prepared.rows([system.pk]) == []
    assert prepared.rows([]) == []


def test_it_compiles_once_and_runs_one_query_per_call(django_assert_num_queries):
    rule = factories.TriggerRuleFactory(configuration={"version": "1.0", "n": [1, 2]})
    prepared = PreparedValuesQuery(
        lambda ids: TriggerRule.objects.filter(pk__any_of=ids).values_list("id", "configuration")
    )
    with django_assert_num_queries(1):
        first = prepared.rows([rule.pk])
    sql = prepared._compiled.sql
    with django_assert_num_queries(1):
        second = prepared.rows([rule.pk, rule.pk + 1])
    assert prepared._compiled.sql is sql
    # JSON goes through the field's converter, as values_list does.
    assert first == second == [(rule.pk, {"version": "1.0", "n": [1, 2]})]


def test_values_must_be_used_once():
    prepared = PreparedValuesQuery(lambda ids: Error.objects.values_list("id"))
    with pytest.raises(ValueError, match="its values in an __any_of"):
        prepared.rows([1])


def test_it_prepares_once_per_connection_then_only_executes():
    errors = [factories.ErrorFactory() for _ in range(2)]
    prepared = PreparedValuesQuery(
        lambda ids: Error.objects.filter(pk__any_of=ids).order_by("id").values_list("id")
    )
    with CaptureQueriesContext(connection) as first:
        assert prepared.rows([errors[0].pk]) == [(errors[0].pk,)]
    with CaptureQueriesContext(connection) as second:
        assert prepared.rows([e.pk for e in errors]) == [(e.pk,) for e in errors]
    assert len(first) == len(second) == 1  # PREPARE travels with the first EXECUTE
    assert first[0]["sql"].startswith("PREPARE scale_prepared_")
    assert second[0]["sql"].startswith("EXECUTE scale_prepared_")
    name = second[0]["sql"].split("(")[0].removeprefix("EXECUTE ")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [name],
        )
        # database_settings asks for one plan for every array of ids.
        assert cursor.fetchall() == [(2, 0)]


def test_a_failed_first_execute_does_not_break_later_ones():
    """PREPARE takes effect even when the EXECUTE sent with it fails (the ids are not
    numbers here), and outlives the rollback: the next call prepares under a new name."""
    error = factories.ErrorFactory()
    prepared = PreparedValuesQuery(
        lambda ids: Error.objects.filter(pk__any_of=ids).values_list("id")
    )
    with pytest.raises(ProgrammingError), transaction.atomic():
        prepared.rows(["not a number"])
    assert prepared.rows([error.pk]) == [(error.pk,)]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    error = factories.ErrorFactory()
    prepared = PreparedValuesQuery(
        lambda ids: Error.objects.filter(pk__any_of=ids).values_list("id")
    )
    assert prepared.rows([error.pk]) == [(error.pk,)]
    connection.close()  # as CONN_MAX_AGE or a broken connection would
    with CaptureQueriesContext(connection) as queries:
        assert prepared.rows([error.pk]) == [(error.pk,)]
    assert queries[0]["sql"].startswith("PREPARE scale_prepared_")
