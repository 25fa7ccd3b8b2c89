"""Write a file so that a reader sees the old file or the whole new one, never half of one.

Every writer of a file that someone may read, resume from or overwrite at once (corpus ``.npz`` files, build
reports, MIDI and WAV songs, and the files agents write) goes through :func:`atomic_path`, or
:func:`write_atomically` for bytes, text or a function that writes an open file::

    with atomic_path("out/corpus.npz") as tmp:
        np.savez(tmp, bars=bars)          # any writer that takes a path
    write_atomically("out/report.json", json.dumps(report))
    write_atomically("out/model.zip", lambda file: model.save(file))

The file is written under a temporary name of its own in the target's folder (so the final rename never
crosses file systems), flushed to disk, and renamed over the target with ``os.replace``, which is atomic.
Two writers of one path at once each write their own temporary file, and the target ends up whole and
equal to one of them (the last to finish). Any exception, Ctrl-C included, removes the temporary file and
leaves the old target untouched.

Temporary names are ``.NAME.PID-RANDOM.tmp.SUFFIX``: hidden, ending in ``.tmp`` plus the target's own suffix
(so ``np.savez`` appends no ``.npz`` and matplotlib or a WAV writer still see the format they expect), and
matched by :func:`is_temporary`, which the corpus builder's walk uses to skip them. A process killed mid-write
(``kill -9``, a power cut) leaves one behind; the next successful write of the same target removes those of
writers that are no longer running.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

#: A temporary file whose writer has died is removed only once it has not changed for this many seconds, so a
#: writer in another PID namespace (a container sharing the folder), whose PID means nothing here, keeps its file.
STALE_SECONDS = 600

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.tmp(?P<suffix>\.[^./]*)?$")


def temporary_name(path) -> str:
    """A fresh temporary name for ``path`` (a name in its folder), unique to this process and call."""
    path = Path(path)
    return f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp{path.suffix}"


def is_temporary(name) -> bool:
    """Whether the file name ``name`` is one of :func:`atomic_path`'s temporary files."""
    return _TEMPORARY.match(Path(name).name) is not None


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block ends without an error, the file written there
    replaces ``path`` at once (created with the usual permissions, flushed to disk first).

    The block must write the temporary path (any writer that takes a path or opens it) and close what it
    opened. On any exception, ``KeyboardInterrupt`` included, the temporary file is removed, ``path`` keeps
    its old content (or stays absent) and the exception propagates. Missing parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temporary(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    _remove_stale(path)


def write_atomically(path, content: bytes | str | Callable[[BinaryIO], object]) -> Path:
    """Write ``content`` to ``path`` through :func:`atomic_path` and return ``path``: bytes, text (as UTF-8), or
    a function that writes the file it is given, open for binary writing (``lambda file: np.savez(file, **a)``)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        if callable(content):
            content(file)
        else:
            file.write(content.encode() if isinstance(content, str) else content)
    return path


def _create_temporary(path: Path) -> Path:
    # os.open applies the umask to 0o666, as open() does; tempfile.mkstemp would leave the file readable by
    # its owner alone once it becomes the target.
    while True:
        tmp = path.with_name(temporary_name(path))
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


def _fsync(tmp: Path) -> None:
    fd = os.open(tmp, os.O_RDWR)  # Windows flushes only a handle opened for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the OS can open a folder (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale(path: Path) -> None:
    """Remove ``path``'s temporary files left by writers that died (a live writer's file is kept)."""
    remove_abandoned(path.parent, path.name)


def remove_abandoned(folder, name: str | None = None) -> None:
    """Remove the temporary files in ``folder`` (of the target ``name`` only, when given) whose writers died
    over :data:`STALE_SECONDS` ago: what a ``kill -9`` mid-write left behind. A live writer's file is kept."""
    prefix = "." if name is None else f".{name}."
    try:
        candidates = [entry for entry in os.scandir(folder) if entry.name.startswith(prefix)]
    except OSError:
        return
    for entry in candidates:
        match = _TEMPORARY.match(entry.name)
        if match is None or name not in (None, match["name"]) or _running(int(match["pid"])):
            continue
        try:
            if time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to remove: it costs disk space, never a write


def _running(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # alive but another user's, or a PID this OS cannot ask about: keep its file
    return True
