"""Demo job types that a worker can really run, on any machine with Python and a shell.

- ``demo-checksum``: the SHA-256 of an input file, written as a product;
- ``demo-sleep``: sleeps ``seconds`` (something to cancel);
- ``demo-fail``: exits with ``code``; the error mapping names 3 (``invalid-input``).

Two workspaces with local directories under ``var/workspaces/`` (``demo-inputs``,
``demo-products``) and one input file in the first. Created once, found again afterwards:
``generate_demo_data --runnable`` (as ``make run`` calls it) calls ``ensure_runnable_demo``
every time, even when the database already holds jobs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from error.models import Error
from job.models import JobType, JobTypeRevision
from storage.models import ScaleFile, Workspace

SAMPLE = b"Scale Job Services demo input.\n" * 64

CHECKSUM = (
    "import hashlib, json, os, sys; source, out = sys.argv[1], sys.argv[2]; "
    "digest = hashlib.sha256(open(source, 'rb').read()).hexdigest(); "
    "name = os.path.basename(source) + '.sha256'; "
    "open(os.path.join(out, name), 'w').write(digest + chr(10)); print(digest); "
    "json.dump({'version': '1.1', 'output_data': [{'name': 'checksum', "
    "'file': {'path': name}}]}, open(os.path.join(out, 'results_manifest.json'), 'w'))"
)

_TYPES = {
    "demo-checksum": {
        "title": "Demo Checksum",
        "description": "Writes the SHA-256 of a file as a product",
        "interface": {
            "version": "1.0", "command": "python3",
            "command_arguments": f'-c "{CHECKSUM}" ${{input_file}} ${{job_output_dir}}',
            "input_data": [{"name": "input_file", "type": "file"}],
            "output_data": [{"name": "checksum", "type": "file", "media_type": "text/plain"}],
        },
        "error_mapping": {},
        "timeout": 60,
    },
    "demo-sleep": {
        "title": "Demo Sleep",
        "description": "Sleeps for a while: something to cancel",
        "interface": {
            "version": "1.0", "command": "sleep", "command_arguments": "${seconds}",
            "input_data": [{"name": "seconds", "type": "property"}],
        },
        "error_mapping": {},
        "timeout": 3600,
    },
    "demo-fail": {
        "title": "Demo Failure",
        "description": "Exits with the code it is given; 3 is mapped to invalid-input",
        "interface": {
            "version": "1.0", "command": "sh",
            "command_arguments": "-c 'echo \"rejecting the input\" >&2; exit ${code}' demo-fail",
            "input_data": [{"name": "code", "type": "property"}],
        },
        "error_mapping": {"version": "1.0", "exit_codes": {"3": "invalid-input"}},
        "timeout": 60,
    },
}


@dataclass(frozen=True)
class RunnableDemo:
    job_types: dict[str, int]
    inputs: int  # the workspace with the sample file
    products: int
    sample_file: int


@transaction.atomic
def ensure_runnable_demo(*, root: Path | None = None) -> RunnableDemo:
    root = Path(root or settings.VAR_DIR / "workspaces")
    inputs = _workspace("demo-inputs", "Demo Inputs", root)
    products = _workspace("demo-products", "Demo Products", root)
    sample_path = Path(inputs.local_path) / "sample.txt"
    sample_path.write_bytes(SAMPLE)
    sample, _ = ScaleFile.objects.get_or_create(
        workspace=inputs, file_path="sample.txt",
        defaults={"file_name": "sample.txt", "media_type": "text/plain",
                  "file_size": len(SAMPLE), "uuid": hashlib.md5(SAMPLE).hexdigest()},
    )
    Error.objects.get_or_create(name="invalid-input", defaults={
        "title": "Invalid Input", "description": "An input file is not what the job expects",
        "category": "DATA",
    })
    job_types = {}
    for name, spec in _TYPES.items():
        job_type, created = JobType.objects.get_or_create(
            name=name, version="1.0",
            defaults={"title": spec["title"], "description": spec["description"],
                      "category": "demo", "uses_docker": False, "docker_image": None,
                      "interface": spec["interface"], "error_mapping": spec["error_mapping"],
                      "timeout": spec["timeout"], "max_tries": 1, "priority": 50,
                      "mem_required": 64.0, "revision_num": 1, "icon_code": "f0e7"},
        )
        JobTypeRevision.objects.get_or_create(
            job_type=job_type, revision_num=job_type.revision_num,
            defaults={"interface": job_type.interface},
        )
        job_types[name] = job_type.pk
    return RunnableDemo(job_types=job_types, inputs=inputs.pk, products=products.pk,
                        sample_file=sample.pk)


def _workspace(name: str, title: str, root: Path) -> Workspace:
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    workspace, _ = Workspace.objects.get_or_create(
        name=name, defaults={"title": title, "local_path": str(directory.resolve())}
    )
    if not workspace.local_path:
        workspace.local_path = str(directory.resolve())
        workspace.save(update_fields=["local_path", "last_modified"])
    return workspace
