from django.db.models import Case, Func, TextField, Value, When
from django.db.models.functions import Concat
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scale.api.rendering import Ref
from scale.api.serializers import IdObjectField, ScaleSerializer
from storage.models import ScaleFile, Workspace


class WorkspaceBriefSerializer(ScaleSerializer):
    """The workspace that holds a file: its id and name."""

    class Meta:
        model = Workspace
        fields = ("id", "name")


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class DataTypeField(serializers.Field):
    """``data_type``, stored comma-separated, as a list of its non-empty tags."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: str) -> list[str]:
        return [tag for tag in (t.strip() for t in value.split(",")) if tag]

    def json_sql(self, ref: Ref):
        text = TextField()
        trimmed = Func(
            ref(self.source), Value(r"^\s+|\s+$"), Value(""), Value("g"),
            function="regexp_replace", output_field=text,
        )
        tags = Func(trimmed, Value(r"\s*,\s*"), function="regexp_split_to_array",
                    output_field=text)
        return Func(tags, Value(""), function="array_remove", output_field=text)


@extend_schema_field(serializers.CharField())
class FileUrlField(serializers.Field):
    """The workspace's base URL joined with the file's path; empty without a base URL."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, scale_file: ScaleFile) -> str:
        base_url = scale_file.workspace.base_url
        if not base_url:
            return ""
        return f"{base_url.rstrip('/')}/{scale_file.file_path.lstrip('/')}"

    def json_sql(self, ref: Ref):
        base_url = ref("workspace__base_url")
        text = TextField()
        joined = Concat(
            Func(base_url, Value("/"), function="rtrim", output_field=text),
            Value("/"),
            Func(ref("file_path"), Value("/"), function="ltrim", output_field=text),
            output_field=text,
        )
        return Case(
            When(**{f"{base_url.name}__isnull": True}, then=Value("")),
            When(**{base_url.name: ""}, then=Value("")),
            default=joined,
            output_field=text,
        )


class ScaleFileSerializer(ScaleSerializer):
    """A file (Scale File Details): where it is stored, its size, media type, data types and
    footprint."""

    workspace = WorkspaceBriefSerializer(read_only=True)
    data_type = DataTypeField()
    url = FileUrlField()

    class Meta:
        model = ScaleFile
        fields = (
            "id",
            "workspace",
            "file_name",
            "media_type",
            "file_size",
            "data_type",
            "is_deleted",
            "uuid",
            "url",
            "created",
            "deleted",
            "data_started",
            "data_ended",
            "geometry",
            "center_point",
            "meta_data",
            "last_modified",
        )


class ProductFileSerializer(ScaleFileSerializer):
    """A product: a file that a job wrote, with the job, job type and execution that made
    it."""

    job_type = IdObjectField(source="job_type_id", allow_null=True)
    job = IdObjectField(source="job_id", allow_null=True)
    job_exe = IdObjectField(source="job_exe_id", allow_null=True)

    class Meta(ScaleFileSerializer.Meta):
        fields = (
            *ScaleFileSerializer.Meta.fields,
            "is_operational",
            "is_published",
            "published",
            "unpublished",
            "job_type",
            "job",
            "job_exe",
        )


WORKSPACE_FIELDS = (
    "id",
    "name",
    "title",
    "description",
    "base_url",
    "is_active",
    "used_size",
    "total_size",
    "created",
    "archived",
    "last_modified",
)


class WorkspaceSerializer(ScaleSerializer):
    """A row of ``/workspaces/``: a workspace and its disk space (null when not known)."""

    class Meta:
        model = Workspace
        fields = WORKSPACE_FIELDS


class WorkspaceDetailsSerializer(ScaleSerializer):
    """``/workspaces/{id}/``: the row and its configuration (how its files are reached)."""

    class Meta:
        model = Workspace
        fields = (*WORKSPACE_FIELDS, "json_config")
