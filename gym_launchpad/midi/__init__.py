"""MIDI in and out: bars to ``.mid`` and audio (:mod:`.write`), MIDI files to notes (:mod:`.read`), and
real-time playback (:mod:`.live`) to a MIDI port (:mod:`.ports`), each imported on its own
(``gym_launchpad.midi.live``, ``gym_launchpad.midi.ports``).

The package exports the writing side, which is what most callers want, and :class:`Release`
(:mod:`.release`): how long a struck note of a bar of onsets sounds, in files and live alike.
"""

from gym_launchpad.midi.release import DEFAULT_RELEASE, Release
from gym_launchpad.midi.write import (
    BACKENDS,
    DRUM_CHANNEL,
    QUARTERS_PER_BAR,
    RESOLUTION,
    SYSTEM_SOUNDFONTS,
    RenderResult,
    add_cli,
    bars_to_midi,
    check_bars,
    check_midi_settings,
    find_soundfont,
    note_spans,
    render_audio,
    spans_to_midi,
    step_seconds,
    write_midi,
)

__all__ = [
    "BACKENDS", "DEFAULT_RELEASE", "DRUM_CHANNEL", "QUARTERS_PER_BAR", "RESOLUTION", "SYSTEM_SOUNDFONTS", "Release",
    "RenderResult", "add_cli", "bars_to_midi", "check_bars", "check_midi_settings", "find_soundfont", "note_spans",
    "render_audio", "spans_to_midi", "step_seconds", "write_midi",
]
