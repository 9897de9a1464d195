from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scale.api.serializers import IdObjectField, ScaleModelSerializer
from storage.models import ScaleFile, Workspace


class WorkspaceBriefSerializer(ScaleModelSerializer):
    class Meta:
        model = Workspace
        fields = ("id", "name")


def file_url(scale_file: ScaleFile) -> str:
    """The workspace's base URL joined with the file path; empty when there is no base URL.

    The selector must have read the workspace's ``base_url`` and the file's ``file_path``.
    """
    base_url = scale_file.workspace.base_url
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/{scale_file.file_path.lstrip('/')}"


class ScaleFileSerializer(ScaleModelSerializer):
    """A source file, as the contract's "Scale File Details"."""

    # It renders a ScaleFile, or a plain row of job.selectors that has the file's
    # data_type and file_path and its workspace's base_url too.

    workspace = WorkspaceBriefSerializer(read_only=True)
    data_type = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

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

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_data_type(self, scale_file: ScaleFile) -> list[str]:
        """``data_type`` is stored comma-separated and rendered as a list."""
        return [tag for tag in (t.strip() for t in scale_file.data_type.split(",")) if tag]

    def get_url(self, scale_file: ScaleFile) -> str:
        return file_url(scale_file)


class ProductFileSerializer(ScaleFileSerializer):
    """A product: a file plus the job that made it."""

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
