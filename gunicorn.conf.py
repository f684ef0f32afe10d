"""Gunicorn settings read by every way the platform runs (ops/run.sh, the image, the Helm chart and
the load tests all start gunicorn in this folder, where it looks for this file; their command-line
flags come on top).

keepalive: gunicorn's default keeps an idle connection for 2 s. A client that waits about that long
between two requests (a parent reading the diary, a load test's 2–5 s think time, a proxy's pool)
may send its next request on a connection the server is closing at that very moment, and gets a
reset instead of an answer. Keeping idle connections longer than clients and proxies do (nginx and
most load balancers drop theirs after 60 s) leaves the closing to them. The gthread worker parks
idle connections in its poller, so they hold no thread."""

keepalive = 75
