"""The API's own words for its fields, from the contract (job-services.txt and Scale 3.0's
REST chapters), for the OpenAPI schema's property descriptions.

``ScaleAutoSchema`` gives a property the ``help_text`` of its serializer field when there
is one, else the entry ``"<Model>.<field>"`` here (``"Node.is_active"``), else the entry of
the bare field name. A field that none of them names fails
``tests/test_openapi.py::test_every_schema_and_property_is_described``: give it a
``help_text``, or its words here.
"""

FIELD_DESCRIPTIONS: dict[str, str] = {
    # Every model
    "id": "The unique identifier of the model. Can be passed to the details API call.",
    "created": "When the associated database model was initially created.",
    "last_modified": "When the associated database model was last saved.",
    "name": "The identifying name of the model, used for queries.",
    "title": "The human readable display name of the model.",
    "description": "A longer description of the model.",
    "version": "The version of the model.",
    "is_active": "Whether the model is active (false once it is archived).",
    "archived": "When the model was archived (no longer active), or null.",
    "revision_num": "The current revision number, incremented for each edit.",
    "interface": "JSON description defining the interface for running a job of this type.",
    "trigger_rule": "A linked trigger rule that automatically invokes the type, or null.",
    # Jobs
    "job_type": "The job type that is associated with the object.",
    "job_type_rev": "The job type revision that is associated with the job. This represents "
    "the definition at the time the job was scheduled.",
    "event": "The trigger event that is associated with the object.",
    "error": "The error that is associated with the object, or null.",
    "status": "The current status.",
    "Job.status": "The current status of the job.",
    "JobExecution.status": "The current status of the job execution.",
    "priority": "The priority of the job (lower number is higher priority).",
    "JobType.priority": "The priority of the job type (lower number is higher priority).",
    "num_exes": "The number of executions this job has had.",
    "timeout": "The maximum amount of time this job can run before being killed (in seconds).",
    "max_tries": "The maximum number of times to attempt this job when failed (minimum one).",
    "cpus_required": "The number of CPUs needed for a job of this type.",
    "mem_required": "The amount of RAM in MiB needed for a job of this type.",
    "disk_in_required": "The amount of disk space in MiB required for input files for this job.",
    "disk_out_required": "The amount of disk space in MiB required for output files for this "
    "job.",
    "queued": "When the job was added to the queue to be run when resources are available.",
    "started": "When the job started running.",
    "ended": "When the job stopped running, which could be due to success or failure.",
    "JobExecution.queued": "When the job was added to the queue for this run and went to "
    "QUEUED status.",
    "JobExecution.started": "When the job was scheduled and went to RUNNING status.",
    "JobExecution.ended": "When the job execution ended (FAILED, COMPLETED or CANCELED).",
    "last_status_change": "When the status of the job was last changed.",
    "data": "JSON description of the job's input and output data (Job Data Specification "
    "Version 1.0); for a recipe, the data used to execute the recipe instance.",
    "results": "JSON description of the job's results (Job Results Specification); {} before "
    "the job has any.",
    "recipes": "A list of all recipes associated with the job.",
    "job_exes": "A list of all job executions associated with the job, newest first.",
    "inputs": "A list of job interface inputs merged with their respective job data values.",
    "outputs": "A list of job interface outputs merged with their respective job result values.",
    "input_files": "A list of files that the job used as input.",
    "Recipe.input_files": "A list of files that the recipe used as input.",
    "latest_job_exe": "The most recent execution of the job, or null.",
    # Job types
    "category": "The category of the job type.",
    "Error.category": "The category of the error.",
    "author_name": "The name of the person or organization that created the job algorithm.",
    "author_url": "The address to a home page about the author or associated algorithm.",
    "is_system": "Whether this is a system type.",
    "is_long_running": "Whether this type is long running. A job of this type is intended "
    "to run for a long time, potentially indefinitely, without timing out and always being "
    "re-queued after a failure.",
    "is_operational": "Whether this job type is operational (true) or is still in a research "
    "and development (R&D) phase (false).",
    "is_paused": "Whether the job type is paused (while paused no jobs of this type will be "
    "scheduled off of the queue).",
    "Node.is_paused": "True if the node is paused and will not accept new jobs for execution.",
    "icon_code": "A font-awesome icon code to use when representing this job type.",
    "uses_docker": "Whether the job type uses Docker.",
    "docker_privileged": "Whether the job type's Docker container runs in privileged mode.",
    "docker_image": "The Docker image containing the code to run for this job.",
    "disk_out_const_required": "A constant amount of disk space in MiB required for job "
    "output.",
    "disk_out_mult_required": "A multiplier (2x = 2.0) applied to the size of the input files "
    "to determine additional disk space in MiB required for job output.",
    "paused": "When the job type was paused, or null.",
    "max_scheduled": "The maximum number of jobs of this type that may be scheduled to run at "
    "the same time, or null for no limit.",
    "error_mapping": "JSON description defining the error mappings (exit code to error name) "
    "for a job of this type.",
    "errors": "List of all errors that are referenced by this job type's error mapping.",
    "job_counts": "The job counts of the job type, grouped by status (and error category).",
    "job_counts_6h": "List of job counts for the job type, grouped by status, the past 6 "
    "hours.",
    "job_counts_12h": "List of job counts for the job type, grouped by status, the past 12 "
    "hours.",
    "job_counts_24h": "List of job counts for the job type, grouped by status, the past 24 "
    "hours.",
    "count": "The number of jobs in this group.",
    "most_recent": "When a job of this group was last in that status.",
    "first_error": "When this error first occurred for a job of this type.",
    "last_error": "When this error most recently occurred for a job of this type.",
    # Job executions and nodes
    "job": "The job that is associated with the object.",
    "node": "The node that ran the execution, or null.",
    "command_arguments": "The argument string to execute on the command line for this job "
    "execution.",
    "pre_started": "When the pre-job steps were started on a node.",
    "pre_completed": "When the pre-job steps were completed on a node.",
    "pre_exit_code": "The exit code of the pre-steps job process for this job execution.",
    "job_started": "When the actual job started running on a node.",
    "job_completed": "When the actual job completed running on a node.",
    "job_exit_code": "The exit code of the main job process for this job execution.",
    "post_started": "When the post-job steps were started on a node.",
    "post_completed": "When the post-job steps were completed on a node.",
    "post_exit_code": "The exit code of the post-steps job process for this job execution.",
    "environment": "An interface description for the environment the job execution executed "
    "in.",
    "cpus_scheduled": "The number of CPUs scheduled for the execution.",
    "mem_scheduled": "The amount of RAM in MiB scheduled for the execution.",
    "disk_in_scheduled": "The amount of disk space in MiB scheduled for input files for the "
    "execution.",
    "disk_out_scheduled": "The amount of disk space in MiB scheduled for output files for the "
    "execution.",
    "disk_total_scheduled": "The total amount of disk space in MiB scheduled for the "
    "execution.",
    "results_manifest": "An interface description for all the actual job results meta-data.",
    "current_stdout_url": "The URL of the standard output log for the execution.",
    "current_stderr_url": "The URL of the standard error log for the job execution.",
    "is_finished": "Whether the execution has ended (FAILED, COMPLETED or CANCELED).",
    "hostname": "The full domain-qualified hostname of the node.",
    "port": "The port being used by the executor on this node.",
    "slave_id": "The slave ID used by Mesos for the node.",
    "pause_reason": "The reason this node is paused if is_paused is true, or null.",
    "is_paused_errors": "True if the node was automatically paused due to a high error rate.",
    "last_offer": "When the node last received an offer from Mesos, or null.",
    "job_exes_running": "A list of job executions currently running on the node.",
    "job_exe_counts": "A list of recent job execution counts for the node, grouped by status.",
    "ExecutionStatusCount.count": "The number of job executions for the status attempted by "
    "the node.",
    # Errors
    "is_builtin": "Whether the error was loaded during the installation process.",
    # Recipes
    "recipe_type": "The recipe type that is associated with the recipe.",
    "completed": "When every job in the recipe was completed successfully, or null.",
    "definition": "JSON description defining the interface for running a recipe of this type.",
    "job_types": "List of all job types that are referenced by this recipe type's definition.",
    "jobs": "The jobs associated with this recipe.",
    "job_name": "The name of the job in this recipe.",
    # Trigger rules and events
    "type": "The type of the trigger.",
    "rule": "The trigger rule that caused the event, or null.",
    "occurred": "When the event occurred.",
    "configuration": "JSON description of the trigger rule's configuration.",
    # Files
    "workspace": "The workspace that holds the file.",
    "file_name": "The name of the file.",
    "media_type": "The IANA media type of the file.",
    "file_size": "The size of the file in bytes.",
    "data_type": "A list of string data type tags for the file.",
    "is_deleted": "Whether the file has been deleted.",
    "uuid": "A unique identifier of the file's contents, 32 lowercase hexadecimal characters.",
    "url": "The absolute URL to use for downloading the file.",
    "deleted": "When the file was deleted, or null.",
    "data_started": "The start time of the data contained in the file, or null.",
    "data_ended": "The end time of the data contained in the file, or null.",
    "geometry": "The geo-spatial footprint of the file, as well-known text, or null.",
    "center_point": "The center point of the file's footprint, as well-known text, or null.",
    "meta_data": "A dictionary of key/value pairs describing the file.",
    # The system
    "master": "Overall status information for the master host.",
    "scheduler": "Overall status information for the scheduler framework.",
    "resources": "Information about the overall hardware resources of the cluster.",
    "cpus": "A number of CPUs.",
    # Metrics
    "filters": "The filter parameters that can be used to query the metrics type.",
    "groups": "The group definitions that can be used to select the results returned.",
    "columns": "The column definitions that can be used to select the results returned.",
    "choices": "The related model choices that can be used to filter the metrics records.",
    "param": "The identifying name of the parameter used for queries.",
    "units": "Each value for the metrics column is converted to this type of unit.",
    "group": "Some metric columns are related together, which is indicated by the group name.",
    "aggregate": "The math operation used to aggregate certain types of metrics.",
    "column": "The column definition of the selected plot data values.",
    "min_x": "The minimum value within the x-axis for the metric column.",
    "max_x": "The maximum value within the x-axis for the metric column.",
    "min_y": "The minimum value within the y-axis for the metric column.",
    "max_y": "The maximum value within the y-axis for the metric column.",
    "values": "List of plot value JSON objects for each choice and date in the data series.",
    "date": "The date when the plot value occurred.",
    "value": "The statistic value that was calculated for the date.",
    # Workspaces
    "base_url": "The URL prefix used to access all files within the workspace.",
    "used_size": "The amount of disk space currently being used by the workspace in bytes.",
    "total_size": "The total amount of disk space provided by the workspace in bytes.",
    "json_config": "JSON configuration with attributes specific to the type of workspace.",
}
