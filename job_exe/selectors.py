"""What ``/job-executions/{id}/logs/`` reads: the one read of stdout and stderr.

A log may be many megabytes: it is never loaded whole. The execution's row is rendered by
PostgreSQL with the logs' lengths, then each log is read in slices of ``LOG_CHUNK``
characters (``substring``; the columns are stored uncompressed, migration 0004, so a slice
reads only its own part of the TOAST value) and written out as a JSON string piece by
piece. Everything is read in one snapshot, held while the answer streams.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from django.db.models import F
from django.db.models.functions import Length, Substr

from job_exe.models import JobExecution
from job_exe.serializers import JobExecutionLogsSerializer
from scale.api.rendering import json_text
from scale.api.views import read_snapshot

LOG_CHUNK = 256 * 1024
"""Characters per slice of a log: at most 1 MiB of UTF-8, a few MiB of Python string."""


class ExecutionNotFound(Exception):
    """No execution has this id."""


def execution_logs(*, execution_id: int) -> Iterator[bytes]:
    """The body of ``/job-executions/{id}/logs/`` as pieces of JSON bytes.

    The first piece is produced eagerly by the caller's ``next()``: it raises
    ``ExecutionNotFound`` before anything is sent. The snapshot stays open until the last
    piece (or until the response is closed).
    """
    with read_snapshot():
        head = (
            JobExecution.objects.filter(pk=execution_id)
            .values_list(
                json_text(JobExecutionLogsSerializer,
                          exclude=JobExecutionLogsSerializer.LOG_FIELDS),
                *(Length(name) for name in JobExecutionLogsSerializer.LOG_FIELDS),
            )
            .first()
        )
        if head is None:
            raise ExecutionNotFound(execution_id)
        text, *lengths = head
        yield text[:-1].encode()
        for name, length in zip(JobExecutionLogsSerializer.LOG_FIELDS, lengths, strict=True):
            yield f',"{name}":"'.encode()
            for start in range(1, (length or 0) + 1, LOG_CHUNK):
                chunk = (
                    JobExecution.objects.filter(pk=execution_id)
                    .values_list(Substr(F(name), start, LOG_CHUNK), flat=True)
                    .get()
                )
                # A JSON string's escapes are per character: the pieces join into one.
                yield orjson.dumps(chunk)[1:-1]
            yield b'"'
        yield b"}"
