#!/usr/bin/env python
"""Django's command-line utility for Scale Job Services."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scale.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A wrong DATABASE_URL or an unreachable server is an operator's mistake, not a
        # bug: one line naming the problem helps more than a traceback.
        sys.exit(f"manage.py: {_first_line(exc)}")
    except OperationalError as exc:
        sys.exit(f"manage.py: the database cannot be reached: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


if __name__ == "__main__":
    main()
