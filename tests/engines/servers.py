"""Real engines for the parity suite: a PostgreSQL 15 server and a local Spark session.

PostgreSQL comes from the Debian packages (`apt-get install postgresql`); `initdb` and
`postgres` refuse to run as root, so under root the server runs as `nobody` in a data
directory it owns. Nothing here is skipped: a missing server or Java is a failure that says
what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OWNER = "segq_owner"  # creates and loads the demo tables
READER = "segq_reader"  # what segq connects as: LOGIN and SELECT on the demo tables only
DATABASE = "segq"


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, ("PostgreSQL server binaries are missing: apt-get install -y postgresql "
                   "(the engine parity suite needs a real server)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "nobody", "--", *args]


@contextmanager
def postgres_server() -> Iterator[tuple[str, str]]:
    """(owner URL, reader URL) of a fresh server, stopped and removed afterwards.

    Its directory is made under the system temp dir, not pytest's (which only root may
    enter), so that `nobody` can own it.
    """
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="segq-postgres-"))
    try:
        with _server(bindir, root) as urls:
            yield urls
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _server(bindir: Path, root: Path) -> Iterator[tuple[str, str]]:
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        shutil.chown(sockets, "nobody")

    def run(*args: object) -> None:
        done = subprocess.run(_as_server_user([str(a) for a in args]), capture_output=True,
                              text=True, cwd=root)
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}{done.stderr}"

    run(bindir / "initdb", "-D", data, "-U", OWNER, "--auth=trust", "-E", "UTF8",
        "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C")
    port = _free_port()
    run(bindir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-o",
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off", "start")
    try:
        owner = f"postgresql://{OWNER}@127.0.0.1:{port}/{DATABASE}"
        _bootstrap(f"postgresql://{OWNER}@127.0.0.1:{port}/postgres")
        yield owner, f"postgresql://{READER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")


def _has_c_utf8() -> bool:
    return bool(glob.glob("/usr/lib/locale/C.utf8") or glob.glob("/usr/lib/locale/C.UTF-8"))


def _bootstrap(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {DATABASE}")
        con.execute(f"CREATE ROLE {READER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    with psycopg.connect(admin_url.rsplit("/", 1)[0] + f"/{DATABASE}", autocommit=True) as con:
        con.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        con.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")


def java_present() -> None:
    assert shutil.which("java"), ("Java is missing: apt-get install -y openjdk-17-jre-headless "
                                  "(Spark runs on the JVM)")
