from rest_framework import serializers

from scale.api.serializers import IdObjectField, ScaleModelSerializer
from storage.models import ScaleFile, Workspace


class WorkspaceBriefSerializer(ScaleModelSerializer):
    class Meta:
        model = Workspace
        fields = ("id", "name")


def file_url(scale_file: ScaleFile) -> str:
    """The workspace's base URL joined with the file path; empty when there is no base URL.

    The selector must have joined the workspace (``select_related``).
    """
    base_url = scale_file.workspace.base_url
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/{scale_file.file_path.lstrip('/')}"


class ScaleFileSerializer(ScaleModelSerializer):
    """A source file, as the contract's "Scale File Details"."""

    workspace = WorkspaceBriefSerializer(read_only=True)
    data_type = serializers.ListField(
        source="data_type_tags", child=serializers.CharField(), read_only=True
    )
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
