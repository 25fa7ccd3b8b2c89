"""Files written through gym_launchpad.atomic_file: whole or not at all, however many writers, errors or kills."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from gym_launchpad import atomic_file
from gym_launchpad.atomic_file import atomic_path, is_temporary, temporary_name, write_atomically
from gym_launchpad.corpus import Corpus
from gym_launchpad.corpus.build import find_midi_files
from gym_launchpad.launchpad import LaunchpadSpec

SPEC = LaunchpadSpec()


def random_corpus(seed: int, bars: int = 20_000) -> Corpus:
    return Corpus.from_bars(SPEC, np.random.default_rng(seed).integers(0, 2**63, size=(bars, SPEC.n_notes),
                                                                      dtype=np.uint64))


def leftovers(folder):
    return sorted(name for name in os.listdir(folder) if is_temporary(name))


def test_two_saves_of_one_path_at_once_leave_one_whole_corpus(tmp_path):
    corpora = [random_corpus(0), random_corpus(1)]
    path = tmp_path / "both.npz"

    def save(corpus, start, errors):
        start.wait()
        try:
            corpus.save(path)
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    for _ in range(3):
        start, errors = threading.Barrier(2), []
        threads = [threading.Thread(target=save, args=(corpus, start, errors)) for corpus in corpora]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert Corpus.load(path).hash in {corpus.hash for corpus in corpora}
        assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [ValueError("disk full"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_writer_that_raises_leaves_the_old_file_and_no_temporary_one(tmp_path, error):
    path = tmp_path / "kept.json"
    write_atomically(path, "old\n")
    with pytest.raises(type(error)), atomic_path(path) as tmp:
        tmp.write_text("half of the new")
        raise error
    assert path.read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_a_corpus_save_that_fails_midway_keeps_the_old_corpus(tmp_path, monkeypatch):
    path = random_corpus(0, bars=10).save(tmp_path / "c.npz")
    write_array = np.lib.format.write_array
    written = []

    def fail_on_the_third_array(*args, **kwargs):
        written.append(1)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        return write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", fail_on_the_third_array)
    with pytest.raises(OSError, match="No space left"):
        random_corpus(1, bars=10).save(path)
    assert Corpus.load(path).hash == random_corpus(0, bars=10).hash
    assert leftovers(tmp_path) == []


def test_the_temporary_name_keeps_the_suffix_so_writers_that_add_one_add_none(tmp_path):
    name = temporary_name(tmp_path / "songs.npz")
    assert name.startswith(".songs.npz.") and name.endswith(".tmp.npz") and is_temporary(name)
    with atomic_path(tmp_path / "arrays.npz") as tmp:
        np.savez(tmp, a=np.arange(3))
    assert np.load(tmp_path / "arrays.npz")["a"].tolist() == [0, 1, 2]
    assert os.listdir(tmp_path) == ["arrays.npz"]


def test_write_atomically_takes_bytes_text_or_a_function_that_writes_the_open_file(tmp_path):
    assert write_atomically(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert write_atomically(tmp_path / "t.txt", "n\u00f6te").read_text(encoding="utf-8") == "n\u00f6te"
    write_atomically(tmp_path / "a.npz", lambda file: np.savez(file, a=np.arange(2)))
    assert np.load(tmp_path / "a.npz")["a"].tolist() == [0, 1]
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "b.bin", "t.txt"]


def test_the_file_gets_the_permissions_any_new_file_gets(tmp_path):
    write_atomically(tmp_path / "plain.txt", "x")
    (tmp_path / "reference.txt").write_text("x")
    assert (tmp_path / "plain.txt").stat().st_mode == (tmp_path / "reference.txt").stat().st_mode


@pytest.mark.skipif(os.name == "nt", reason="a dead writer's files are kept on Windows")
def test_files_of_a_killed_writer_are_removed_by_the_next_write_and_a_live_writers_are_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    old = atomic_file.time.time() - atomic_file.STALE_SECONDS - 60
    killed = tmp_path / f".c.npz.{dead_pid}-0123abcd.tmp.npz"
    fresh = tmp_path / f".c.npz.{dead_pid}-4567abcd.tmp.npz"  # a writer in another PID namespace, still writing
    live = tmp_path / f".c.npz.{os.getppid()}-89abcdef.tmp.npz"
    other = tmp_path / f".d.npz.{dead_pid}-0123abcd.tmp.npz"
    for path in (killed, fresh, live, other):
        path.write_bytes(b"PK half a zip")
    for path in (killed, live, other):
        os.utime(path, (old, old))
    write_atomically(tmp_path / "c.npz", b"new")
    assert leftovers(tmp_path) == sorted(path.name for path in (fresh, live, other))


def test_the_corpus_build_walk_skips_temporary_midi_files(tmp_path):
    (tmp_path / "song.mid").write_bytes(b"MThd")
    (tmp_path / temporary_name(tmp_path / "song.mid")).write_bytes(b"MThd half")
    skipped = {}
    assert [name for _, name in find_midi_files(tmp_path, skipped)] == ["song.mid"]
    assert skipped == {"temporary file of an unfinished write": 1}
