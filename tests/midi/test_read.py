"""MIDI files to notes in ticks: both parsers read the same notes, pair notes alike and fail alike."""

import numpy as np
import pytest

from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi import RESOLUTION, write_midi
from gym_launchpad.midi.read import MidiReadError, _pair_like_pretty_midi, read_midi_notes, resolve_parser

SPEC = LaunchpadSpec()
PARSERS = ["pretty_midi", pytest.param("symusic", marks=pytest.mark.skipif(
    resolve_parser("auto") != "symusic", reason="symusic is not installed"))]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A bar with the lowest row held for a beat and the next row struck on the last step."""
    bar = np.zeros(SPEC.n_notes, dtype=np.uint64)
    bar[0] = np.uint64(0xFFFF)
    bar[1] = np.uint64(1) << np.uint64(63)
    return write_midi(bar, tmp_path_factory.mktemp("read") / "bar.mid", SPEC)


@pytest.mark.parametrize("parser", PARSERS)
def test_a_written_bar_reads_back_as_its_notes_in_ticks(written, parser):
    notes = read_midi_notes(written, parser)
    step = 4 * RESOLUTION // SPEC.steps
    assert notes.ticks_per_quarter == RESOLUTION
    assert [(t, n, d) for t, n, d in notes.time_signatures] == [(0, 4, 4)]
    assert sorted(zip(notes.starts.tolist(), notes.ends.tolist(), notes.pitches.tolist(), strict=True)) == [
        (0, 16 * step, SPEC.low_note), (63 * step, 64 * step, SPEC.low_note + 1)]


@pytest.mark.parametrize("parser", PARSERS)
def test_broken_bytes_fail_with_the_same_reason_whatever_the_parser(written, tmp_path, parser):
    data = written.read_bytes()
    for blob, reason in ((b"", "empty file"), (b"hello, not MIDI", "not a MIDI file"),
                         (data[:len(data) - 5], "truncated"), (data[:10], "truncated")):
        path = tmp_path / "broken.mid"
        path.write_bytes(blob)
        with pytest.raises(MidiReadError) as raised:
            read_midi_notes(path, parser)
        assert raised.value.reason == reason


def test_a_file_cut_inside_its_header_is_truncated_not_a_file_of_another_kind(written, tmp_path):
    path = tmp_path / "ten_bytes.mid"
    path.write_bytes(written.read_bytes()[:10])
    with pytest.raises(MidiReadError, match=r"^truncated: the header chunk needs 14 bytes, the file has 10$"):
        read_midi_notes(path)


def test_a_note_off_ends_every_earlier_note_of_its_pitch_and_a_zero_length_note_is_dropped():
    # Two overlapping notes of one pitch (on 0, on 10, off 20, off 30) both end at 20, as in pretty_midi;
    # a note-on and note-off on one tick (5) is no note.
    starts, ends, pitches, tracks = _pair_like_pretty_midi(
        np.array([0, 10, 5]), np.array([30, 20, 5]), np.array([60, 60, 62]), np.array([0, 0, 0]))
    assert starts.tolist() == [0, 10] and ends.tolist() == [20, 20]
    assert pitches.tolist() == [60, 60] and tracks.tolist() == [0, 0]


def test_unknown_parser_is_refused():
    with pytest.raises(ValueError, match="parser must be"):
        resolve_parser("music21")
