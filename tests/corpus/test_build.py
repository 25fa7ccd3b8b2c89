"""Building corpora from MIDI files: exact bars from synthetic files with known content, both parsers,
broken files counted by reason, workers that cannot hang, and the ``launchpad corpus`` commands."""

import argparse
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gym_launchpad import corpus_build
from gym_launchpad.corpus import Corpus
from gym_launchpad.corpus_build import (
    BarOptions,
    MidiReadError,
    bar_grid,
    build_from_midi,
    fold_pitches,
    quantize_bars,
    read_midi_bars,
)
from gym_launchpad.launchpad import LaunchpadSpec

SPEC = LaunchpadSpec()
PARSERS = ["pretty_midi", pytest.param("symusic", marks=pytest.mark.skipif(
    corpus_build.resolve_parser("auto") != "symusic", reason="symusic is not installed"))]
TPQ = 480
BAR = 4 * TPQ
STEP = BAR // 64
# Bars 0-2 in 4/4, bars 3-4 in 3/4, bars 5-7 in 4/4 again.
BAR_START = [0, BAR, 2 * BAR, 3 * BAR, 3 * BAR + 3 * TPQ, 3 * BAR + 6 * TPQ, 4 * BAR + 6 * TPQ, 5 * BAR + 6 * TPQ]


def at(bar, step, extra=0):
    return BAR_START[bar] + step * STEP + extra


def bar_words(cells):
    """Words of a bar given {MIDI pitch: [(first step, last step + 1), ...]}."""
    words = np.zeros(SPEC.n_notes, dtype=np.uint64)
    for pitch, spans in cells.items():
        for lo, hi in spans:
            for step in range(lo, hi):
                words[pitch - SPEC.low_note] |= np.uint64(1) << np.uint64(step)
    return words


#: The kept bars of song.mid (defaults: fold, >= 20 cells, >= 2 pitches), by bar number.
SONG_BARS = {
    # C major triad held for the bar, and the bass's A2 (45) folded up an octave to 57.
    0: bar_words({57: [(0, 64)], 60: [(0, 64)], 64: [(0, 64)], 67: [(0, 64)]}),
    # E4 for a beat; D4 from beat 4 across the bar line.
    1: bar_words({64: [(0, 16)], 62: [(48, 64)]}),
    # D4's tail; two overlapping F4 notes (on, on, off, off: the first note-off ends both); an A4 whose
    # ends sit 14 and 15 ticks past a step (rounded down and, at exactly half a step, up).
    2: bar_words({62: [(0, 16)], 65: [(0, 16)], 69: [(40, 49)]}),
    # Bars 3-4 are 3/4 and skipped. Bar 5: B2 (47) in range; C2 (36) folds up to 48, C7 (96) down to 60.
    5: bar_words({47: [(0, 64)], 48: [(0, 32)], 60: [(32, 64)]}),
    # Bar 6 (one pitch) and bar 7 (two cells) fail the filters.
}


