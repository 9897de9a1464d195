"""The leader of an execution's process group: runs the job's command as its child and,
when the worker that started it dies, kills the whole group.

``python -I -S group_leader.py COMMAND [ARGS...]``, started by ``job_exe.runner`` as a new
session. On Linux it asks to be sent SIGTERM when its parent (the worker) dies
(``PR_SET_PDEATHSIG``); on that signal it SIGKILLs its group, so neither the command nor
anything the command started runs on unseen once the worker is gone. It exits with the
command's exit code (128 + N when a signal N ended the command). Plain Python, no Django:
it starts in milliseconds.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def _kill_group(*_args) -> None:
    os.killpg(0, signal.SIGKILL)


def main() -> int:
    worker = os.getppid()
    signal.signal(signal.SIGTERM, _kill_group)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the worker's sweep is the only guard
        pass
    if os.getppid() != worker:  # the worker died before the request took effect
        _kill_group()
    # posix_spawnp, not subprocess (whose import alone doubles this process' start-up);
    # SIGPIPE and SIGXFSZ back to their defaults in the command, as subprocess does.
    command = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ,
                              setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    code = os.waitstatus_to_exitcode(os.waitpid(command, 0)[1])
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
