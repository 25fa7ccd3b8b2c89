"""Building corpora from MIDI files: exact bars from a synthetic file with known content, both parsers,
broken files counted by reason, and workers that cannot hang."""

import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from midi_song import PARSERS, SONG_BARS, SPEC, bar_words

from gym_launchpad.corpus import build
from gym_launchpad.corpus.build import build_from_midi, from_midi, read_midi_bars
from gym_launchpad.corpus.quantize import BarOptions
from gym_launchpad.midi.read import MidiReadError, resolve_parser


def test_the_song_fixture_has_what_the_tests_claim(fixtures):
    midi = mido.MidiFile(fixtures["song"])
    messages = [m for track in midi.tracks for m in track]
    assert sum(m.type == "set_tempo" for m in messages) == 3
    assert [(m.numerator, m.denominator) for m in messages if m.type == "time_signature"] == [(4, 4), (3, 4), (4, 4)]
    assert any(m.type == "note_on" and m.channel == 9 for m in messages)
    with pytest.raises(mido.KeySignatureError):
        mido.MidiFile(fixtures["bad_key"])


# --- one file -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("parser", PARSERS)
def test_song_gives_exactly_the_expected_bars(fixtures, parser):
    bars = read_midi_bars(fixtures["song"], SPEC, parser=parser, min_cells=20, min_pitches=2)
    assert bars.bar_number.tolist() == sorted(SONG_BARS)
    for words, number in zip(bars.words, bars.bar_number, strict=True):
        np.testing.assert_array_equal(words, SONG_BARS[number], err_msg=f"bar {number}")
    assert bars.stats == {"bars": 8, "bars_4_4": 6, "bars_other_meter": 2, "bars_kept": 4}


@pytest.mark.parametrize("parser", PARSERS)
def test_unfiltered_read_returns_every_4_4_bar_and_drop_leaves_out_of_range_pitches_out(fixtures, parser):
    folded = read_midi_bars(fixtures["song"], SPEC, parser=parser)
    dropped = read_midi_bars(fixtures["song"], SPEC, parser=parser, fold=False)
    assert folded.bar_number.tolist() == dropped.bar_number.tolist() == [0, 1, 2, 5, 6, 7]
    np.testing.assert_array_equal(dropped.words[3], bar_words({47: [(0, 64)]}))
    np.testing.assert_array_equal(folded.words[4], bar_words({55: [(0, 64)]}))
    np.testing.assert_array_equal(folded.words[5], bar_words({57: [(0, 1)], 59: [(1, 2)]}))
    # Dropping the bass's A2 leaves the triad alone in bar 0.
    np.testing.assert_array_equal(dropped.words[0], bar_words({60: [(0, 64)], 64: [(0, 64)], 67: [(0, 64)]}))


@pytest.mark.parametrize("parser", PARSERS)
def test_onset_filter_counts_note_starts_instead_of_cells(fixtures, parser):
    # Onsets: bar 0 has 4, bar 1 has 2, bar 2 has 3 (D4 began in bar 1; the F4s start at steps 0 and 8),
    # bar 5 has 3, bar 6 has 1 and bar 7 has 2.
    bars = read_midi_bars(fixtures["song"], SPEC, parser=parser, min_onsets=3)
    assert bars.bar_number.tolist() == [0, 2, 5]


@pytest.mark.parametrize("parser", PARSERS)
def test_per_track_bars_keep_instruments_apart(fixtures, parser):
    bars = read_midi_bars(fixtures["song"], SPEC, parser=parser, per_track=True, min_cells=20, min_pitches=1)
    first_bars = {words.tobytes() for words, number in zip(bars.words, bars.bar_number, strict=True) if number == 0}
    assert first_bars == {bar_words({60: [(0, 64)], 64: [(0, 64)], 67: [(0, 64)]}).tobytes(),
                          bar_words({57: [(0, 64)]}).tobytes()}


def test_both_parsers_agree_on_every_fixture(fixtures):
    if resolve_parser("auto") != "symusic":
        pytest.skip("symusic is not installed")
    for name, path in fixtures.items():
        outcomes = []
        for parser in ("symusic", "pretty_midi"):
            try:
                bars = read_midi_bars(path, SPEC, parser=parser)
                outcomes.append(("ok", bars.words.tobytes(), bars.bar_number.tolist(), bars.stats))
            except MidiReadError as error:
                outcomes.append(("failed", error.reason))
        assert outcomes[0] == outcomes[1], name


@pytest.mark.parametrize("parser", PARSERS)
def test_broken_files_fail_with_their_reason(fixtures, parser):
    expected = {"empty": "empty file", "truncated": "truncated", "text": "not a MIDI file"}
    for name, reason in expected.items():
        with pytest.raises(MidiReadError) as raised:
            read_midi_bars(fixtures[name], SPEC, parser=parser)
        assert raised.value.reason == reason, name


@pytest.mark.parametrize("parser", PARSERS)
def test_an_invalid_key_signature_does_not_lose_the_bars(fixtures, parser):
    good = read_midi_bars(fixtures["song"], SPEC, parser=parser)
    bad_key = read_midi_bars(fixtures["bad_key"], SPEC, parser=parser)
    np.testing.assert_array_equal(good.words, bad_key.words)


