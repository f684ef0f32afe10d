"""Embedded PostgreSQL for local runs and tests, through the `pgserver` package.

pgserver ships PostgreSQL binaries in its wheel, so a fresh machine needs no server
installed. The server listens on a Unix socket only (no TCP port to clash with) inside
its data folder. It is started detached by pg_ctl, so it outlives this process; the
shell scripts in ops/ call `stop` from their exit trap.

    python ops/pg.py start var/pg --database zhurnal   # prints a DATABASE_URL
    python ops/pg.py stop var/pg
    python ops/pg.py createdb "$DATABASE_URL"          # any server: create the database if missing

Run as root, pgserver runs PostgreSQL as a system user `pgserver` (it creates it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); pgserver then uses /tmp.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _system_user() -> str | None:
    return "pgserver" if os.geteuid() == 0 else None


def database_url(socket_dir: Path, database: str, user: str = "postgres") -> str:
    """A URL dj-database-url understands: the socket folder, percent-encoded, as the host."""
    return f"postgres://{user}@{quote(str(socket_dir), safe='')}/{database}"


def _maintenance_url(url: str) -> str:
    """The same server, database `postgres` (libpq understands a percent-encoded socket host)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def create_database(url: str) -> bool:
    """Create the database named in `url` if it does not exist. Returns True if created."""
    import psycopg
    from psycopg import sql

    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise SystemExit(f"no database name in {url!r}")
    with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def start(data_dir: Path, database: str) -> str:
    import pgserver

    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: this process only starts the server (or finds it running);
    # stopping is the caller's job (`stop`), so the server survives this short process.
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    if info.socket_dir is None:
        raise SystemExit("pgserver did not report a socket folder")
    url = database_url(info.socket_dir, database)
    if create_database(url):
        print(f"pg: created database {database}", file=sys.stderr)
    return url


def stop(data_dir: Path) -> bool:
    """Fast shutdown (disconnects clients) if a server runs on data_dir. Returns True if stopped."""
    from pgserver._commands import POSTGRES_BIN_PATH

    data_dir = data_dir.resolve()
    if not (data_dir / "postmaster.pid").exists():
        return False
    result = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir), "-w", "-m", "fast", "-t", "30", "stop"],
        user=_system_user(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:  # already stopped, stale pid file, ...
        print(f"pg: stop on {data_dir}: {result.stderr.strip() or result.stdout.strip()}", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start (or find running) and print a DATABASE_URL")
    p_start.add_argument("data_dir", type=Path)
    p_start.add_argument("--database", default="zhurnal")
    p_stop = sub.add_parser("stop", help="stop the server on DATA_DIR, if running")
    p_stop.add_argument("data_dir", type=Path)
    p_create = sub.add_parser("createdb", help="create the database named in URL if missing")
    p_create.add_argument("url")
    args = parser.parse_args(argv)

    if args.command == "start":
        print(start(args.data_dir, args.database))
    elif args.command == "stop":
        if stop(args.data_dir):
            print(f"pg: stopped the embedded PostgreSQL in {args.data_dir}", file=sys.stderr)
    elif args.command == "createdb":
        if create_database(args.url):
            print(f"pg: created database {unquote(urlsplit(args.url).path.lstrip('/'))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
