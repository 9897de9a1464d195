"""The named reference rows of the demo data: errors, workspaces, nodes, trigger rules, job
types with their revisions, recipe types.

They go through the ORM with ``get_or_create`` so that a second run on the same database
reuses them (names are unique). Rows created here get timestamps derived from ``now``, so
two runs with the same ``now`` give identical rows. Jobs are generated from the
*stored* revision interfaces, so a job type that already existed with another interface
still gets job data that matches it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from error.models import Error
from job.models import JobType, JobTypeRevision
from job_exe.models import Node
from recipe.models import RecipeType
from storage.models import ScaleFile, Workspace
from trigger.models import TriggerRule


@dataclass(frozen=True)
class MediaKind:
    """How files of one media type look: extension, name stems, size range in bytes."""

    extension: str
    stems: tuple[str, ...]
    size: tuple[int, int]


_KB, _MB = 1 << 10, 1 << 20
_OCTET_STREAM = "application/octet-stream"
MEDIA: dict[str, MediaKind] = {
    "application/zip": MediaKind("zip", ("S1A_IW_GRDH", "S1B_IW_GRDH"), (800 * _MB, 1600 * _MB)),
    "image/tiff": MediaKind("tif", ("LC08_L1TP", "S2A_MSIL1C"), (50 * _MB, 500 * _MB)),
    "image/png": MediaKind("png", ("quicklook", "tile"), (100 * _KB, 2 * _MB)),
    "application/json": MediaKind("json", ("metadata", "statistics"), (2 * _KB, 50 * _KB)),
    "application/vnd.geo+json": MediaKind("geojson", ("footprint",), (1 * _KB, 20 * _KB)),
    "application/vnd.google-earth.kml+xml": MediaKind("kml", ("export",), (10 * _KB, 500 * _KB)),
    _OCTET_STREAM: MediaKind("bin", ("data",), (1 * _KB, 10 * _MB)),
}


@dataclass(frozen=True)
class RevisionPlan:
    """A stored revision, reduced to what job generation needs."""

    id: int
    revision_num: int
    inputs: tuple[tuple[str, str, bool, str], ...]  # name, type, required, media type
    outputs: tuple[tuple[str, str, str], ...]  # name, type, media type
    command_arguments: str


@dataclass(frozen=True)
class JobTypePlan:
    id: int
    name: str
    event_type: str
    priority: int
    timeout: int
    max_tries: int
    cpus: float
    mem: float
    disk_out_const: float
    disk_out_mult: float
    is_operational: bool
    runtime_ms: tuple[int, int]
    revisions: tuple[RevisionPlan, ...]  # oldest first


@dataclass(frozen=True)
class RecipeTypePlan:
    id: int
    steps: tuple[tuple[str, JobTypePlan], ...]  # (job name in the recipe, job type)


@dataclass(frozen=True)
class Catalogue:
    raw_workspace_id: int
    products_workspace_id: int
    node_ids: tuple[int, ...]
    error_ids: Mapping[str, tuple[int, ...]]  # by category
    rule_ids: Mapping[str, tuple[int, ...]]  # by event type
    job_types: tuple[JobTypePlan, ...]
    standalone_table: tuple[JobTypePlan, ...]  # weighted lookup table
    recipe_types: tuple[RecipeTypePlan, ...]
    media: Mapping[str, MediaKind]
    # Source files that jobs share, by input name: (id, file name, size).
    shared_files: Mapping[str, tuple[tuple[int, str, int], ...]]

    def referenced_ids(self) -> dict[str, list[int]]:
        """Every reference row that generated rows may point at, by table."""
        return {
            "workspace": [self.raw_workspace_id, self.products_workspace_id],
            "node": list(self.node_ids),
            "error": sorted({pk for ids in self.error_ids.values() for pk in ids}),
            "trigger_rule": sorted({pk for ids in self.rule_ids.values() for pk in ids}),
            "job_type": [plan.id for plan in self.job_types],
            "job_type_revision": [r.id for plan in self.job_types for r in plan.revisions],
            "recipe_type": [plan.id for plan in self.recipe_types],
        }

    @staticmethod
    def property_value(name: str, r: float) -> str:
        values = _PROPERTY_VALUES.get(name, ("value",))
        return values[int(r * len(values))]


_PROPERTY_VALUES: dict[str, tuple[str, ...]] = {
    "ingest_id": tuple(str(n) for n in range(1000, 1100)),
    "mount": ("nfs:storage.example.com/raw", "s3://scale-raw/incoming"),
    "calibrate": ("true", "false"),
    "resolution": ("10", "20", "60"),
    "threshold": ("0.5", "0.6", "0.75", "0.9"),
    "cloud_threshold": ("10", "20", "30"),
    "bands": ("4,3,2", "8,4,3", "1"),
    "title": ("Daily export", "Weekly summary", "Incident report"),
}

_ERRORS = (
    ("unknown", "Unknown Error", "The cause of the failure is not known", "SYSTEM"),
    ("node-lost", "Node Lost", "The node running the task stopped answering", "SYSTEM"),
    ("docker-pull-failed", "Image Pull Failed", "The Docker image could not be pulled", "SYSTEM"),
    ("task-timeout", "Task Timeout", "The task ran longer than the job type allows", "SYSTEM"),
    ("algorithm-unknown", "Algorithm Error", "The algorithm exited with an error", "ALGORITHM"),
    ("out-of-memory", "Out of Memory", "The algorithm ran out of memory", "ALGORITHM"),
    ("segmentation-fault", "Segmentation Fault", "The algorithm crashed", "ALGORITHM"),
    ("invalid-input", "Invalid Input", "An input file is not what the job expects", "DATA"),
    ("missing-metadata", "Missing Metadata", "An input file lacks required metadata", "DATA"),
    ("corrupt-file", "Corrupt File", "An input file could not be read", "DATA"),
)

_NODE_COUNT = 20
_OFFLINE_NODE = 7

# (type, name, is_active)
_RULES = (
    ("INGEST", "sentinel1-ingest", True),
    ("INGEST", "optical-ingest", True),
    ("PARSE", "sar-products", True),
    ("PARSE", "optical-products", True),
    ("PARSE", "legacy-modis-parse", False),
)


def _file(name: str, media: str, *, many: bool = False, required: bool = True) -> dict:
    return {
        "name": name,
        "type": "files" if many else "file",
        "required": required,
        "media_types": [media],
    }


def _property(name: str, *, required: bool = True) -> dict:
    return {"name": name, "type": "property", "required": required}


def _output(name: str, media: str, *, many: bool = False) -> dict:
    return {"name": name, "type": "files" if many else "file", "media_type": media}


@dataclass(frozen=True)
class _JobTypeSpec:
    name: str
    version: str
    title: str
    category: str
    description: str
    weight: int  # share of standalone jobs
    runtime_s: tuple[int, int]
    inputs: tuple[dict, ...]
    outputs: tuple[dict, ...]
    revisions: int = 1
    # Revision 1 lacked this input; later revisions added it.
    added_input: str | None = None
    icon_code: str = "f013"
    cpus: float = 1.0
    mem: float = 1024.0
    disk_out_const: float = 64.0
    disk_out_mult: float = 0.0
    max_tries: int = 3
    priority: int = 100
    timeout: int = 1800
    is_system: bool = False
    is_active: bool = True
    is_operational: bool = True
    is_paused: bool = False


_SAR = "application/zip"
_TIFF = "image/tiff"
_GEOJSON = "application/vnd.geo+json"

_JOB_TYPES = (
    _JobTypeSpec(
        "scale-ingest", "1.0", "Scale Ingest", "system", "Moves arriving files into a workspace",
        10, (5, 60), (_property("ingest_id"), _property("mount")), (),
        icon_code="f013", is_system=True, priority=10, mem=256.0,
    ),
    _JobTypeSpec(
        "parse-sentinel1", "1.0", "Sentinel-1 Parser", "ingest", "Reads Sentinel-1 metadata",
        3, (20, 180), (_file("input_file", _SAR),),
        (_output("metadata", "application/json"), _output("quicklooks", "image/png", many=True)),
        icon_code="f15c", is_active=False,
    ),
    _JobTypeSpec(
        "parse-sentinel1", "1.1", "Sentinel-1 Parser", "ingest", "Reads Sentinel-1 metadata",
        12, (20, 180),
        (_file("input_file", _SAR), _property("calibrate", required=False)),
        (_output("metadata", "application/json"), _output("quicklooks", "image/png", many=True)),
        revisions=3, added_input="calibrate", icon_code="f15c", mem=2048.0,
    ),
    _JobTypeSpec(
        "footprint-sar", "1.0", "SAR Footprint", "footprint", "Outlines what a SAR scene covers",
        4, (10, 120), (_file("input_file", _SAR),), (_output("footprint", _GEOJSON),),
        icon_code="f0ac", revisions=2,
    ),
    _JobTypeSpec(
        "footprint-sar", "2.0", "SAR Footprint", "footprint", "Outlines what a SAR scene covers",
        10, (10, 90),
        (_file("input_file", _SAR), _property("resolution", required=False)),
        (_output("footprint", _GEOJSON),),
        icon_code="f0ac", revisions=2, added_input="resolution",
    ),
    _JobTypeSpec(
        "footprint-optical", "1.0", "Optical Footprints", "footprint",
        "Outlines the areas a set of optical scenes covers",
        8, (15, 240), (_file("scenes", _TIFF, many=True),),
        (_output("footprints", _GEOJSON, many=True),), icon_code="f0ac",
    ),
    _JobTypeSpec(
        "landcover-classifier", "1.0", "Land Cover Classifier", "classification",
        "Classifies land cover from an image and a training set",
        3, (300, 1800),
        (_file("image", _TIFF), _file("training_set", "application/json", many=True),
         _property("threshold")),
        (_output("classification", _TIFF), _output("statistics", "application/json")),
        icon_code="f1fe", cpus=4.0, mem=8192.0, disk_out_const=512.0, disk_out_mult=1.5,
        timeout=7200, revisions=2,
    ),
    _JobTypeSpec(
        "landcover-classifier", "1.1", "Land Cover Classifier", "classification",
        "Classifies land cover from an image and a training set",
        7, (240, 1500),
        (_file("image", _TIFF), _file("training_set", "application/json", many=True),
         _property("threshold", required=False)),
        (_output("classification", _TIFF), _output("statistics", "application/json")),
        icon_code="f1fe", cpus=4.0, mem=8192.0, disk_out_const=512.0, disk_out_mult=1.5,
        timeout=7200, revisions=3, max_tries=4,
    ),
    _JobTypeSpec(
        "cloud-mask", "1.0", "Cloud Mask", "classification", "Masks clouds in an optical scene",
        8, (60, 600),
        (_file("scene", _TIFF), _property("cloud_threshold", required=False)),
        (_output("mask", _TIFF), _output("tiles", "image/png", many=True)),
        icon_code="f0c2", cpus=2.0, mem=4096.0, disk_out_mult=1.0, revisions=2,
        added_input="cloud_threshold",
    ),
    _JobTypeSpec(
        "ship-detector", "0.9", "Ship Detector", "classification",
        "Finds ships in SAR scenes (research)",
        5, (120, 900), (_file("image", _SAR),), (_output("detections", _GEOJSON),),
        icon_code="f21a", cpus=2.0, mem=6144.0, is_operational=False, is_paused=True,
        max_tries=5,
    ),
    _JobTypeSpec(
        "kml-export", "1.0", "KML Export", "export", "Bundles products into a KML document",
        4, (5, 60),
        (_file("products", _GEOJSON, many=True), _property("title", required=False)),
        (_output("kml", "application/vnd.google-earth.kml+xml"),),
        icon_code="f019", priority=200,
    ),
    _JobTypeSpec(
        "geotiff-export", "1.0", "GeoTIFF Export", "export", "Cuts an image into GeoTIFF bands",
        6, (30, 300), (_file("image", _TIFF), _property("bands")),
        (_output("geotiffs", _TIFF, many=True),),
        icon_code="f019", priority=200, disk_out_mult=1.2, revisions=2,
    ),
)  # fmt: skip

_EVENT_TYPES = {"system": "STRIKE_TRANSFER", "ingest": "INGEST"}  # otherwise PARSE

# (name, version, title, [(job name, job type name, version)])
_RECIPE_TYPES = (
    ("sentinel1-processing", "1.0", "Sentinel-1 Processing", (
        ("parse", "parse-sentinel1", "1.1"),
        ("footprint", "footprint-sar", "2.0"),
        ("detect", "ship-detector", "0.9"),
    )),
    ("optical-processing", "1.0", "Optical Processing", (
        ("cloud_mask", "cloud-mask", "1.0"),
        ("classify", "landcover-classifier", "1.1"),
        ("export", "geotiff-export", "1.0"),
    )),
    ("footprint-export", "1.0", "Footprint Export", (
        ("footprints", "footprint-optical", "1.0"),
        ("kml", "kml-export", "1.0"),
    )),
)  # fmt: skip


def ensure_catalogue(*, now: datetime) -> Catalogue:
    """Create the reference rows that are missing and describe all of them for generation."""
    epoch = now - timedelta(days=120)
    raw = _workspace("raw", "Raw Files", "Files as they arrived", epoch)
    products = _workspace("products", "Products", "Files that jobs produced", epoch)
    error_ids: dict[str, list[int]] = {"SYSTEM": [], "ALGORITHM": [], "DATA": []}
    for index, (name, title, description, category) in enumerate(_ERRORS):
        error, created = Error.objects.get_or_create(
            name=name, defaults={"title": title, "description": description, "category": category}
        )
        if created:
            _stamp(Error, error.pk, epoch + timedelta(minutes=index))
        error_ids.setdefault(error.category, []).append(error.pk)
    node_ids: list[int] = []
    all_node_ids: list[int] = []
    for number in range(1, _NODE_COUNT + 1):
        node, created = Node.objects.get_or_create(
            hostname=f"node-{number:02d}.cluster.example.com",
            defaults={
                "port": 5051,
                "slave_id": f"a4e3c5b2-7f9d-4c1e-9a3b-{number:012d}-S{number}",
                "is_paused": number == _NODE_COUNT - 1,
                "is_active": number != _NODE_COUNT,
                # The retired node is gone; one other has lost its agent.
                "is_online": number not in (_NODE_COUNT, _OFFLINE_NODE),
                # Two sizes of machine: 16 or 32 CPUs, 4 GiB and 64 GiB of disk per CPU.
                "cpus_total": 16.0 * (1 + number % 2),
                "mem_total": 4096.0 * 16 * (1 + number % 2),
                "disk_total": 65536.0 * 16 * (1 + number % 2),
            },
        )
        if created:
            _stamp(Node, node.pk, epoch + timedelta(hours=number))
        if node.is_active:
            node_ids.append(node.pk)
        all_node_ids.append(node.pk)
    all_error_ids = [pk for ids in error_ids.values() for pk in ids]
    rule_ids: dict[str, list[int]] = {}
    for index, (rule_type, name, is_active) in enumerate(_RULES):
        rule, created = TriggerRule.objects.get_or_create(
            type=rule_type,
            name=name,
            defaults={
                "is_active": is_active,
                "configuration": {
                    "version": "1.0",
                    "condition": {"media_type": "", "data_types": []},
                    "data": {"input_data_name": "input_file", "workspace_name": "products"},
                },
            },
        )
        if created:
            _stamp(TriggerRule, rule.pk, epoch + timedelta(days=index))
            if not is_active:
                TriggerRule.objects.filter(pk=rule.pk).update(archived=now - timedelta(days=60))
        if rule.is_active:
            rule_ids.setdefault(rule.type, []).append(rule.pk)
    job_types = tuple(
        _job_type(spec, epoch + timedelta(days=index), now) for index, spec in enumerate(_JOB_TYPES)
    )
    pairs = tuple(zip(_JOB_TYPES, job_types, strict=True))
    by_key = {(spec.name, spec.version): plan for spec, plan in pairs}
    standalone = tuple(plan for spec, plan in pairs for _ in range(spec.weight))
    recipe_types = tuple(
        _recipe_type(name, version, title, steps, by_key, epoch + timedelta(days=30 + index))
        for index, (name, version, title, steps) in enumerate(_RECIPE_TYPES)
    )
    return Catalogue(
        raw_workspace_id=raw.pk,
        products_workspace_id=products.pk,
        node_ids=tuple(node_ids or all_node_ids),
        # An error of ours that someone recategorised must not leave a category empty.
        error_ids={category: tuple(ids or all_error_ids) for category, ids in error_ids.items()},
        rule_ids={event_type: tuple(ids) for event_type, ids in rule_ids.items()},
        job_types=job_types,
        standalone_table=standalone,
        recipe_types=recipe_types,
        media=MEDIA,
        shared_files={"training_set": _training_sets(raw, epoch)},
    )


_TRAINING_SETS = ("forest", "cropland", "urban", "water", "wetland", "desert", "tundra", "snow")


def _training_sets(raw: Workspace, created: datetime) -> tuple[tuple[int, str, int], ...]:
    """Labelled samples that every land-cover classification reads, made once."""
    files = []
    for index, label in enumerate(_TRAINING_SETS):
        file_name = f"training_set_{label}_v1.json"
        scale_file, was_created = ScaleFile.objects.get_or_create(
            workspace=raw,
            file_name=file_name,
            defaults={
                "file_path": f"training/{file_name}",
                "media_type": "application/json",
                "file_size": (index + 1) * 3_500_000,
                "data_type": "training",
                "uuid": hashlib.md5(file_name.encode(), usedforsecurity=False).hexdigest(),
                "meta_data": {"label": label, "samples": (index + 1) * 1000},
            },
        )
        if was_created:
            when = created + timedelta(hours=index)
            _stamp(
                ScaleFile,
                scale_file.pk,
                when,
                data_started=when - timedelta(days=30),
                data_ended=when - timedelta(days=1),
            )
        files.append((scale_file.pk, scale_file.file_name, scale_file.file_size))
    return tuple(files)


def _stamp(model: type, pk: int, when: datetime, **extra: Any) -> None:
    # auto_now/auto_now_add ignore given values on save; update() sets them as given.
    fields = {"created": when, **extra}
    if any(f.name == "last_modified" for f in model._meta.fields):
        fields["last_modified"] = when
    model.objects.filter(pk=pk).update(**fields)


def _workspace(name: str, title: str, description: str, when: datetime) -> Workspace:
    workspace, created = Workspace.objects.get_or_create(
        name=name,
        defaults={
            "title": title,
            "description": description,
            "base_url": f"http://files.example.com/{name}",
            "total_size": 50 * 2**40,
            "json_config": {
                "version": "1.0",
                "broker": {"type": "nfs", "nfs_path": f"nfs.example.com:/exports/{name}"},
            },
        },
    )
    if created:
        _stamp(Workspace, workspace.pk, when)
    return workspace


def _interface(spec: _JobTypeSpec, revision_num: int) -> dict:
    inputs = [item for item in spec.inputs if revision_num > 1 or item["name"] != spec.added_input]
    arguments = " ".join(f"${{{item['name']}}}" for item in inputs) + " ${job_output_dir}"
    if revision_num >= 3:
        arguments += " --log-level INFO"
    return {
        "version": "1.0",
        "command": f"/app/{spec.name}.sh",
        "command_arguments": arguments,
        "input_data": inputs,
        "output_data": list(spec.outputs),
    }


def _job_type(spec: _JobTypeSpec, created: datetime, now: datetime) -> JobTypePlan:
    latest = _interface(spec, spec.revisions)
    job_type, was_created = JobType.objects.get_or_create(
        name=spec.name,
        version=spec.version,
        defaults={
            "title": spec.title,
            "description": spec.description,
            "category": spec.category,
            "author_name": "Scale Demo Team",
            "author_url": "http://www.example.com/scale",
            "is_system": spec.is_system,
            "is_active": spec.is_active,
            "is_operational": spec.is_operational,
            "is_paused": spec.is_paused,
            "icon_code": spec.icon_code,
            "docker_image": f"registry.example.com/scale/{spec.name}:{spec.version}",
            "priority": spec.priority,
            "timeout": spec.timeout,
            "max_tries": spec.max_tries,
            "cpus_required": spec.cpus,
            "mem_required": spec.mem,
            "disk_out_const_required": spec.disk_out_const,
            "disk_out_mult_required": spec.disk_out_mult,
            "interface": latest,
            "revision_num": spec.revisions,
        },
    )
    if was_created:
        for revision_num in range(1, spec.revisions + 1):
            revision = JobTypeRevision.objects.create(
                job_type=job_type,
                revision_num=revision_num,
                interface=_interface(spec, revision_num),
            )
            _stamp(JobTypeRevision, revision.pk, created + timedelta(days=7 * (revision_num - 1)))
        last_change = created + timedelta(days=7 * (spec.revisions - 1))
        _stamp(
            JobType,
            job_type.pk,
            created,
            last_modified=last_change,
            archived=None if spec.is_active else now - timedelta(days=45),
            paused=now - timedelta(days=2) if spec.is_paused else None,
        )
    revisions = list(JobTypeRevision.objects.filter(job_type=job_type).order_by("revision_num"))
    if not revisions:
        # A job type someone made without revisions: its jobs need one to point at.
        revisions = [
            JobTypeRevision.objects.create(
                job_type=job_type, revision_num=job_type.revision_num, interface=job_type.interface
            )
        ]
    return JobTypePlan(
        id=job_type.pk,
        name=job_type.name,
        event_type=_EVENT_TYPES.get(spec.category, "PARSE"),
        priority=job_type.priority,
        timeout=job_type.timeout,
        max_tries=job_type.max_tries,
        cpus=float(job_type.cpus_required),
        mem=float(job_type.mem_required),
        disk_out_const=float(job_type.disk_out_const_required),
        disk_out_mult=float(job_type.disk_out_mult_required),
        is_operational=job_type.is_operational,
        runtime_ms=(spec.runtime_s[0] * 1000, spec.runtime_s[1] * 1000),
        revisions=tuple(_revision_plan(revision) for revision in revisions),
    )


def _revision_plan(revision: JobTypeRevision) -> RevisionPlan:
    """Read a stored interface defensively: only v1.0 shapes we understand become inputs."""
    interface = revision.interface if isinstance(revision.interface, dict) else {}
    inputs = []
    for item in interface.get("input_data") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        kind = item.get("type") if item.get("type") in ("file", "files") else "property"
        media_types = item.get("media_types") or []
        media = media_types[0] if media_types and media_types[0] in MEDIA else _OCTET_STREAM
        inputs.append((item["name"], kind, item.get("required", True) is not False, media))
    outputs = []
    for item in interface.get("output_data") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        kind = "files" if item.get("type") == "files" else "file"
        media = item.get("media_type") if item.get("media_type") in MEDIA else _OCTET_STREAM
        outputs.append((item["name"], kind, media))
    arguments = interface.get("command_arguments")
    return RevisionPlan(
        id=revision.pk,
        revision_num=revision.revision_num,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        command_arguments=_copy_text(arguments if isinstance(arguments, str) else ""),
    )


def _copy_text(value: str) -> str:
    """Text safe inside a COPY text column."""
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _recipe_type(
    name: str,
    version: str,
    title: str,
    steps: tuple[tuple[str, str, str], ...],
    job_types: Mapping[tuple[str, str], JobTypePlan],
    created: datetime,
) -> RecipeTypePlan:
    definition = {
        "version": "1.0",
        "input_data": [{"name": "input_file", "type": "file", "required": True}],
        "jobs": [
            {
                "name": job_name,
                "job_type": {"name": type_name, "version": type_version},
                "dependencies": [{"name": steps[index - 1][0]}] if index else [],
            }
            for index, (job_name, type_name, type_version) in enumerate(steps)
        ],
    }
    recipe_type, was_created = RecipeType.objects.get_or_create(
        name=name,
        version=version,
        defaults={"title": title, "description": f"{title} pipeline", "definition": definition},
    )
    if was_created:
        _stamp(RecipeType, recipe_type.pk, created)
    return RecipeTypePlan(
        id=recipe_type.pk,
        steps=tuple((job_name, job_types[(t, v)]) for job_name, t, v in steps),
    )
