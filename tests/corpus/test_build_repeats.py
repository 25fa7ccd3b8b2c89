"""Bars repeated within one file: one file alone still makes a corpus of distinct bars, and no file may repeat a
bar more than ``max_repeats_per_file`` times, so one file cannot take over the ``sampled`` reward's draws."""

import numpy as np
from test_corpus_cli import run_cli

from gym_launchpad.corpus import Corpus
from gym_launchpad.corpus.build import FileLimits, build_from_midi, from_midi
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi import write_midi

SPEC = LaunchpadSpec()
WHOLE_BAR = np.uint64(2**SPEC.steps - 1)


def chord(*rows) -> np.ndarray:
    """A bar holding the pitches of ``rows`` for the whole bar (kept by the default filters)."""
    bar = np.zeros(SPEC.n_notes, dtype=np.uint64)
    bar[list(rows)] = WHOLE_BAR
    return bar


def song_with_repeats(path, pattern: str):
    """A MIDI file whose bars follow ``pattern``, one letter a bar, a letter a chord (``"abab"``)."""
    chords = {letter: chord(i, i + 4, i + 7) for i, letter in enumerate(sorted(set(pattern)))}
    return write_midi(np.array([chords[letter] for letter in pattern]), path, SPEC)


def test_one_file_with_repeated_bars_builds_from_the_command_line_and_from_python(tmp_path, capsys):
    song = song_with_repeats(tmp_path / "song.mid", "abcabcaab")
    output = tmp_path / "one.npz"
    assert run_cli("build", song, "-o", output, "--workers", "1", "-q") == 0, capsys.readouterr().err
    assert Corpus.load(output).counts.tolist() == [4, 3, 2]
    assert from_midi(song, workers=1).counts.tolist() == [4, 3, 2]
    # All files but one fail: the one left is alone in the accumulator too.
    (tmp_path / "broken.mid").write_bytes(b"MThd")
    assert from_midi(tmp_path, workers=2).counts.tolist() == [4, 3, 2]


def test_one_file_may_repeat_a_bar_at_most_max_repeats_per_file_times(tmp_path, capsys):
    song = song_with_repeats(tmp_path / "loop.mid", "a" * 300 + "bb")
    output = tmp_path / "capped.npz"
    assert run_cli("build", song, "-o", output, "--workers", "1", "-q", "--max-repeats-per-file", "100") == 0
    assert "200 copies of a bar past --max-repeats-per-file 100 in one file dropped" in capsys.readouterr().out
    corpus = Corpus.load(output)
    assert corpus.counts.tolist() == [100, 2]
    assert corpus.metadata["bars_over_repeat_cap"] == 200 and corpus.metadata["bars_kept"] == 102
    assert run_cli("info", output) == 0
    printed = capsys.readouterr().out
    assert "repeats: 200 copies of a bar past 100 in one file dropped" in printed
    assert "most frequent bar: 100 times, 98.0% of the sampled reward's draws (" in printed
    # The default cap leaves real music alone; 0 lifts it.
    assert from_midi(song, workers=1).counts.tolist() == [128, 2]
    assert from_midi(song, workers=1, limits=FileLimits(max_repeats_per_file=0)).counts.tolist() == [300, 2]
    assert run_cli("build", song, "-o", output, "--workers", "1", "-q", "--max-repeats-per-file", "0") == 0
    assert run_cli("info", output) == 0
    assert "repeats: no cap on the copies of a bar in one file" in capsys.readouterr().out


def test_a_file_that_keeps_no_bar_is_parsed_not_failed(tmp_path):
    lone_note = np.zeros((3, SPEC.n_notes), dtype=np.uint64)
    lone_note[:, 5] = WHOLE_BAR  # one pitch: no bar passes the two-pitch filter
    write_midi(lone_note, tmp_path / "lone.mid", SPEC)
    song_with_repeats(tmp_path / "chords.mid", "ab")
    result = build_from_midi(tmp_path, workers=1)
    assert result.report["files_parsed"] == 2 and result.report["failures"] == []
    assert result.report["bars_4_4"] == 5 and result.corpus.counts.tolist() == [1, 1]