# --- building from a folder -----------------------------------------------------------------------------
@pytest.mark.parametrize("parser", PARSERS)
def test_a_folder_of_mostly_broken_files_keeps_every_good_bar(mostly_broken, parser):
    result = build_from_midi(mostly_broken, SPEC, parser=parser, workers=2)
    report, corpus = result.report, result.corpus
    assert report["files"] == report["files_read"] == 14
    assert report["files_parsed"] == 2
    assert report["failures_by_reason"] == {"empty file": 4, "not a MIDI file": 4, "truncated": 4}
    assert sorted(f[0] for f in report["failures"])[:2] == ["deep/empty1.mid", "deep/empty3.mid"]
    assert report["bars_kept"] == 2 * len(SONG_BARS)
    assert corpus.sources.tolist() == ["a_song.mid"]  # every bar first occurs in the first file
    np.testing.assert_array_equal(corpus.bars, [SONG_BARS[k] for k in sorted(SONG_BARS)])
    assert corpus.counts.tolist() == [2] * len(SONG_BARS)
    assert corpus.bar_number.tolist() == sorted(SONG_BARS)
    assert corpus.metadata["parser"] == parser
    assert corpus.metadata["failures_by_reason"] == report["failures_by_reason"]


def test_the_build_does_not_depend_on_workers_or_parser(mostly_broken):
    results = [build_from_midi(mostly_broken, SPEC, parser=parser, workers=workers)
               for parser in ("pretty_midi", resolve_parser("auto")) for workers in (1, 2)]
    assert len({r.corpus.hash for r in results}) == 1


def test_sample_and_limit_take_a_reproducible_subset(tmp_path, fixtures):
    data = fixtures["song"].read_bytes()
    for i in range(20):
        (tmp_path / f"{i:02d}.mid").write_bytes(data)
    first = build_from_midi(tmp_path, SPEC, sample=0.5, seed=3, workers=1).corpus
    again = build_from_midi(tmp_path, SPEC, sample=0.5, seed=3, workers=1).corpus
    other = build_from_midi(tmp_path, SPEC, sample=0.5, seed=4, workers=1).corpus
    assert first.metadata["files"] == 10
    assert first.sources.tolist() == again.sources.tolist() != other.sources.tolist()
    limited = build_from_midi(tmp_path, SPEC, limit=3, workers=1).corpus
    assert limited.metadata["files"] == 3 and limited.counts.tolist() == [3] * len(SONG_BARS)


def test_from_midi_is_the_same_build(mostly_broken):
    corpus = from_midi(mostly_broken, workers=1)
    assert corpus.hash == build_from_midi(mostly_broken, SPEC, workers=1).corpus.hash


# --- the worker guard: a file that hangs or kills its worker is counted, and the build goes on ------------
def _misbehaving_reader(original):
    def read(path, *args):
        if Path(path).name.startswith("hang"):
            time.sleep(3600)
        if Path(path).name.startswith("crash"):
            os._exit(3)
        return original(path, *args)
    return read


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched reader reaches workers by fork")
def test_a_hanging_or_crashing_file_is_counted_and_the_build_goes_on(tmp_path, fixtures, monkeypatch):
    monkeypatch.setattr(build, "_read_for_build", _misbehaving_reader(build._read_for_build))
    data = fixtures["song"].read_bytes()
    for name in ("a.mid", "crash.mid", "hang.mid", "z.mid"):
        (tmp_path / name).write_bytes(data)
    started = time.monotonic()
    result = build_from_midi(tmp_path, SPEC, workers=2, timeout=1.0)
    assert time.monotonic() - started < 30
    assert result.report["failures_by_reason"] == {"timeout": 1, "worker crashed": 1}
    assert result.report["files_parsed"] == 2
    assert result.corpus.counts.tolist() == [2] * len(SONG_BARS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_bytes_are_read_or_fail_with_a_reason(fixtures, data):
    song = fixtures["song"].read_bytes()
    blob = data.draw(st.one_of(
        st.binary(max_size=400),
        st.lists(st.tuples(st.integers(0, len(song) - 1), st.integers(0, 255)), min_size=1, max_size=12).map(
            lambda edits: _mutate(song, edits)),
        st.integers(0, len(song)).map(lambda n: song[:n]),
    ))
    parser = data.draw(st.sampled_from(["pretty_midi", resolve_parser("auto")]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.mid"
        path.write_bytes(blob)
        outcome = build._read_for_build(path, SPEC, BarOptions(), parser, build.FileLimits())
    assert outcome[0] in ("ok", "failed")
    if outcome[0] == "failed":
        assert outcome[1] != "error", outcome  # every failure has a named reason


def _mutate(data, edits):
    data = bytearray(data)
    for position, value in edits:
        data[position] = value
    return bytes(data)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blobs=st.lists(st.binary(max_size=300), min_size=1, max_size=6), edits=st.lists(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=10), max_size=6))
def test_a_build_over_random_and_mutated_files_accounts_for_every_file(fixtures, blobs, edits):
    song = fixtures["song"].read_bytes()
    files = blobs + [_mutate(song, [(p % len(song), v) for p, v in e]) for e in edits]
    with tempfile.TemporaryDirectory() as folder:
        for i, blob in enumerate(files):
            Path(folder, f"{i:03d}.mid").write_bytes(blob)
        result = build_from_midi(folder, SPEC, workers=2, timeout=20)
    report = result.report
    assert report["files"] == report["files_read"] == len(files)
    assert report["files_parsed"] + report["files_failed"] == len(files)
    assert sum(report["failures_by_reason"].values()) == report["files_failed"]
    assert "timeout" not in report["failures_by_reason"]


