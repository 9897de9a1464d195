"""``make run``: gunicorn (gunicorn.conf.py), with the embedded PostgreSQL supervised.

``python -m scale.serve`` starts gunicorn as a child process and, when the service uses
the embedded server (DATABASE_URL unset, or ``--pgdata`` given), checks every second that
its postmaster is alive and ready; a server found dead is started again, and the start
waits as long as crash recovery takes (``scale.embedded_pg.restart_server``). Meanwhile
the API answers 503 (``scale.outage``), and again from the database within seconds of it
being ready. SIGINT and SIGTERM stop gunicorn, then the supervisor; the embedded server is
left running, as every command of the project leaves it (``make stop-db`` stops it).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CHECK_INTERVAL = 1.0


def log(message: str) -> None:
    print(f"[serve] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pgdata", type=Path, default=None,
        help="the embedded server's data directory to supervise (default: var/pgdata when "
        "DATABASE_URL is unset, none otherwise)",
    )
    options = parser.parse_args(argv)
    pgdata = options.pgdata
    if pgdata is None and not os.environ.get("DATABASE_URL"):
        pgdata = BASE_DIR / "var" / "pgdata"

    from scale.embedded_pg import EmbeddedServerUnavailable, restart_server, running_socket_dir

    if pgdata is not None:
        restart_server(pgdata=pgdata)
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR,
    )

    stopping = []

    def stop(signum, _frame) -> None:
        stopping.append(signum)
        if gunicorn.poll() is None:
            gunicorn.send_signal(signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while gunicorn.poll() is None:
        time.sleep(CHECK_INTERVAL)
        if stopping or pgdata is None or running_socket_dir(pgdata) is not None:
            continue
        log(f"the embedded PostgreSQL in {pgdata} is not running; starting it")
        started = time.monotonic()
        try:
            restart_server(pgdata=pgdata)
        except EmbeddedServerUnavailable as exc:
            log(f"{exc}; trying again")
            continue
        log(f"the embedded PostgreSQL is ready again after {time.monotonic() - started:.1f} s")
    return gunicorn.wait()


if __name__ == "__main__":
    sys.exit(main())
