from datetime import UTC, datetime, timedelta

import pytest

from job.models import Job
from tests import factories

T0 = datetime(2015, 8, 28, 17, 55, 41, 5000, tzinfo=UTC)

RICH_INTERFACE = {
    "version": "1.0",
    "command": "/app/footprint.sh",
    "command_arguments": "${input_file} ${job_output_dir}",
    "input_data": [
        {"name": "input_file", "type": "file"},
        {"name": "extra_files", "type": "files"},
        {"name": "threshold", "type": "property"},
        {"name": "unset_property", "type": "property"},
    ],
    "output_data": [
        {"name": "output_file", "type": "file", "media_type": "application/vnd.google-earth.kml"},
        {"name": "tiles", "type": "files", "media_type": "image/png"},
    ],
}


def set_times(job: Job, **times) -> Job:
    """Give a job fixed timestamps, bypassing auto_now (as a scheduler's history would)."""
    Job.objects.filter(pk=job.pk).update(**times)
    job.refresh_from_db()
    return job


@pytest.fixture
def rich_job(db):
    """A COMPLETED job with every part the details page shows."""
    job_type = factories.JobTypeFactory(
        name="kml-footprint",
        version="1.0.0",
        title="KML Footprint",
        category="footprint",
        interface=RICH_INTERFACE,
    )
    revision = factories.JobTypeRevisionFactory(
        job_type=job_type, revision_num=1, interface=RICH_INTERFACE
    )
    raw = factories.WorkspaceFactory(name="Raw Source", base_url="http://files.example.com/raw/")
    products = factories.WorkspaceFactory(name="Products", base_url=None)
    source = factories.ScaleFileFactory(
        workspace=raw, file_name="input_file.txt", file_path="/2015/input_file.txt",
        data_type="landsat,raw", uuid="c8928d9183fc99122948e7840ec9a0fd",
        meta_data={"sensor": "L8"},
    )
    extras = [factories.ScaleFileFactory(workspace=raw) for _ in range(2)]
    job = factories.JobFactory(
        job_type=job_type,
        job_type_rev=revision,
        status=Job.Status.COMPLETED,
        num_exes=3,
        data={
            "version": "1.0",
            "input_data": [
                {"name": "input_file", "file_id": source.id},
                {"name": "extra_files", "file_ids": [e.id for e in extras]},
                {"name": "threshold", "value": "0.5"},
            ],
            "output_data": [{"name": "output_file", "workspace_id": products.id}],
        },
    )
    executions = [
        factories.JobExecutionFactory(job=job, status="FAILED"),
        factories.JobExecutionFactory(job=job, status="FAILED", node=None),
        factories.JobExecutionFactory(job=job, status="COMPLETED"),
    ]
    product = factories.ScaleFileFactory(
        workspace=products, file_name="file.kml", job_type=job_type, job=job,
        job_exe=executions[-1], is_operational=True, is_published=True, published=T0,
    )
    tiles = [
        factories.ScaleFileFactory(workspace=products, job_type=job_type, job=job,
                                   job_exe=executions[-1], is_operational=True,
                                   is_published=False)
        for _ in range(2)
    ]
    job.results = {
        "version": "1.0",
        "output_data": [
            {"name": "output_file", "file_id": product.id},
            {"name": "tiles", "file_ids": [t.id for t in tiles]},
        ],
    }
    job.save()
    factories.JobInputFileFactory(job=job, input_file=source, job_input="input_file")
    for extra in extras:
        factories.JobInputFileFactory(job=job, input_file=extra, job_input="extra_files")
    recipes = [factories.RecipeJobFactory(job=job).recipe for _ in range(2)]
    set_times(
        job,
        created=T0,
        queued=T0 + timedelta(minutes=1),
        started=T0 + timedelta(minutes=2),
        ended=T0 + timedelta(minutes=3),
        last_status_change=T0 + timedelta(minutes=3, seconds=4, microseconds=901000),
        last_modified=T0 + timedelta(minutes=3, seconds=4, microseconds=996000),
    )
    job.test_parts = {
        "source": source, "extras": extras, "product": product, "tiles": tiles,
        "executions": executions, "recipes": recipes, "raw": raw, "products": products,
    }
    return job
