#!/usr/bin/env python3
"""Django's command-line entry point: `./manage.py COMMAND` from any shell, no virtualenv to activate.

Run by an interpreter that is not the project's own (a fresh shell's python3), it hands over to
`.venv/bin/python` (made by `make install`), where Django and the other dependencies are.
"""

import os
import sys
from pathlib import Path

PROJECT_PYTHON = Path(__file__).resolve().parent / ".venv" / "bin" / "python"


def _in_project_venv() -> bool:
    return Path(sys.prefix).resolve() == PROJECT_PYTHON.parent.parent.resolve()


def main() -> None:
    if not _in_project_venv() and PROJECT_PYTHON.exists():
        os.execv(PROJECT_PYTHON, [str(PROJECT_PYTHON), __file__, *sys.argv[1:]])  # noqa: S606 — the same command
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp_gateway.settings")
    try:
        from django.core.management import ManagementUtility, execute_from_command_line
    except ImportError:
        sys.exit("Django is not installed for this Python: run `make install` first (it makes .venv/).")

    if sys.argv[1:2] == ["version"]:
        # Django answers `version` itself, with Django's version; this one is the gateway's (settings.VERSION).
        import django

        django.setup()
        ManagementUtility(sys.argv).fetch_command("version").run_from_argv(sys.argv)
        return
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
