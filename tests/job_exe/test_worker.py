"""Workers end to end: ``manage.py scale_worker`` child processes run jobs queued through
the API, on the embedded PostgreSQL, with real commands as their own process groups."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from job.models import Job
from job.services import job_cancel, job_queue_new
from job_exe import runner
from job_exe.models import JobExecution, Node
from job_exe.services import job_exe_claim, node_register
from storage.models import ScaleFile
from tests import factories
from tests.job_exe.workers import (
    alive,
    forget_procrastinate_jobs,
    job_status,
    job_type,
    logs,
    pids_of,
    queue,
    queuer,
    running_execution,
    sleeper,
    wait_for,
    worker,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHECKSUM = (
    "import hashlib, json, os, sys; source, out = sys.argv[1], sys.argv[2]; "
    "digest = hashlib.sha256(open(source, 'rb').read()).hexdigest(); "
    "open(os.path.join(out, 'input.sha256'), 'w').write(digest + chr(10)); "
    "print('sha256', digest); print('to stderr', file=sys.stderr); "
    "json.dump({'version': '1.1', 'output_data': [{'name': 'checksum', "
    "'file': {'path': 'input.sha256'}}]}, open(os.path.join(out, 'results_manifest.json'), 'w'))"
)


@pytest.fixture(autouse=True)
def _procrastinate_tables_emptied_after():
    yield
    forget_procrastinate_jobs()


@pytest.fixture
def workspaces(tmp_path):
    raw_dir, products_dir = tmp_path / "raw", tmp_path / "products"
    (raw_dir / "2026").mkdir(parents=True)
    products_dir.mkdir()
    (raw_dir / "2026" / "scene.txt").write_bytes(b"a scene\n" * 1000)
    raw = factories.WorkspaceFactory(name="raw", local_path=str(raw_dir))
    products = factories.WorkspaceFactory(name="products", local_path=str(products_dir))
    source = factories.ScaleFileFactory(
        workspace=raw, file_name="scene.txt", file_path="2026/scene.txt",
        media_type="text/plain", file_size=8000,
    )
    return {"raw": raw, "products": products, "source": source, "products_dir": products_dir}


def _checksum_type(**fields):
    return job_type(
        "checksum", command="python3", arguments=f'-c "{CHECKSUM}" ${{file}} ${{job_output_dir}}',
        inputs=[{"name": "file", "type": "file"}],
        outputs=[{"name": "checksum", "type": "file", "media_type": "text/plain"}], **fields,
    )


def test_a_checksum_job_runs_end_to_end(tmp_path, workspaces):
    checksum = _checksum_type()
    client = queuer()
    with worker(tmp_path, hostname="host-a"):
        job_id = queue(client, checksum.id, {
            "input_data": [{"name": "file", "file_id": workspaces["source"].id}],
            "output_data": [{"name": "checksum", "workspace_id": workspaces["products"].id}],
        })
        wait_for(lambda: job_status(job_id) in ("COMPLETED", "FAILED"), timeout=30)

    job = Job.objects.get(pk=job_id)
    [execution] = JobExecution.objects.filter(job=job)
    assert (job.status, job.num_exes, job.error_id) == ("COMPLETED", 1, None), execution.stderr
    expected = hashlib.sha256(b"a scene\n" * 1000).hexdigest()
    [product] = ScaleFile.objects.filter(job=job)
    assert (product.workspace_id, product.file_name, product.job_exe_id, product.job_type_id) == (
        workspaces["products"].id, "input.sha256", execution.id, checksum.id)
    assert product.media_type == "text/plain" and product.file_size == 65
    assert product.is_published and product.published is not None
    stored = workspaces["products_dir"] / product.file_path
    assert stored.read_text() == expected + "\n"
    assert product.uuid == hashlib.md5(stored.read_bytes()).hexdigest()
    assert job.results == {"version": "1.0",
                           "output_data": [{"name": "checksum", "file_id": product.id}]}
    assert execution.results == job.results
    assert execution.results_manifest["output_data"][0]["name"] == "checksum"
    assert (execution.status, execution.job_exit_code, execution.error_id) == ("COMPLETED", 0, None)
    assert execution.stdout == f"sha256 {expected}\n" and execution.stderr == "to stderr\n"
    assert Node.objects.get(pk=execution.node_id).hostname == "host-a"
    # Every timestamp in its order, job and execution agreeing.
    times = [execution.queued, execution.started, execution.pre_started, execution.pre_completed,
             execution.job_started, execution.job_completed, execution.post_started,
             execution.post_completed, execution.ended]
    assert all(times) and times == sorted(times)
    assert job.queued == execution.queued and job.started == execution.started
    assert job.ended == execution.ended == job.last_status_change
    assert job.last_modified >= job.ended and execution.lease_expires is None
    # The details show the product as the output.
    outputs = client.get(f"/jobs/{job_id}/").json()["outputs"]
    assert outputs[0]["value"]["id"] == product.id
    assert not (tmp_path / "work" / f"exe-{execution.id}").exists()  # cleaned up


def test_logs_are_readable_while_it_runs_and_the_admin_lists_it(tmp_path):
    ticker = job_type("ticker", command="python3", arguments=(
        "-u -c \"import sys, time\nfor n in range(100): print('tick', n); "
        "print('err', n, file=sys.stderr); time.sleep(0.1)\""
    ))
    client = queuer()
    admin = Client()
    admin.force_login(User.objects.create_superuser("admin", "admin@example.com", "x" * 12))
    with worker(tmp_path):
        job_id = queue(client, ticker.id, {})
        execution = wait_for(lambda: running_execution(job_id), timeout=30)
        live = wait_for(lambda: (body := logs(client, execution.id))["stdout"].count("tick") >= 3
                        and body, timeout=10)
        assert live["is_finished"] is False and live["status"] == "RUNNING"
        assert live["stdout"].startswith("tick 0\ntick 1\n") and "err 0" in live["stderr"]
        page = admin.get("/admin/job_exe/jobexecution/?status__exact=RUNNING")
        assert page.status_code == 200
        assert f"/admin/job_exe/jobexecution/{execution.id}/change/" in page.content.decode()
        assert client.patch(f"/jobs/{job_id}/", {"status": "CANCELED"},
                            format="json").status_code == 200
        wait_for(lambda: "killed" in logs(client, execution.id)["stderr"], timeout=10)
    final = logs(client, execution.id)
    assert final["is_finished"] is True and final["status"] == "CANCELED"
    assert final["stdout"].startswith("tick 0\n")


def test_a_failing_job_maps_its_exit_code_and_runs_until_max_tries(tmp_path):
    factories.ErrorFactory(name="bad-scene", category="DATA")
    failing = job_type(
        "rejecter", command="sh", arguments="-c 'echo rejected >&2; exit ${code}' rejecter",
        inputs=[{"name": "code", "type": "property"}], max_tries=2,
        error_mapping={"version": "1.0", "exit_codes": {"3": "bad-scene"}},
    )
    client = queuer()
    with worker(tmp_path):
        mapped = queue(client, failing.id, {"input_data": [{"name": "code", "value": "3"}]})
        unmapped = queue(client, failing.id, {"input_data": [{"name": "code", "value": "5"}]})
        for job_id in (mapped, unmapped):
            wait_for(lambda job_id=job_id: job_status(job_id) == "FAILED", timeout=30)

    for job_id, error, code in ((mapped, "bad-scene", 3), (unmapped, "algorithm-unknown", 5)):
        job = Job.objects.select_related("error").get(pk=job_id)
        assert (job.num_exes, job.max_tries, job.error.name) == (2, 2, error)
        executions = list(JobExecution.objects.filter(job=job).select_related("error")
                          .order_by("id"))
        assert [(e.status, e.error.name, e.job_exit_code) for e in executions] == [
            ("FAILED", error, code), ("FAILED", error, code)]
        assert executions[0].stderr == f"rejected\n[scale] exited with code {code}: {error}\n"
        # The second try was queued when the first failed.
        assert executions[1].queued >= executions[0].ended
        assert job.ended == executions[1].ended


def test_a_job_past_its_timeout_is_killed_and_fails_with_task_timeout(tmp_path):
    slow = sleeper(timeout=1)
    client = queuer()
    with worker(tmp_path):
        job_id = queue(client, slow.id, {"input_data": [{"name": "seconds", "value": "60"}]})
        execution = wait_for(lambda: running_execution(job_id), timeout=30)
        pids = wait_for(lambda: pids_of(client, execution.id), timeout=10)
        wait_for(lambda: job_status(job_id) == "FAILED", timeout=10)
        wait_for(lambda: not any(alive(p) for p in pids), timeout=2,
                 message=f"the timed out job's processes {pids} still run")
    execution.refresh_from_db()
    assert execution.error.name == "task-timeout" and execution.error.category == "SYSTEM"
    assert execution.job_exit_code == -signal.SIGKILL
    assert "[scale] timed out after 1 s; killed." in execution.stderr
    assert 1 <= (execution.job_completed - execution.job_started).total_seconds() < 3


def test_a_docker_job_type_without_docker_fails_at_once(tmp_path):
    if runner.docker_available():
        pytest.skip("a Docker engine answers here")
    docker = job_type("in-docker", command="run.sh", arguments="", uses_docker=True,
                      docker_image="scale/nothing:1.0", max_tries=3)
    client = queuer()
    with worker(tmp_path):
        job_id = queue(client, docker.id, {})
        wait_for(lambda: job_status(job_id) == "FAILED", timeout=30)
    job = Job.objects.get(pk=job_id)
    executions = JobExecution.objects.filter(job=job).select_related("error")
    assert job.error.name == "docker-unavailable" and job.error.category == "SYSTEM"
    assert [e.error.name for e in executions] == ["docker-unavailable"] * 3
    assert all(e.job_started is None for e in executions)  # nothing was started
    assert "no Docker engine answers on this host" in executions[0].stderr


def test_canceling_a_running_job_kills_its_process_group_within_a_second(tmp_path):
    slow = sleeper()
    client = queuer()
    with worker(tmp_path):
        job_id = queue(client, slow.id, {"input_data": [{"name": "seconds", "value": "60"}]})
        execution = wait_for(lambda: running_execution(job_id), timeout=30)
        pids = wait_for(lambda: pids_of(client, execution.id), timeout=10)
        assert all(alive(p) for p in pids)
        canceled = time.monotonic()
        response = client.patch(f"/jobs/{job_id}/", {"status": "CANCELED"}, format="json")
        assert response.status_code == 200
        wait_for(lambda: not any(alive(p) for p in pids), timeout=1, interval=0.01,
                 message=f"{pids} still run 1 s after the cancel")
        took = time.monotonic() - canceled
        wait_for(lambda: "killed" in logs(client, execution.id)["stderr"], timeout=5)
    execution.refresh_from_db()
    assert (job_status(job_id), execution.status) == ("CANCELED", "CANCELED")
    assert took < 1


def test_a_cancel_and_a_claim_race_to_exactly_one_outcome(tmp_path):
    """The claim (a worker starting the execution) and the cancel, at the same moment from
    two threads with their own connections, many times: either the cancel came first and
    nothing ever started, or the claim did and the cancel stopped a RUNNING job."""
    quick = job_type("quick", command="true", arguments="")
    node_id = node_register(hostname="racer")
    outcomes = []
    for _ in range(30):
        job_id = job_queue_new(job_type_id=quick.id, data={})
        job_exe_id = JobExecution.objects.get(job_id=job_id).id
        barrier = threading.Barrier(2)
        claimed = []

        def claim(job_exe_id=job_exe_id, barrier=barrier, claimed=claimed):
            barrier.wait()
            claimed.append(job_exe_claim(job_exe_id=job_exe_id, node_id=node_id))
            connection.close()

        def cancel(job_id=job_id, barrier=barrier):
            barrier.wait()
            job_cancel(job_id=job_id)
            connection.close()

        threads = [threading.Thread(target=claim), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        execution = JobExecution.objects.get(pk=job_exe_id)
        assert (job_status(job_id), execution.status) == ("CANCELED", "CANCELED")
        if claimed[0] is None:
            assert execution.started is None and execution.node_id is None
            outcomes.append("canceled first")
        else:
            assert execution.started is not None and execution.node_id == node_id
            outcomes.append("claimed first")
    # Both orders happen on a real machine; each ends in one consistent state.
    assert set(outcomes) <= {"canceled first", "claimed first"}


def test_a_worker_killed_mid_job_is_found_lost_and_its_job_runs_again(tmp_path):
    slow = sleeper(max_tries=2)
    client = queuer()
    with worker(tmp_path, lease=5, hostname="doomed") as doomed:
        job_id = queue(client, slow.id, {"input_data": [{"name": "seconds", "value": "60"}]})
        first = wait_for(lambda: running_execution(job_id), timeout=30)
        pids = wait_for(lambda: pids_of(client, first.id), timeout=10)
        os.kill(doomed.pid, signal.SIGKILL)
        killed = time.monotonic()
        doomed.wait()
        # The job's processes die with their worker: nothing runs on unseen.
        wait_for(lambda: not any(alive(p) for p in pids), timeout=2)
    with worker(tmp_path, lease=5, hostname="survivor"):
        wait_for(lambda: JobExecution.objects.get(pk=first.pk).status == "FAILED", timeout=30)
        found = time.monotonic() - killed
        second = wait_for(lambda: running_execution(job_id), timeout=30)
        assert Node.objects.get(pk=second.node_id).hostname == "survivor"
        assert JobExecution.objects.filter(job_id=job_id, status="RUNNING").count() == 1
    first.refresh_from_db()
    assert first.error.name == "node-lost" and first.error.category == "SYSTEM"
    assert found < 30
    job = Job.objects.get(pk=job_id)
    assert job.num_exes == 2


def test_a_node_is_online_while_its_worker_lives_and_offline_once_its_keep_alive_lapses(
    tmp_path,
):
    def online() -> bool | None:
        rows = Client().get("/nodes/status/").json()["results"]
        return next((row["is_online"] for row in rows if row["node"]["hostname"] == "pulse"),
                    None)

    with worker(tmp_path, hostname="pulse", alive=3) as pulse:
        node = wait_for(lambda: Node.objects.filter(hostname="pulse").first(), timeout=30)
        assert online() is True
        # The worker reported this host's hardware when it registered.
        assert node.cpus_total == float(len(os.sched_getaffinity(0)))
        assert node.mem_total > 0 and node.disk_total > 0
        details = Client().get(f"/nodes/{node.pk}/").json()
        assert details["resources"]["total"]["cpus"] == node.cpus_total
        assert details["disconnected"] is False
        # Past one window: its keep-alives have renewed it.
        time.sleep(4)
        assert online() is True
        os.kill(pulse.pid, signal.SIGKILL)
        killed = time.monotonic()
        pulse.wait()
        wait_for(lambda: online() is False, timeout=10, interval=0.2)
        # Offline within the window after its last keep-alive (one third of it earlier).
        assert time.monotonic() - killed < 3 + 1
    assert Client().get(f"/nodes/{node.pk}/").json()["disconnected"] is True


def test_fill_arguments_as_the_interface_chapter_defines():
    values = {"image": "/data/a b.png", "georef": "/data/g.csv", "missing": None,
              "job_output_dir": "/work/out", "threshold": "0.5"}
    assert runner.fill_arguments(
        "${image} ${-t:threshold} ${-m:missing} --out=${job_output_dir} '${georef} x' ${missing}",
        values,
    ) == ["/data/a b.png", "-t", "0.5", "--out=/work/out", "/data/g.csv x"]


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_both_results_manifest_versions_are_read(tmp_path, version):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.tif", "b.png", "c.png"):
        (out / name).write_bytes(b"x")
    if version == "1.0":
        manifest = {"version": "1.0", "files": [{"name": "image", "path": "a.tif"},
                                                {"name": "tiles", "paths": ["b.png", "c.png"]}]}
    else:
        manifest = {"version": "1.1", "output_data": [
            {"name": "image", "file": {"path": str(out / "a.tif")}},
            {"name": "tiles", "files": [{"path": "b.png"}, {"path": "c.png"}]}]}
    (out / runner.MANIFEST_NAME).write_text(json.dumps(manifest))
    interface = {"output_data": [{"name": "image", "type": "file"},
                                 {"name": "tiles", "type": "files"}]}
    read, found = runner.read_manifest(out, interface)
    assert read == manifest
    assert {k: [p.name for p in v] for k, v in found.items()} == {
        "image": ["a.tif"], "tiles": ["b.png", "c.png"]}


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "no results_manifest.json"),
        ("{not json", "results_manifest.json:"),
        ({"files": [{"name": "other", "path": "a.tif"}]}, "names no output"),
        ({"files": [{"name": "image", "path": "../escape.tif"}]}, "no file in the output"),
        ({"files": []}, "required outputs missing: image"),
    ],
)
def test_bad_results_manifests_are_algorithm_errors(tmp_path, manifest, message):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "escape.tif").write_bytes(b"x")
    if manifest is not None:
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        (out / runner.MANIFEST_NAME).write_text(text)
    with pytest.raises(runner.PhaseFailure) as failure:
        runner.read_manifest(out, {"output_data": [{"name": "image", "type": "file"}]})
    assert failure.value.error_name == "invalid-results-manifest"
    assert message in failure.value.message


def test_an_input_outside_any_local_workspace_fails_as_a_system_error(tmp_path):
    checksum = _checksum_type()
    remote = factories.WorkspaceFactory(name="remote", local_path=None)
    source = factories.ScaleFileFactory(workspace=remote, file_path="x.txt")
    products = factories.WorkspaceFactory(name="out", local_path=str(tmp_path))
    client = queuer()
    with worker(tmp_path):
        job_id = queue(client, checksum.id, {
            "input_data": [{"name": "file", "file_id": source.id}],
            "output_data": [{"name": "checksum", "workspace_id": products.id}],
        })
        wait_for(lambda: job_status(job_id) == "FAILED", timeout=30)
    execution = JobExecution.objects.get(job_id=job_id)
    assert execution.error.name == "workspace-unavailable"
    assert "has no local_path on this host" in execution.stderr
    assert execution.pre_completed is None and execution.job_started is None
