"""The `zhengwu` console script: Django management with the project's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengwu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhengwu", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
