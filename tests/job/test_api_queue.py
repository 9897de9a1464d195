"""POST /queue/new-job/ and POST /queue/requeue-jobs/: validation, writes, access."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.db import OperationalError, connection, transaction
from rest_framework.test import APIClient

from job.models import Job, JobInputFile, JobType
from job.services import job_queue_new
from job_exe.models import JobExecution
from tests import factories
from tests.concurrency import held_open, set_lock_timeout
from tests.job.conftest import T0, set_times
from trigger.models import TriggerEvent

TEXT = "text/plain; charset=utf-8"

INTERFACE = {
    "version": "1.0",
    "command": "python3",
    "command_arguments": "-c pass ${image} ${threshold} ${scenes} ${job_output_dir}",
    "input_data": [
        {"name": "image", "type": "file", "media_types": ["image/png"]},
        {"name": "scenes", "type": "files", "required": False},
        {"name": "threshold", "type": "property"},
        {"name": "label", "type": "property", "required": False},
    ],
    "output_data": [{"name": "geo_image", "type": "file", "media_type": "image/tiff"}],
}


def _post(client, path, body, **extra):
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


def _user(*codenames: str) -> User:
    user = User.objects.create_user(f"user-{'-'.join(codenames) or 'none'}", password="x" * 12)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def queuer(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(_user("queue_job"))
    return client


@pytest.fixture
def requeuer(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(_user("requeue_job"))
    return client


@pytest.fixture
def world(db):
    job_type = factories.JobTypeFactory(
        name="make-geotiff", interface=INTERFACE, revision_num=2, timeout=600, max_tries=4,
        priority=50, uses_docker=False, disk_out_const_required=10.0,
        disk_out_mult_required=2.0,
    )
    factories.JobTypeRevisionFactory(job_type=job_type, revision_num=1, interface={})
    revision = factories.JobTypeRevisionFactory(
        job_type=job_type, revision_num=2, interface=INTERFACE
    )
    raw = factories.WorkspaceFactory(name="raw")
    products = factories.WorkspaceFactory(name="products")
    image = factories.ScaleFileFactory(workspace=raw, media_type="image/png",
                                       file_size=3 * 1024 * 1024)
    scenes = [factories.ScaleFileFactory(workspace=raw, file_size=1024 * 1024) for _ in range(2)]
    return {"job_type": job_type, "revision": revision, "raw": raw, "products": products,
            "image": image, "scenes": scenes}


def _good_data(world) -> dict:
    return {
        "version": "1.0",
        "input_data": [
            {"name": "image", "file_id": world["image"].id},
            {"name": "scenes", "file_ids": [f.id for f in world["scenes"]]},
            {"name": "threshold", "value": "0.5"},
        ],
        "output_data": [{"name": "geo_image", "workspace_id": world["products"].id}],
    }


def _procrastinate_jobs() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, task_name, queue_name, status, args::text, priority "
                       "FROM procrastinate_jobs ORDER BY id")
        return [(*row[:4], json.loads(row[4]), row[5]) for row in cursor.fetchall()]


def _written() -> tuple[int, ...]:
    return (Job.objects.count(), JobExecution.objects.count(), TriggerEvent.objects.count(),
            JobInputFile.objects.count(), len(_procrastinate_jobs()))


@pytest.mark.django_db
def test_a_new_job_is_queued_with_its_first_execution(queuer, world):
    body = {"job_type_id": world["job_type"].id, "job_data": _good_data(world)}
    response = _post(queuer, "/queue/new-job/", body)

    assert response.status_code == 201, response.content
    details = response.json()
    job = Job.objects.get()
    assert response["Location"] == f"http://testserver/jobs/{job.id}/"
    assert details["id"] == job.id
    assert details["status"] == "QUEUED"
    assert details["num_exes"] == 1
    assert details["job_type_rev"]["revision_num"] == 2  # the current revision
    assert (details["priority"], details["timeout"], details["max_tries"]) == (50, 600, 4)
    assert details["disk_in_required"] == 5.0  # MiB of the input files
    assert details["disk_out_required"] == 10.0 + 2.0 * 5.0
    assert details["event"]["type"] == "USER"
    assert details["queued"] is not None and details["queued"] == details["last_status_change"]
    assert details["data"] == _good_data(world)
    [execution] = details["job_exes"]
    assert execution["status"] == "QUEUED"
    assert execution["command_arguments"] == INTERFACE["command_arguments"]
    assert execution["timeout"] == 600
    assert {i["name"]: i["value"] and True for i in details["inputs"]}["image"] is True
    links = set(JobInputFile.objects.values_list("job_input", "input_file_id"))
    assert links == {("image", world["image"].id),
                     *(("scenes", f.id) for f in world["scenes"])}
    # The Procrastinate job that runs it, deferred in the same transaction.
    stored = JobExecution.objects.get()
    [(task_id, task, queue, status, args, priority)] = _procrastinate_jobs()
    assert (task_id, task, queue, status) == (
        stored.task_id, "job_exe.tasks.run_execution", "scale-jobs", "todo"
    )
    assert args == {"job_exe_id": stored.id}
    assert priority == -50  # Scale's lowest number first = Procrastinate's highest


@pytest.mark.django_db
def test_the_location_keeps_the_v3_prefix(queuer, world):
    body = {"job_type_id": world["job_type"].id, "job_data": _good_data(world)}
    response = _post(queuer, "/v3/queue/new-job/", body)
    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/v3/jobs/{response.json()['id']}/"


@pytest.mark.django_db
def test_optional_inputs_may_be_left_out_and_files_take_one_file_id(queuer, world):
    data = _good_data(world)
    data["input_data"] = [
        {"name": "image", "file_id": world["image"].id},
        {"name": "threshold", "value": "0.5"},
    ]
    response = _post(queuer, "/queue/new-job/",
                     {"job_type_id": world["job_type"].id, "job_data": data})
    assert response.status_code == 201
    data["input_data"].append({"name": "scenes", "file_id": world["scenes"][0].id})
    response = _post(queuer, "/queue/new-job/",
                     {"job_type_id": world["job_type"].id, "job_data": data})
    assert response.status_code == 201


def _with(world, change):
    data = _good_data(world)
    change(data, world)
    return data


def _set_input(name, entry):
    def change(data, world):
        data["input_data"] = [e for e in data["input_data"] if e["name"] != name]
        if entry is not None:
            data["input_data"].append({"name": name, **entry(world)})
    return change


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "messages"),
    [
        (_set_input("threshold", None),
         ["job_data.input_data: the required input 'threshold' is missing."]),
        (_set_input("image", None),
         ["job_data.input_data: the required input 'image' is missing."]),
        (_set_input("threshold", lambda w: {"value": 0.5}),
         ["job_data.input_data[2].value: the property input needs a string value, not 0.5."]),
        (_set_input("threshold", lambda w: {"file_id": w["image"].id}),
         ["job_data.input_data[2]: unexpected fields file_id; a property input takes value.",
          "job_data.input_data[2].value: the property input needs a string value, not None."]),
        (_set_input("image", lambda w: {"file_id": "12"}),
         ["job_data.input_data[2].file_id: must be a file id (a positive whole number), "
          "not '12'."]),
        (_set_input("image", lambda w: {"file_id": 987654321}),
         ["job_data.input_data[2].file_id: file 987654321 does not exist."]),
        (_set_input("image", lambda w: {"file_id": w["scenes"][0].id}),
         ["job_data.input_data[2].file_id: file {scene} is text/plain; input 'image' takes "
          "image/png."]),
        (_set_input("image", lambda w: {"file_ids": [w["image"].id]}),
         ["job_data.input_data[2]: unexpected fields file_ids; a file input takes file_id.",
          "job_data.input_data[2]: the file input needs file_id."]),
        (_set_input("scenes", lambda w: {"file_ids": []}),
         ["job_data.input_data[2].file_ids: must be a non-empty list of file ids, not []."]),
        (_set_input("scenes", lambda w: {"file_ids": [w["scenes"][0].id, True, 987654321]}),
         ["job_data.input_data[2].file_ids[1]: must be a file id (a positive whole number), "
          "not True.",
          "job_data.input_data[2].file_ids[2]: file 987654321 does not exist."]),
        (lambda d, w: d["input_data"].append({"name": "nope", "value": "x"}),
         ["job_data.input_data[3].name: the job type has no input 'nope'."]),
        (lambda d, w: d["input_data"].append({"name": "threshold", "value": "0.7"}),
         ["job_data.input_data[3].name: 'threshold' is given more than once."]),
        (lambda d, w: d["input_data"].append("image"),
         ["job_data.input_data[3]: must be a JSON object with a name."]),
        (lambda d, w: d.update(input_data={"image": 1}),
         ["job_data.input_data: must be a list, not dict.",
          "job_data.input_data: the required input 'image' is missing.",
          "job_data.input_data: the required input 'threshold' is missing."]),
        (lambda d, w: d.update(output_data=[]),
         ["job_data.output_data: the output 'geo_image' needs an entry with its workspace_id."]),
        (lambda d, w: d["output_data"][0].update(workspace_id=987654321),
         ["job_data.output_data[0].workspace_id: workspace 987654321 does not exist."]),
        (lambda d, w: d["output_data"][0].update(workspace_id=None),
         ["job_data.output_data[0].workspace_id: must be a workspace id (a positive whole "
          "number), not None."]),
        (lambda d, w: d["output_data"].append({"name": "extra", "workspace_id": 1}),
         ["job_data.output_data[1].name: the job type has no output 'extra'."]),
        (lambda d, w: d.update(version="2.0"),
         ["job_data.version: must be '1.0', not '2.0'."]),
        (lambda d, w: d.update(workspace_id=3),
         ["job_data: unexpected fields workspace_id; only version, input_data, output_data "
          "are allowed."]),
    ],
)
def test_invalid_job_data_is_a_400_naming_each_problem_and_writes_nothing(
    queuer, world, change, messages
):
    before = _written()
    data = _with(world, change)
    response = _post(queuer, "/queue/new-job/",
                     {"job_type_id": world["job_type"].id, "job_data": data})
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    expected = "; ".join(messages).format(scene=world["scenes"][0].id)
    assert response.content.decode() == expected + "\n"
    assert _written() == before


@pytest.mark.django_db
def test_every_problem_is_named_at_once(queuer, world):
    data = {"input_data": [{"name": "image", "file_id": 987654321}],
            "output_data": [{"name": "geo_image", "workspace_id": 987654322}]}
    response = _post(queuer, "/queue/new-job/", {"job_type_id": world["job_type"].id,
                                                 "job_data": data}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": (
        "job_data.input_data: the required input 'threshold' is missing.; "
        "job_data.input_data[0].file_id: file 987654321 does not exist.; "
        "job_data.output_data[0].workspace_id: workspace 987654322 does not exist."
    )}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "job_type_id: This field is required.; job_data: This field is required."),
        ({"job_type_id": "1", "job_data": {}}, "job_type_id: A valid integer is required."),
        ({"job_type_id": 0, "job_data": {}},
         "job_type_id: Ensure this value is greater than or equal to 1."),
        ({"job_type_id": 1, "job_data": []}, "job_data: must be a JSON object."),
        ({"job_type_id": 1, "job_data": {}, "priority": 3},
         "unexpected fields: priority; the body takes job_type_id, job_data."),
        ([1], "the body must be a JSON object."),
        ({"job_type_id": 1, "job_data": {"input_data": [{"name": "x", "value": "a\x00"}]}},
         "job_data: must not contain the NUL character (\\u0000)."),
    ],
)
def test_bad_bodies_are_400(queuer, world, body, message):
    response = _post(queuer, "/queue/new-job/", body)
    assert (response.status_code, response.content.decode()) == (400, message + "\n")
    assert _written() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_unknown_inactive_and_revisionless_job_types_are_refused(queuer, world):
    data = _good_data(world)
    response = _post(queuer, "/queue/new-job/", {"job_type_id": 987654321, "job_data": data})
    assert response.content.decode() == "job_type_id: job type 987654321 does not exist.\n"
    inactive = factories.JobTypeFactory(is_active=False, revision_num=1)
    response = _post(queuer, "/queue/new-job/", {"job_type_id": inactive.id, "job_data": data})
    assert response.status_code == 400
    assert "is not active" in response.content.decode()
    orphan = factories.JobTypeFactory(revision_num=7)
    response = _post(queuer, "/queue/new-job/", {"job_type_id": orphan.id, "job_data": data})
    assert response.status_code == 409
    assert response.content.decode() == (
        f"job type {orphan.id} has no revision 7, its current one; jobs of it cannot be "
        "queued.\n"
    )
    assert _written() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_queuing_needs_its_own_permission(api_client, world):
    body = {"job_type_id": world["job_type"].id, "job_data": _good_data(world)}
    response = _post(api_client, "/queue/new-job/", body)
    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    for codename in ("change_job", "requeue_job"):
        api_client.force_authenticate(_user(codename))
        assert _post(api_client, "/queue/new-job/", body).status_code == 403
    assert _written() == (0, 0, 0, 0, 0)
    assert api_client.get("/queue/new-job/").status_code == 405


@pytest.mark.django_db
def test_queuing_a_job_takes_a_fixed_number_of_queries(queuer, world, django_assert_num_queries):
    body = {"job_type_id": world["job_type"].id, "job_data": _good_data(world)}
    # The user's permissions (2); in one transaction (2): the job type locked, its
    # revision, the files, the workspaces, the event, the job, its links, the revision's
    # command_arguments, the execution, the Procrastinate defer, the task id (11); then
    # the details in their snapshot (4).
    with django_assert_num_queries(19):
        assert _post(queuer, "/queue/new-job/", body).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_jobs_of_one_type_are_queued_side_by_side_and_an_edit_of_the_type_waits(world):
    """While one queuing transaction is still open, a second of the same job type commits
    at once (both hold the type's row FOR SHARE), and changing the type (a new revision)
    waits for them: the revision a job is queued on is still current at its commit."""
    job_type = world["job_type"]
    data = _good_data(world)
    with held_open(lambda: job_queue_new(job_type_id=job_type.id, data=data)):
        with transaction.atomic():
            set_lock_timeout("2s")
            job_queue_new(job_type_id=job_type.id, data=data)
        with pytest.raises(OperationalError, match="lock timeout"):
            with transaction.atomic():
                set_lock_timeout("200ms")
                JobType.objects.filter(pk=job_type.pk).update(revision_num=3)
    assert Job.objects.filter(job_type=job_type, job_type_rev=world["revision"]).count() == 2


# --- requeue ---------------------------------------------------------------------------


@pytest.fixture
def finished(db):
    job_type = factories.JobTypeFactory(name="ingest", category="system", max_tries=3)
    other = factories.JobTypeFactory(name="export", category="io", max_tries=5)
    system = factories.ErrorFactory(name="node-gone", category="SYSTEM")
    data = factories.ErrorFactory(name="bad-data", category="DATA")
    jobs = {
        "failed": factories.JobFactory(job_type=job_type, status="FAILED", error=system,
                                       num_exes=3, max_tries=3, priority=100),
        "failed_data": factories.JobFactory(job_type=other, status="FAILED", error=data,
                                            num_exes=1, max_tries=1),
        "canceled": factories.JobFactory(job_type=job_type, status="CANCELED", num_exes=2),
        "never_queued": factories.JobFactory(job_type=other, status="CANCELED", num_exes=0,
                                             queued=None),
        "completed": factories.JobFactory(job_type=job_type, status="COMPLETED", num_exes=1),
        "running": factories.JobFactory(job_type=other, status="RUNNING", num_exes=1),
    }
    for job in jobs.values():
        set_times(job, last_modified=T0, last_status_change=T0, ended=T0)
    return jobs


@pytest.mark.django_db
def test_requeue_puts_failed_and_canceled_jobs_back(requeuer, finished):
    ids = [j.id for j in finished.values()]
    response = _post(requeuer, "/queue/requeue-jobs/", {"job_ids": ids})
    assert response.status_code == 200, response.content
    page = response.json()
    # Every job the filters matched, after the change, as /jobs/ shows them.
    assert page["count"] == 6 and page["next"] is None and page["previous"] is None
    by_id = {row["id"]: row for row in page["results"]}
    assert set(by_id) == set(ids)
    assert set(page["results"][0]) == set(_post_list_keys(requeuer))

    rows = {name: by_id[job.id] for name, job in finished.items()}
    assert rows["failed"]["status"] == "QUEUED"
    assert rows["failed"]["error"] is None
    assert rows["failed"]["num_exes"] == 4
    assert rows["failed"]["max_tries"] == 3 + 3  # its executions plus its type's max_tries
    assert rows["failed_data"]["max_tries"] == 1 + 5
    assert rows["canceled"]["status"] == "QUEUED" and rows["canceled"]["num_exes"] == 3
    assert rows["never_queued"]["status"] == "PENDING"
    assert rows["never_queued"]["num_exes"] == 0
    assert rows["completed"]["status"] == "COMPLETED"
    assert rows["running"]["status"] == "RUNNING"
    assert rows["completed"]["last_modified"] == "2015-08-28T17:55:41.005Z"  # untouched
    assert rows["failed"]["ended"] is None and rows["failed"]["started"] is None
    assert rows["failed"]["queued"] == rows["failed"]["last_status_change"]
    # A new QUEUED execution with its Procrastinate job, for each job queued again.
    queued = JobExecution.objects.filter(status="QUEUED")
    assert sorted(queued.values_list("job_id", flat=True)) == sorted(
        finished[n].id for n in ("failed", "failed_data", "canceled")
    )
    assert sorted(t for (t, *_rest) in _procrastinate_jobs()) == sorted(
        queued.values_list("task_id", flat=True)
    )


def _post_list_keys(client) -> list[str]:
    return list(client.get("/jobs/").json()["results"][0])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "requeued"),
    [
        ({"status": "FAILED"}, {"failed", "failed_data"}),
        ({"status": "CANCELED"}, {"canceled", "never_queued"}),
        ({"job_type_names": ["export"]}, {"failed_data", "never_queued"}),
        ({"job_type_categories": ["system"]}, {"failed", "canceled"}),
        ({"error_categories": ["DATA"]}, {"failed_data"}),
        ({"error_categories": ["SYSTEM"], "job_type_names": ["export"]}, set()),
        ({"started": "2015-08-28T17:55:41.005Z", "ended": "2015-08-28T17:55:41.005Z"},
         {"failed", "failed_data", "canceled", "never_queued"}),
        ({"started": "PT1H"}, set()),
    ],
)
def test_requeue_filters(requeuer, finished, body, requeued):
    response = _post(requeuer, "/queue/requeue-jobs/", body)
    assert response.status_code == 200, response.content
    changed = {name for name, job in finished.items()
               if Job.objects.get(pk=job.pk).last_modified != T0}
    assert changed == requeued


@pytest.mark.django_db
def test_requeue_with_a_priority_and_by_job_type_id(requeuer, finished):
    job_type_id = finished["failed"].job_type_id
    response = _post(requeuer, "/queue/requeue-jobs/",
                     {"job_type_ids": [job_type_id], "priority": 7, "status": "FAILED"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["id"], row["priority"], row["status"]) == (finished["failed"].id, 7, "QUEUED")
    [(_task_id, _name, _queue, _status, _args, priority)] = _procrastinate_jobs()
    assert priority == -7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "COMPLETED"}, 'status: "COMPLETED" is not a valid choice.'),
        ({"job_ids": [1, "2"]}, "job_ids.1: A valid integer is required."),
        ({"job_ids": 5}, 'job_ids: Expected a list of items but got type "int".'),
        ({"error_categories": ["HUMAN"]}, 'error_categories: "HUMAN" is not a valid choice.'),
        ({"started": "yesterday"},
         "started: 'yesterday' is neither an ISO-8601 datetime (2015-01-01T00:00:00Z) nor an "
         "ISO-8601 duration (PT3H0M0S)."),
        ({"started": 5}, "started: must be a string: an ISO-8601 datetime or duration."),
        ({"started": "2016-01-01T00:00:00Z", "ended": "2015-01-01T00:00:00Z"},
         "ended: must not be before started."),
        ({"priority": "high"}, "priority: A valid integer is required."),
        ({"job_names": ["x"]},
         "unexpected fields: job_names; the body takes started, ended, status, job_ids, "
         "job_type_ids, job_type_names, job_type_categories, error_categories, priority."),
    ],
)
def test_bad_requeue_bodies_are_400_and_change_nothing(requeuer, finished, body, message):
    response = _post(requeuer, "/queue/requeue-jobs/", body)
    assert (response.status_code, response.content.decode()) == (400, message + "\n")
    assert not Job.objects.exclude(last_modified=T0).exists()


@pytest.mark.django_db
def test_a_bad_page_size_is_a_400_before_anything_changes(requeuer, finished):
    response = _post(requeuer, "/queue/requeue-jobs/?page_size=0", {"status": "FAILED"})
    assert response.status_code == 400
    assert not Job.objects.exclude(last_modified=T0).exists()


@pytest.mark.django_db
def test_requeue_answers_pages(requeuer, finished):
    response = _post(requeuer, "/queue/requeue-jobs/?page_size=2&page=2", {})
    page = response.json()
    assert page["count"] == 6 and len(page["results"]) == 2
    assert page["previous"] is not None and page["next"] is not None


@pytest.mark.django_db
def test_requeue_needs_its_own_permission(api_client, finished):
    assert _post(api_client, "/queue/requeue-jobs/", {}).status_code == 401
    for codename in ("change_job", "queue_job"):
        api_client.force_authenticate(_user(codename))
        assert _post(api_client, "/queue/requeue-jobs/", {}).status_code == 403
    assert not Job.objects.exclude(last_modified=T0).exists()
