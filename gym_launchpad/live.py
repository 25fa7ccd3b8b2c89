"""The real-time player's old path; it lives in :mod:`gym_launchpad.midi.live` now."""

# TRANSITION(#11): re-exports for the other branches; removed at merge
from gym_launchpad.midi.live import (  # noqa: F401
    JACK_DRAIN_S,
    MIDI_API_ENV,
    MIDI_APIS,
    NOTE_OFF,
    NOTE_ON,
    MidiPlayer,
    MidiPortError,
    MidiSink,
    PlaybackError,
    RecordingSink,
    RtMidiSink,
    candidate_apis,
    dummy_jack_server,
    import_rtmidi,
    list_output_ports,
    resolve_midi_api,
)
