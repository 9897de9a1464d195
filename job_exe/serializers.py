from job_exe.models import JobExecution
from scale.api.serializers import IdObjectField, ScaleSerializer

# The execution's own columns in its shape: PostgreSQL renders what the serializer
# declares (scale.api.rendering), so never stdout/stderr.
JOB_EXE_FIELDS = (
    "id",
    "status",
    "command_arguments",
    "timeout",
    "pre_started",
    "pre_completed",
    "pre_exit_code",
    "job_started",
    "job_completed",
    "job_exit_code",
    "post_started",
    "post_completed",
    "post_exit_code",
    "created",
    "queued",
    "started",
    "ended",
    "last_modified",
)

class JobExecutionSerializer(ScaleSerializer):
    job = IdObjectField(source="job_id")
    node = IdObjectField(source="node_id", allow_null=True)
    error = IdObjectField(source="error_id", allow_null=True)

    class Meta:
        model = JobExecution
        fields = (*JOB_EXE_FIELDS, "job", "node", "error")
