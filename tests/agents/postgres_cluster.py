"""A throwaway PostgreSQL server in a folder: Debian's (or any) initdb and pg_ctl, never a system service.

The tuning test shares an Optuna study between rl_zoo3 workers through it; ``.ci/run`` starts one before the
tests and exports its URL as ``GYM_LAUNCHPAD_TEST_POSTGRES``. Standard library only, since ``.ci/run`` runs it
with the system Python before any virtual environment exists::

    python3 tests/agents/postgres_cluster.py start DIR   # prints postgresql://postgres@127.0.0.1:PORT/postgres
    python3 tests/agents/postgres_cluster.py stop DIR

PostgreSQL refuses to run as root, so as root the server runs as ``nobody``, which then owns ``DIR``. It
listens on 127.0.0.1 only, trusts local connections (a test server: no password) and skips fsync.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

#: The unprivileged user the server runs as when this runs as root.
SERVER_USER = "nobody"

#: The environment variable naming a running server's URL, for the tests.
URL_VARIABLE = "GYM_LAUNCHPAD_TEST_POSTGRES"


def find_program(name: str) -> str | None:
    """``name`` (initdb, pg_ctl) on PATH, else in Debian's ``/usr/lib/postgresql/VERSION/bin``, newest first."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.strip() or done.stdout.strip()}")


def start(folder) -> str:
    """Create a cluster in ``folder`` (an empty or missing folder), start it, and return its URL."""
    initdb, pg_ctl = find_program("initdb"), find_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed: apt-get install postgresql")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER)
    data, port = folder / "data", _free_port()
    _run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start"])
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def stop(folder) -> None:
    """Stop the server of ``folder`` (fast shutdown: open sessions are ended)."""
    _run([find_program("pg_ctl") or "pg_ctl", "-D", str(Path(folder).resolve() / "data"), "-m", "fast", "-w",
          "stop"])


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(f"usage: {Path(__file__).name} start|stop DIR", file=sys.stderr)
        return 2
    try:
        if argv[0] == "start":
            print(start(argv[1]))
        else:
            stop(argv[1])
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
