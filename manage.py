#!/usr/bin/env python
"""Django's command-line utility for Zhurnal."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# platform/ is a source root (never a package named "platform", which would shadow
# the standard library); its sub-folders are Django apps imported by their own names.
for source_root in ("platform", "schools"):
    sys.path.insert(1, str(ROOT / source_root))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
