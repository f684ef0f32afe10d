"""What a web process does once, after Django is set up and before its first request.

`settle()` resolves the URLconf now (importing every view, serializer and form module, which the
first request would otherwise pay for) and then moves everything start-up created into the
collector's permanent generation (`gc.freeze`). Django's own objects — models, fields, URL
patterns, serializers — number in the hundreds of thousands and live as long as the process;
without the freeze every full collection walks them all again. A response with many objects (the
journal grid's JSON: 35 students × 100 lessons) triggered such a pass every few requests and
cost those requests 80–100 ms (p95 of the grid API 125 ms against a p50 of 42 ms; 60 ms with
the freeze; ops/bench/bench_journal.py). Called by config.wsgi (gunicorn's workers import it) and
by the benchmarks' in-process WSGI client, so that they measure what the server runs."""

from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    global _settled
    if _settled:
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the views)
    gc.collect()
    gc.freeze()
    _settled = True
