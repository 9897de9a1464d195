"""A nested object that several rows share is rendered once per page, to the same JSON."""

import pytest

from job import selectors
from job.serializers import JobSerializer, JobTypeBriefSerializer
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_job_type_shared_by_a_page_is_rendered_once(monkeypatch):
    job_type = factories.JobTypeFactory()
    jobs = [factories.JobFactory(job_type=job_type) for _ in range(3)]
    rows = list(selectors.job_page([job.pk for job in jobs]).values())
    rendered = []
    original = JobTypeBriefSerializer.to_representation

    def counting(self, instance):
        rendered.append(instance.id)
        return original(self, instance)

    monkeypatch.setattr(JobTypeBriefSerializer, "to_representation", counting)
    data = JobSerializer(rows, many=True).data

    assert rendered == [job_type.pk]
    expected = {
        "id": job_type.pk,
        "name": job_type.name,
        "version": job_type.version,
        "category": job_type.category,
    }
    for row in data:
        assert {key: row["job_type"][key] for key in expected} == expected
    # Each job still has its own event, rendered from its own row.
    assert [row["event"]["id"] for row in data] == [row.event.id for row in rows]
