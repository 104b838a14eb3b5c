"""A throw-away PostgreSQL server for the tests: initdb in a temporary directory, listening
only on a Unix socket there (no TCP port, nothing leaves the machine), stopped afterwards.

Uses the machine's PostgreSQL binaries (Debian's postgresql package). Where they are missing
the PostgreSQL tests skip — except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    for candidate in ("initdb", "/usr/lib/postgresql/15/bin/initdb"):
        found = shutil.which(candidate)
        if found:
            return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _as_server_user(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    bindir = _binaries()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        bindir = None
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries or psycopg missing in CI")
        pytest.skip("PostgreSQL is not installed here")
    root = Path(tempfile.mkdtemp(prefix="duban-pg-"))
    data, sock = root / "data", root / "sock"
    data.mkdir()
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for sub in (data, sock):
            shutil.chown(sub, "postgres")

    def run(*cmd: str) -> None:
        subprocess.run(
            _as_server_user([str(bindir / cmd[0]), *cmd[1:]]),
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )

    try:
        run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C")
        run(
            "pg_ctl",
            "-D",
            str(data),
            "-w",
            "-t",
            "30",
            "-l",
            str(root / "log"),
            "-o",
            f"-k {sock} -c listen_addresses='' -c fsync=off",
            "start",
        )
        try:
            run("createdb", "-h", str(sock), "-U", "postgres", "duban")
            yield f"postgresql+psycopg://postgres@/duban?host={sock}"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
