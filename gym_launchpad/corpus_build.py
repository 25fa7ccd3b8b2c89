"""The MIDI corpus builder's old path; it lives in :mod:`gym_launchpad.corpus.build` now."""

# TRANSITION(#11): re-exports for the other branches; removed at merge
from gym_launchpad.corpus.build import build_from_midi, find_midi_files, from_midi, read_midi_bars  # noqa: F401
from gym_launchpad.corpus.chorales import build_bach_corpus  # noqa: F401
from gym_launchpad.corpus.quantize import (  # noqa: F401
    DEFAULT_MIN_CELLS,
    DEFAULT_MIN_PITCHES,
    BarOptions,
    FileBars,
    quantize_bars,
    score_bars,
)
from gym_launchpad.midi.read import MidiReadError, ScoreNotes, read_midi_notes  # noqa: F401
