import os
import sys
from pathlib import Path

_root = Path(__file__).resolve().parents[2]
for _source_root in ("platform", "schools"):
    sys.path.insert(1, str(_root / _source_root))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from config.startup import settle  # noqa: E402

settle()