def write_song(path):
    """A two-instrument song with a drum track, tempo changes, and a 3/4 section, written by pretty_midi."""
    song = pretty_midi.PrettyMIDI(resolution=TPQ, initial_tempo=120.0)
    # pretty_midi has no public call for tempo changes: set its tempo map before any time is computed.
    song._tick_scales = [(0, 60.0 / (120.0 * TPQ)), (at(0, 32), 60.0 / (90.0 * TPQ)),
                         (at(3, 8), 60.0 / (150.0 * TPQ))]
    song.time_signature_changes = [pretty_midi.TimeSignature(4, 4, 0.0),
                                   pretty_midi.TimeSignature(3, 4, song.tick_to_time(at(3, 0))),
                                   pretty_midi.TimeSignature(4, 4, song.tick_to_time(at(5, 0)))]
    song.key_signature_changes = [pretty_midi.KeySignature(0, 0.0)]
    piano, bass = pretty_midi.Instrument(program=0), pretty_midi.Instrument(program=33)
    drums = pretty_midi.Instrument(program=0, is_drum=True)

    def note(instrument, pitch, start, end):
        instrument.notes.append(pretty_midi.Note(90, pitch, song.tick_to_time(start), song.tick_to_time(end)))

    for pitch in (60, 64, 67):
        note(piano, pitch, at(0, 0), at(1, 0))
    note(bass, 45, at(0, 0), at(1, 0))
    note(piano, 64, at(1, 0), at(1, 16))
    note(piano, 62, at(1, 48), at(2, 16))
    note(piano, 65, at(2, 0), at(2, 32))
    note(piano, 65, at(2, 8), at(2, 16))
    note(piano, 69, at(2, 40, 14), at(2, 48, 15))
    note(piano, 60, at(3, 0), at(4, 0))
    note(piano, 62, at(4, 0), at(5, 0))
    note(piano, 47, at(5, 0), at(6, 0))
    note(piano, 36, at(5, 0), at(5, 32))
    note(piano, 96, at(5, 32), at(6, 0))
    note(piano, 55, at(6, 0), at(7, 0))
    note(piano, 57, at(7, 0), at(7, 1))
    note(piano, 59, at(7, 1), at(7, 2))
    for bar in (0, 1, 2):
        for beat in range(4):
            note(drums, 50 + 2 * (beat % 2), at(bar, 16 * beat), at(bar, 16 * beat + 8))
    song.instruments = [piano, bass, drums]
    song.write(str(path))
    return path


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """The song and its broken relatives, keyed by name."""
    folder = tmp_path_factory.mktemp("midi")
    song = write_song(folder / "song.mid")
    data = song.read_bytes()
    at_key = data.find(b"\xff\x59\x02")
    files = {"song": song}
    files["empty"] = folder / "empty.mid"
    files["empty"].write_bytes(b"")
    files["truncated"] = folder / "truncated.mid"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["text"] = folder / "text.mid"
    files["text"].write_text("this is a text file that someone named .mid\n")
    files["bad_key"] = folder / "bad_key.mid"
    files["bad_key"].write_bytes(data[: at_key + 3] + bytes([0x20, 0x05]) + data[at_key + 5:])
    return files


def test_the_song_fixture_has_what_the_tests_claim(fixtures):
    midi = mido.MidiFile(fixtures["song"])
    messages = [m for track in midi.tracks for m in track]
    assert sum(m.type == "set_tempo" for m in messages) == 3
    assert [(m.numerator, m.denominator) for m in messages if m.type == "time_signature"] == [(4, 4), (3, 4), (4, 4)]
    assert any(m.type == "note_on" and m.channel == 9 for m in messages)
    with pytest.raises(mido.KeySignatureError):
        mido.MidiFile(fixtures["bad_key"])


# --- the quantizer ------------------------------------------------------------------------------------
def test_fold_moves_pitches_by_octaves_into_the_range_or_drops_them():
    pitches = [20, 35, 46, 47, 70, 71, 83, 127]
    assert fold_pitches(pitches, SPEC, fold=True).tolist() == [
        p - 47 for p in (56, 47, 58, 47, 70, 59, 59, 67)]
    assert fold_pitches(pitches, SPEC, fold=False).tolist() == [-1, -1, -1, 0, 23, -1, -1, -1]
    narrow = LaunchpadSpec(n_notes=5, bar_bits=6, low_note=60)  # C..E: an F cannot fold in
    assert fold_pitches([48, 53, 76], narrow).tolist() == [0, -1, 4]


def test_a_note_fills_every_step_it_sounds_and_splits_at_bar_lines():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)  # 4 steps a bar, 120 ticks a step here
    words, onsets = quantize_bars(spec, starts=[240], ends=[600], pitches=[60],
                                  bar_starts=[0, 480], bar_ticks=[480, 480])
    assert words[:, 0].tolist() == [0b1100, 0b0001]
    assert onsets[:, 0].tolist() == [0b0100, 0]


