"""A synthetic MIDI song with known bars, shared by the corpus tests: tempo changes, a 3/4 section, a drum
track, overlapping notes, notes on rounding edges, and pitches to fold."""

import numpy as np
import pretty_midi
import pytest

from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.read import resolve_parser

SPEC = LaunchpadSpec()
PARSERS = ["pretty_midi", pytest.param("symusic", marks=pytest.mark.skipif(
    resolve_parser("auto") != "symusic", reason="symusic is not installed"))]
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
