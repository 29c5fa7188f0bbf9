#!/usr/bin/env python
"""Django's command-line entry point."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp_gateway.settings")
    from django.core.management import ManagementUtility, execute_from_command_line

    if sys.argv[1:2] == ["version"]:
        # Django answers `version` itself, with Django's version; this one is the gateway's (settings.VERSION).
        import django

        django.setup()
        ManagementUtility(sys.argv).fetch_command("version").run_from_argv(sys.argv)
        return
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