def test_rounding_is_half_up_and_a_note_lasts_at_least_one_step():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)
    words, _ = quantize_bars(spec, starts=[59, 60, 300], ends=[61, 61, 301], pitches=[60, 60, 60],
                             bar_starts=[0], bar_ticks=[480])
    # 120 ticks a step: 59 -> step 0 (0.49); 60 -> step 1 (0.5 rounds up); 300 -> step 3 (2.5 rounds up);
    # each note is shorter than a step and still fills one.
    assert int(words[0, 0]) == 0b1011


def test_a_note_rounding_onto_the_next_downbeat_belongs_to_the_next_bar():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)
    words, onsets = quantize_bars(spec, starts=[475], ends=[478], pitches=[60], bar_starts=[0, 480],
                                  bar_ticks=[480, 480])
    assert words[:, 0].tolist() == [0, 1]
    assert onsets[:, 0].tolist() == [0, 1]


def test_bars_left_out_of_the_grid_are_not_filled():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)
    words, _ = quantize_bars(spec, starts=[0], ends=[1440], pitches=[60], bar_starts=[0, 960], bar_ticks=[480, 480])
    assert words[:, 0].tolist() == [0b1111, 0b1111]


def test_bar_lines_come_from_the_time_signatures():
    grid = bar_grid(480, [(0, 4, 4), (2400, 3, 4), (9000, 4, 4)], end_tick=8000)
    # A 3/4 signature 480 ticks into bar 1 cuts that bar short; the one after the last note adds nothing.
    assert grid.starts.tolist() == [0, 1920, 2400, 3840, 5280, 6720]
    assert grid.lengths.tolist() == [1920, 480, 1440, 1440, 1440, 1440]
    assert grid.complete.tolist() == [True, False, True, True, True, True]
    assert grid.is_4_4.tolist() == [True, False, False, False, False, False]
    no_signature = bar_grid(480, [], end_tick=1921)
    assert no_signature.starts.tolist() == [0, 1920] and no_signature.is_4_4.all()


def test_a_meter_that_cannot_place_bar_lines_is_refused():
    with pytest.raises(MidiReadError, match="bad time signature"):
        bar_grid(480, [(0, 0, 4)], end_tick=100)


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
    if corpus_build.resolve_parser("auto") != "symusic":
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


def test_unknown_parser_is_refused():
    with pytest.raises(ValueError, match="parser must be"):
        corpus_build.resolve_parser("music21")


# --- building from a folder -----------------------------------------------------------------------------
@pytest.fixture
def mostly_broken(tmp_path, fixtures):
    """Two good songs (one in a subfolder, named .MIDI) among twelve broken files."""
    data = {name: path.read_bytes() for name, path in fixtures.items()}
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "a_song.mid").write_bytes(data["song"])
    (tmp_path / "deep" / "er" / "b_song.MIDI").write_bytes(data["song"])
    (tmp_path / "readme.txt").write_text("not a MIDI suffix: never read")
    for i in range(4):
        for name in ("empty", "truncated", "text"):
            (tmp_path / ("deep" if i % 2 else ".") / f"{name}{i}.mid").write_bytes(data[name])
    return tmp_path


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
               for parser in ("pretty_midi", corpus_build.resolve_parser("auto")) for workers in (1, 2)]
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


