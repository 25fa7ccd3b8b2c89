"""Hostile inputs and faults of ``launchpad corpus build``, each made here: tiny files that would take the
memory or stuff the corpus, folders a thousand deep, entries named .mid that are not files, an output that
cannot be written, and the build killed (its workers must die with it)."""

import json
import os
import signal
import sys
import time
from pathlib import Path

import mido
import pytest
from midi_song import SONG_BARS
from test_corpus_cli import run_cli, start_long_build

from gym_launchpad.corpus.build import FileLimits, build_from_midi


def _held_notes(path, notes: int, bars: int, ticks_per_beat: int = 1):
    """``notes`` notes struck together and held for ``bars`` bars of 4/4 at ``ticks_per_beat``: a few bytes
    that cover a long bar grid with every note in every bar."""
    track = mido.MidiTrack()
    for i in range(notes):
        track.append(mido.Message("note_on", note=36 + i % 48, velocity=64, time=0))
    length = bars * 4 * ticks_per_beat
    for i in range(notes):
        track.append(mido.Message("note_off", note=36 + i % 48, velocity=0, time=length if i == 0 else 0))
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    midi.save(path)
    return path


def test_a_tiny_file_over_a_huge_bar_grid_fails_as_too_many_bars(tmp_path, fixtures):
    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "song.mid").write_bytes(fixtures["song"].read_bytes())
    # The shape of the 4.8 KB file that drove a worker to 6 GB, and of the one that added 99,997 copies
    # of one bar: notes held over tens of thousands of bars.
    _held_notes(folder / "held.mid", notes=600, bars=50_000)
    _held_notes(folder / "copies.mid", notes=4, bars=50_000)
    assert (folder / "held.mid").stat().st_size < 5000
    result = build_from_midi(folder, workers=2)
    assert result.report["failures_by_reason"] == {"too many bars": 2}
    assert result.corpus.total_count == len(SONG_BARS)  # the song alone: no copies of the held bar
    assert all("more than 4000" in detail for _, _, detail in result.report["failures"])
    many = build_from_midi(folder / "copies.mid", limits=FileLimits(max_notes=3))
    assert many.report["failures_by_reason"] == {"too many notes": 1}


def test_a_file_that_needs_more_memory_than_a_worker_may_take_fails_that_file(tmp_path):
    # 2,000 notes each held across 3,999 bars: eight million note-bar pairs, some GB to quantize.
    path = _held_notes(tmp_path / "heavy.mid", notes=2000, bars=3999)
    result = build_from_midi(path, workers=1, limits=FileLimits(max_memory_mb=150))
    assert result.report["failures_by_reason"] == {"out of memory": 1}
    assert "150 MB" in result.report["failures"][0][2]


def test_a_thousand_folders_deep_and_entries_that_are_not_files_are_walked_and_counted(tmp_path, fixtures):
    root = deep = tmp_path / "walk"
    root.mkdir()
    for _ in range(1100):  # deeper than Python's recursion limit
        deep = deep / "d"
        deep.mkdir()
    (deep / "bottom.mid").write_bytes(fixtures["song"].read_bytes())
    (root / "folder.mid").mkdir()
    (root / "broken.mid").symlink_to(root / "nowhere.mid")
    os.mkfifo(root / "pipe.mid")
    (root / "loop").symlink_to(root, target_is_directory=True)
    try:
        result = build_from_midi(root, workers=1)
    finally:  # pytest's cleanup of tmp_path recurses, so the deep folders go here, from the bottom up
        (deep / "bottom.mid").unlink()
        while deep != root:
            deep.rmdir()
            deep = deep.parent
    report = result.report
    assert report["files"] == report["files_parsed"] == 1 and result.corpus.total_count == len(SONG_BARS)
    assert report["skipped_by_reason"] == {"broken link": 1, "folder named like a MIDI file": 1,
                                           "linked folder (not followed)": 1, "not a regular file": 1}


@pytest.mark.parametrize("output", ["a_file/out.npz", "a_folder.npz"])
def test_an_output_that_cannot_be_written_is_refused_before_any_file_is_read(tmp_path, fixtures, capsys, output):
    (tmp_path / "a_file").write_text("a file, not a folder")
    (tmp_path / "a_folder.npz").mkdir()
    assert run_cli("build", fixtures["song"], "-o", tmp_path / output, "-q") == 2
    captured = capsys.readouterr()
    assert f"cannot write -o {tmp_path / output}" in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


def _children(pid):
    """The process ids of ``pid``'s children (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_die_with_the_build(tmp_path, fixtures, sig):
    output = tmp_path / "out.npz"
    process = start_long_build(tmp_path / "many", fixtures["song"], 2000, output, "-q")
    deadline = time.monotonic() + 60
    workers = []
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers = _children(process.pid)
        time.sleep(0.1)
    assert len(workers) == 2
    time.sleep(1.0)  # the workers are reading
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers))
    if sig == signal.SIGTERM:  # like Ctrl-C: a valid corpus of the files read so far
        assert process.returncode == 130, err
        report = json.loads(output.with_name("out.report.json").read_text())
        assert report["interrupted"] and 0 < report["files_read"] < 2000
        assert "interrupted" in err
