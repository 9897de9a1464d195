"""Running one execution on this host: Scale's pre, job and post phases.

``run_execution`` is what the Procrastinate task calls (``job_exe.tasks``):

- *claim* (``job_exe_claim``): the execution becomes RUNNING on this node, or, when a
  cancel got there first, nothing runs at all;
- *pre*: every input resolved to a local path (a workspace's ``local_path`` joined with
  the file's ``file_path``; a ``files`` input becomes a directory of links to its files),
  and ``command_arguments`` filled in (``fill_arguments``);
- *job*: the revision's ``command`` with those arguments, as the leader of a new process
  group (``docker run`` of the job type's image when it ``uses_docker``). stdout and stderr
  are read as they come into bounded buffers (``BoundedLog``: the last
  ``SCALE_LOG_LIMIT_BYTES`` of each) and stored every second with the lease's renewal, so
  ``/job-executions/{id}/logs/`` shows them live. The group is killed when the timeout
  passes (FAILED, ``task-timeout``), when the job is canceled (Procrastinate's abort
  request, or the renewal finding the execution no longer RUNNING), and when the lease
  could not be renewed for ``SCALE_LEASE_SECONDS`` - 2 s (this worker lost the database:
  the sweep of another will fail the execution, so it must not run on unseen). A non-zero
  exit code becomes the error the job type's error mapping names for it, else
  ``algorithm-unknown``;
- *post*: ``results_manifest.json`` in the output directory (``read_manifest``), each
  output file copied into its workspace and registered, the job COMPLETED with results.

Every state change goes through ``job_exe.services``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from error.builtins import builtin_error
from error.models import Error
from job.job_data import interface_inputs, interface_outputs, is_required
from job_exe import services
from storage.models import ScaleFile, Workspace

logger = logging.getLogger(__name__)

MANIFEST_NAME = "results_manifest.json"
POLL_SECONDS = 0.05
# ${name} or ${FLAG:name}: an input (or job_output_dir), optionally behind a flag.
VARIABLE = re.compile(r"\$\{(?:([^:}]*):)?([^}]+)\}")


class PhaseFailure(Exception):
    """A phase failed for a reason with a known error (its name) and a message for stderr."""

    def __init__(self, error_name: str, message: str) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.message = message


class BoundedLog:
    """The last ``limit`` bytes of a stream, read by a thread as they come."""

    def __init__(self, stream, limit: int) -> None:
        self.limit = limit
        self.dropped = 0
        self._data = bytearray()
        self._lock = threading.Lock()
        self._version = 0
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        while chunk := stream.read1(65536):
            self.append(chunk)
        stream.close()

    def append(self, chunk: bytes) -> None:
        with self._lock:
            self._data += chunk
            excess = len(self._data) - self.limit
            if excess > 0:
                del self._data[:excess]
                self.dropped += excess
            self._version += 1

    @property
    def version(self) -> int:
        return self._version

    def text(self) -> str:
        with self._lock:
            body = self._data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
            dropped = self.dropped
        if dropped:
            return f"[{dropped} earlier bytes dropped]\n{body}"
        return body

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def fill_arguments(template: str, values: dict[str, str | None]) -> list[str]:
    """``command_arguments`` as argv: split as a shell would (quotes kept together), then
    each ``${name}`` replaced by its value and each ``${FLAG:name}`` by ``FLAG value``.

    An argument that is only a variable whose input was not given (an optional one)
    disappears, flag and all; ``values`` maps every input and ``job_output_dir``.
    """
    argv: list[str] = []
    for token in shlex.split(template):
        whole = VARIABLE.fullmatch(token)
        if whole:
            flag, name = whole.groups()
            value = values.get(name)
            if value is None:
                continue
            argv.extend([flag, value] if flag else [value])
            continue

        def substitute(match: re.Match) -> str:
            flag, name = match.groups()
            value = values.get(name)
            if value is None:
                return ""
            return f"{flag} {value}" if flag else value

        argv.append(VARIABLE.sub(substitute, token))
    return argv


def _workspace_root(workspace: Workspace) -> Path:
    if not workspace.local_path:
        raise PhaseFailure(
            "workspace-unavailable",
            f"workspace {workspace.name} (id {workspace.pk}) has no local_path on this host.",
        )
    return Path(workspace.local_path)


def resolve_inputs(claimed: services.ClaimedExecution, work_dir: Path) -> dict[str, str | None]:
    """Every input's command-line value: a property's string, a file's absolute path, a
    directory of links for a ``files`` input; ``job_output_dir`` too."""
    given = {e["name"]: e for e in claimed.data.get("input_data", []) if isinstance(e, dict)}
    ids = [
        i for e in given.values() for i in ([e["file_id"]] if "file_id" in e else [])
        + list(e.get("file_ids") or [])
    ]
    files = {f.pk: f for f in ScaleFile.objects.filter(pk__in=ids).select_related("workspace")}
    values: dict[str, str | None] = {}
    for declared in interface_inputs(claimed.interface):
        name = declared["name"]
        entry = given.get(name)
        if entry is None:
            values[name] = None
            continue
        if declared.get("type") == "property":
            values[name] = entry.get("value")
            continue
        entry_ids = [entry["file_id"]] if "file_id" in entry else list(entry["file_ids"])
        paths = []
        for file_id in entry_ids:
            scale_file = files.get(file_id)
            if scale_file is None:
                raise PhaseFailure("workspace-unavailable", f"input file {file_id} is gone.")
            path = _workspace_root(scale_file.workspace) / scale_file.file_path.lstrip("/")
            if not path.is_file():
                raise PhaseFailure(
                    "workspace-unavailable",
                    f"input file {file_id} is not at {path} on this host.",
                )
            paths.append((scale_file, path.resolve()))
        if declared.get("type") == "file":
            values[name] = str(paths[0][1])
        else:
            directory = work_dir / "inputs" / name
            directory.mkdir(parents=True, exist_ok=True)
            for scale_file, path in paths:
                (directory / f"{scale_file.pk}-{scale_file.file_name}").symlink_to(path)
            values[name] = str(directory)
    values["job_output_dir"] = str(work_dir / "outputs")
    return values


_docker_checked: list[tuple[float, bool]] = []


def docker_available() -> bool:
    """Whether a Docker engine answers here (checked at most once a minute)."""
    if _docker_checked and time.monotonic() - _docker_checked[0][0] < 60:
        return _docker_checked[0][1]
    available = False
    if shutil.which("docker"):
        try:
            available = subprocess.run(
                ["docker", "info"], capture_output=True, timeout=10
            ).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            available = False
    _docker_checked[:] = [(time.monotonic(), available)]
    return available


def command_line(claimed: services.ClaimedExecution, values: dict[str, str | None],
                 work_dir: Path) -> list[str]:
    """The argv of the job phase: the command and its filled arguments, in Docker when the
    job type says so (the work directory and input files mounted at their own paths)."""
    command = shlex.split(str(claimed.interface.get("command") or ""))
    if not command:
        raise PhaseFailure("task-launch", "the job type's interface has no command.")
    argv = command + fill_arguments(str(claimed.interface.get("command_arguments") or ""),
                                    values)
    job_type = claimed.job_type
    if not job_type.uses_docker:
        return argv
    if not docker_available():
        raise PhaseFailure(
            "docker-unavailable",
            f"job type {job_type} runs in Docker ({job_type.docker_image}), and no Docker "
            "engine answers on this host.",
        )
    mounts = {str(work_dir)}
    mounts.update(str(Path(v).parent) for v in values.values() if v and os.path.isabs(v))
    volumes = [arg for mount in sorted(mounts) for arg in ("-v", f"{mount}:{mount}")]
    privileged = ["--privileged"] if job_type.docker_privileged else []
    return ["docker", "run", "--rm", "--name", f"scale_exe_{claimed.job_exe_id}", *privileged,
            *volumes, "-w", str(work_dir), str(job_type.docker_image), *argv]


GROUP_LEADER = Path(__file__).with_name("group_leader.py")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class JobPhaseOutcome:
    reason: str  # exited, timeout, stopped (canceled/lost), fenced (database unreachable)
    exit_code: int | None
    stdout: BoundedLog
    stderr: BoundedLog


def run_job_phase(claimed: services.ClaimedExecution, argv: list[str], work_dir: Path,
                  should_abort: Callable[[], bool]) -> JobPhaseOutcome:
    """Run argv as a new process group until it exits, times out, is canceled or this
    worker loses its lease; the logs are stored with each renewal."""
    limit = settings.SCALE_LOG_LIMIT_BYTES
    if shutil.which(argv[0], path=os.environ.get("PATH")) is None:
        raise PhaseFailure("task-launch", f"{argv[0]} is not a command on this host.")
    try:
        # A new session whose leader dies with this worker (job_exe/group_leader.py).
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(GROUP_LEADER), *argv], cwd=work_dir,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise PhaseFailure("task-launch", f"{argv[0]} could not be started: {exc}") from exc
    stdout, stderr = BoundedLog(process.stdout, limit), BoundedLog(process.stderr, limit)
    started = time.monotonic()
    last_renewal = last_renewed = started
    stored = (-1, -1)
    renew_every = settings.SCALE_LEASE_RENEW_SECONDS
    fence_after = max(settings.SCALE_LEASE_SECONDS - 2, 1)
    reason = "exited"
    while process.poll() is None:
        now = time.monotonic()
        if should_abort():
            reason = "stopped"
        elif now - started >= claimed.timeout:
            reason = "timeout"
        elif now - last_renewal >= renew_every:
            last_renewal = now
            versions = (stdout.version, stderr.version)
            try:
                running = services.job_exe_renew(
                    job_exe_id=claimed.job_exe_id,
                    stdout=stdout.text() if versions[0] != stored[0] else None,
                    stderr=stderr.text() if versions[1] != stored[1] else None,
                )
            except DatabaseError as exc:
                logger.warning("execution %s: lease renewal failed: %s", claimed.job_exe_id,
                               " ".join(str(exc).split()))
                connection.close()
                running = True
            else:
                last_renewed, stored = now, versions
            if not running:
                reason = "stopped"
        if reason == "exited" and now - last_renewed >= fence_after:
            reason = "fenced"
        if reason != "exited":
            _kill_group(process)
            break
        try:  # back as soon as it exits, not at the end of a fixed sleep
            process.wait(POLL_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    exit_code = process.wait()
    _kill_group(process)  # what the command left running in its group goes with it
    stdout.join(2)
    stderr.join(2)
    return JobPhaseOutcome(reason=reason, exit_code=exit_code, stdout=stdout, stderr=stderr)


def read_manifest(output_dir: Path, interface: dict) -> tuple[dict, dict[str, list[Path]]]:
    """The results manifest (v1.0 ``files`` or v1.1 ``output_data``) and the files it
    gives each output, every one checked: a known output, a file inside the output
    directory, each required output present."""
    path = output_dir / MANIFEST_NAME
    outputs = {e["name"]: e for e in interface_outputs(interface)}
    manifest: dict = {}
    if path.is_file():
        try:
            manifest = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise PhaseFailure("invalid-results-manifest", f"{MANIFEST_NAME}: {exc}") from exc
        if not isinstance(manifest, dict):
            raise PhaseFailure("invalid-results-manifest", f"{MANIFEST_NAME} is no object.")
    elif any(is_required(o) for o in outputs.values()):
        raise PhaseFailure("invalid-results-manifest",
                           f"no {MANIFEST_NAME} in {output_dir}, and outputs are required.")
    entries = manifest.get("output_data", manifest.get("files", []))
    if not isinstance(entries, list):
        raise PhaseFailure("invalid-results-manifest", "its outputs are not a list.")
    found: dict[str, list[Path]] = {}
    root = output_dir.resolve()
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("name") not in outputs:
            raise PhaseFailure("invalid-results-manifest",
                               f"{entry!r} names no output of the interface.")
        raw: list[Any] = []
        if isinstance(entry.get("file"), dict):  # v1.1
            raw.append(entry["file"].get("path"))
        raw += [f.get("path") if isinstance(f, dict) else None for f in entry.get("files", [])
                if "files" in entry and isinstance(entry["files"], list)]
        if "path" in entry:  # v1.0
            raw.append(entry["path"])
        raw += list(entry.get("paths") or [])
        paths = []
        for item in raw:
            if not isinstance(item, str):
                raise PhaseFailure("invalid-results-manifest", f"{item!r} is not a path.")
            candidate = (output_dir / item).resolve()
            if not candidate.is_relative_to(root) or not candidate.is_file():
                raise PhaseFailure("invalid-results-manifest",
                                   f"{item} is no file in the output directory.")
            paths.append(candidate)
        found.setdefault(entry["name"], []).extend(paths)
    missing = [n for n, o in outputs.items() if is_required(o) and not found.get(n)]
    if missing:
        raise PhaseFailure("invalid-results-manifest",
                           f"required outputs missing: {', '.join(missing)}.")
    return manifest, found


def store_products(claimed: services.ClaimedExecution,
                   found: dict[str, list[Path]]) -> list[services.Product]:
    """Each output file copied into its output workspace under
    ``jobs/<job id>/exe-<execution id>/``; the products to register."""
    workspace_ids = {
        e["name"]: e.get("workspace_id")
        for e in claimed.data.get("output_data", []) if isinstance(e, dict)
    }
    workspaces = Workspace.objects.in_bulk([w for w in workspace_ids.values() if w])
    outputs = {e["name"]: e for e in interface_outputs(claimed.interface)}
    products = []
    for name, paths in found.items():
        workspace = workspaces.get(workspace_ids.get(name))
        if workspace is None:
            raise PhaseFailure("workspace-unavailable", f"output {name} has no workspace.")
        root = _workspace_root(workspace)
        for path in paths:
            relative = Path("jobs") / str(claimed.job_id) / f"exe-{claimed.job_exe_id}" / path.name
            target = root / relative
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            except OSError as exc:
                raise PhaseFailure("workspace-unavailable",
                                   f"{path.name} could not be stored in {target}: {exc}") from exc
            media_type = (outputs[name].get("media_type")
                          or mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            products.append(services.Product(
                output_name=name, workspace_id=workspace.pk, file_name=path.name,
                file_path=str(relative), media_type=media_type,
                file_size=target.stat().st_size, uuid=_file_uuid(target),
            ))
    return products


def _file_uuid(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _exit_code_error(claimed: services.ClaimedExecution, exit_code: int) -> Error:
    mapping = claimed.job_type.error_mapping or {}
    codes = mapping.get("exit_codes") if isinstance(mapping, dict) else None
    name = codes.get(str(exit_code)) if isinstance(codes, dict) else None
    error = Error.objects.filter(name=name).first() if isinstance(name, str) else None
    return error or builtin_error("algorithm-unknown")


def _note(text: str, message: str) -> str:
    return f"{text}{'' if not text or text.endswith(chr(10)) else chr(10)}[scale] {message}\n"


def run_execution(*, job_exe_id: int, node_id: int,
                  should_abort: Callable[[], bool] = lambda: False) -> str:
    """Run one execution through its phases; what became of it (``completed``,
    ``failed``, ``canceled``, ``skipped`` when it was not QUEUED, ``fenced``)."""
    close_old_connections()
    try:
        claimed = services.job_exe_claim(job_exe_id=job_exe_id, node_id=node_id)
        if claimed is None:
            return "skipped"
        work_dir = Path(settings.SCALE_WORK_DIR) / f"exe-{job_exe_id}"
        try:
            return _phases(claimed, work_dir, should_abort)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
    finally:
        # The session stays open for this thread's next execution (a new one each time
        # cost more than the execution of a short job), unless it broke or grew old.
        close_old_connections()


def _phases(claimed: services.ClaimedExecution, work_dir: Path,
            should_abort: Callable[[], bool]) -> str:
    job_exe_id = claimed.job_exe_id
    stdout_text = stderr_text = ""
    phase: dict[str, Any] = {}
    try:
        shutil.rmtree(work_dir, ignore_errors=True)
        (work_dir / "outputs").mkdir(parents=True)
        values = resolve_inputs(claimed, work_dir)
        argv = command_line(claimed, values, work_dir)
        now = timezone.now()
        if not services.job_exe_update_phase(job_exe_id=job_exe_id, pre_completed=now,
                                             job_started=now):
            return "canceled"
        phase = {"pre_completed": now, "job_started": now}
        outcome = run_job_phase(claimed, argv, work_dir, should_abort)
        stdout_text, stderr_text = outcome.stdout.text(), outcome.stderr.text()
        phase.update(job_completed=timezone.now(), job_exit_code=outcome.exit_code)
        if outcome.reason == "stopped":
            # Still RUNNING: this worker is shutting down (Procrastinate's abort on
            # shutdown), so the execution fails as lost and the job gets its next try.
            if services.job_exe_fail(
                job_exe_id=job_exe_id, error=builtin_error("node-lost"),
                stdout=stdout_text, stderr=_note(stderr_text, "killed: the worker shut down"),
                **phase,
            ).failed:
                return "failed"
            services.job_exe_store_logs(
                job_exe_id=job_exe_id, stdout=stdout_text,
                stderr=_note(stderr_text, "killed: the execution is no longer RUNNING "
                             "(canceled, or found lost)"),
            )
            return "canceled"
        if outcome.reason == "fenced":
            logger.error("execution %s: killed, the database was unreachable for too long",
                         job_exe_id)
            return "fenced"
        if outcome.reason == "timeout":
            raise PhaseFailure("task-timeout", f"timed out after {claimed.timeout} s; killed.")
        if outcome.exit_code != 0:
            error = _exit_code_error(claimed, outcome.exit_code)
            services.job_exe_fail(
                job_exe_id=job_exe_id, error=error, stdout=stdout_text,
                stderr=_note(stderr_text, f"exited with code {outcome.exit_code}: {error.name}"),
                **phase,
            )
            return "failed"
        if not services.job_exe_update_phase(job_exe_id=job_exe_id, **phase,
                                             post_started=timezone.now()):
            return "canceled"
        manifest, found = read_manifest(work_dir / "outputs", claimed.interface)
        products = store_products(claimed, found)
        output_types = {o["name"]: o.get("type") for o in interface_outputs(claimed.interface)}
        completed = services.job_exe_complete(
            job_exe_id=job_exe_id, products=products, output_types=output_types,
            results_manifest=manifest, stdout=stdout_text, stderr=stderr_text,
        )
        if not completed:  # canceled while it was being stored: nothing was registered
            for product in products:
                workspace = Workspace.objects.get(pk=product.workspace_id)
                (_workspace_root(workspace) / product.file_path).unlink(missing_ok=True)
            return "canceled"
        return "completed"
    except PhaseFailure as failure:
        services.job_exe_fail(
            job_exe_id=job_exe_id, error=builtin_error(failure.error_name),
            stdout=stdout_text, stderr=_note(stderr_text, failure.message), **phase,
        )
        return "failed"