def test_corpus_from_midi_is_the_same_build(mostly_broken):
    corpus = Corpus.from_midi(mostly_broken, workers=1)
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
    monkeypatch.setattr(corpus_build, "_read_for_build", _misbehaving_reader(corpus_build._read_for_build))
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
    parser = data.draw(st.sampled_from(["pretty_midi", corpus_build.resolve_parser("auto")]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.mid"
        path.write_bytes(blob)
        outcome = corpus_build._read_for_build(path, SPEC, BarOptions(), parser)
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


# --- the command line ------------------------------------------------------------------------------------
def run_cli(*argv):
    parser = argparse.ArgumentParser()
    corpus_build.add_cli(parser.add_subparsers())
    args = parser.parse_args(["corpus", *map(str, argv)])
    return args.run(args)


def test_cli_build_writes_the_corpus_and_a_report_beside_it(mostly_broken, tmp_path, capsys):
    output = tmp_path / "out" / "songs.npz"
    assert run_cli("build", mostly_broken, "-o", output, "--workers", "2", "-q") == 0
    printed = capsys.readouterr().out
    assert "14 of 14 files" in printed and f"{len(SONG_BARS) * 2} kept" in printed
    report = json.loads((tmp_path / "out" / "songs.report.json").read_text())
    assert len(report["failures"]) == 12
    assert {tuple(f[:2]) for f in report["failures"]} >= {("empty0.mid", "empty file"),
                                                          ("deep/text1.mid", "not a MIDI file")}
    assert not {"a_song.mid", "deep/er/b_song.MIDI"} & {f[0] for f in report["failures"]}
    assert Corpus.load(output).counts.tolist() == [2] * len(SONG_BARS)


def test_cli_build_options_reach_the_builder(mostly_broken, tmp_path):
    output = tmp_path / "dropped.npz"
    assert run_cli("build", mostly_broken, "-o", output, "--drop-out-of-range", "--parser", "pretty_midi",
                   "--workers", "1", "-q") == 0
    corpus = Corpus.load(output)
    assert corpus.metadata["options"]["fold"] is False
    # Without folding bar 0 is the bare triad, still kept; bar 5 has one pitch left and is not.
    assert corpus.bar_number.tolist() == [0, 1, 2]


def test_cli_info_and_merge(tmp_path, fixtures, capsys):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    Corpus.from_bars(SPEC, np.array([SONG_BARS[0], SONG_BARS[1]]), sources=np.array(["x.mid"])).save(first)
    Corpus.from_bars(SPEC, np.array([SONG_BARS[1], SONG_BARS[2]]), sources=np.array(["y.mid"])).save(second)
    merged = tmp_path / "c.npz"
    assert run_cli("merge", first, second, "-o", merged) == 0
    corpus = Corpus.load(merged)
    assert corpus.counts.tolist() == [1, 2, 1]
    png = tmp_path / "bars.png"
    assert run_cli("info", merged, "--png", png, "--bars", "2") == 0
    printed = capsys.readouterr().out
    assert "3 distinct, 4 with repeats, from 2 sources" in printed
    assert corpus.hash in printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_merge_refuses_other_specs(tmp_path, capsys):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    Corpus.from_bars(SPEC, np.array([SONG_BARS[0]])).save(first)
    small = LaunchpadSpec(n_notes=12, bar_bits=6, low_note=60)
    Corpus.from_bars(small, np.ones((1, 12), dtype=np.uint64)).save(second)
    assert run_cli("merge", first, second, "-o", tmp_path / "c.npz") == 2
    assert "different specs" in capsys.readouterr().err
    assert not (tmp_path / "c.npz").exists()


@pytest.mark.slow
def test_ctrl_c_writes_a_valid_smaller_corpus(tmp_path, fixtures):
    data = fixtures["song"].read_bytes()
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(3000):
        (folder / f"{i:05d}.mid").write_bytes(data)
    output = tmp_path / "partial.npz"
    code = ("import sys; from gym_launchpad.cli import main; "
            "sys.exit(main(['corpus', 'build', sys.argv[1], '-o', sys.argv[2], '--workers', '2', "
            "'--parser', 'pretty_midi']))")
    process = subprocess.Popen([sys.executable, "-c", code, str(folder), str(output)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    # Interrupt once the progress bar shows the build under way: a fixed sleep raced the build on a fast
    # machine and sometimes arrived after the last file.
    err_parts = []
    while True:
        chunk = process.stderr.read(1)
        if not chunk:
            break
        err_parts.append(chunk)
        if chunk in "\r\n" and re.search(r"\b([1-9]\d*)/3000\b", "".join(err_parts[-200:])):
            process.send_signal(signal.SIGINT)
            break
    out, rest = process.communicate(timeout=120)
    err = "".join(err_parts) + rest
    assert process.returncode == 130, (out, err)
    assert "interrupted" in err
    corpus = Corpus.load(output)
    report = json.loads(output.with_name("partial.report.json").read_text())
    assert report["interrupted"] is True and 0 < report["files_read"] < 3000
    assert corpus.total_count == report["bars_kept"] == report["files_parsed"] * len(SONG_BARS)
