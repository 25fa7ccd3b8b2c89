"""MIDI ports: the MIDI system chosen, a port found by name, the errors that say what to do, and an output
port that delivers every message, the last ones included, over a private JACK server."""

import sys
import time

import pytest
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.midi import ports
from gym_launchpad.midi.ports import MidiPortError, RtMidiSink, list_output_ports, match_port


def test_the_midi_api_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv(ports.MIDI_API_ENV, raising=False)
    assert ports.resolve_midi_api() == "auto"
    monkeypatch.setenv(ports.MIDI_API_ENV, "JACK")
    assert ports.resolve_midi_api() == "jack"
    assert ports.resolve_midi_api("alsa") == "alsa"
    with pytest.raises(ValueError, match="GYM_LAUNCHPAD_MIDI_API must be one of auto, alsa, jack, coremidi"):
        monkeypatch.setenv(ports.MIDI_API_ENV, "oss")
        ports.resolve_midi_api()
    with pytest.raises(ValueError, match="api must be one of"):
        ports.resolve_midi_api("winmm")


def test_a_port_is_matched_by_its_full_name_or_the_one_name_containing_it():
    names = ["FLUID Synth (1234):Synth input port (1234:0) 128:0", "Midi Through:Midi Through Port-0 14:0",
             "Midi Through:Midi Through Port-1 14:1"]
    assert match_port(names[2], names, "alsa") == 2
    assert match_port("fluid synth", names, "alsa") == 0
    with pytest.raises(MidiPortError, match=r"'midi through' is ambiguous on alsa: .*Port-0.*Port-1.*give more"):
        match_port("midi through", names, "alsa")
    with pytest.raises(MidiPortError, match=r"no MIDI output port 'qsynth' on alsa; .*'Midi Through:Midi Through"):
        match_port("qsynth", names, "alsa")
    with pytest.raises(MidiPortError, match="the output ports are: there are none"):
        match_port("qsynth", [], "alsa")


def test_without_python_rtmidi_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "rtmidi", None)
    with pytest.raises(DependencyNotInstalled, match=r"pip install gym_launchpad\[live\]"):
        RtMidiSink.open()


def test_no_running_midi_system_is_one_clear_message(no_midi_system):
    with pytest.raises(MidiPortError, match="no MIDI system is available .*jack: .*start a JACK server"):
        RtMidiSink.open(api="jack")


@pytest.mark.jack
def test_an_existing_port_is_found_by_name_and_a_wrong_name_lists_the_ports(port_reader):
    reader = port_reader("test-reader-2")
    reader.port.open_virtual_port("notes in")
    wrong_name = r"no MIDI output port 'no such synth' on jack; .*'test-reader-2:notes in'"
    with pytest.raises(MidiPortError, match=wrong_name):
        RtMidiSink.open("no such synth", api="jack")
    assert "test-reader-2:notes in" in list_output_ports("jack")
    chord = [(0x90, pitch, 90) for pitch in range(60, 72)] + [(0x80, pitch, 0) for pitch in range(60, 72)]
    with RtMidiSink.open("TEST-READER-2", api="jack", client_name="test-player-2") as sink:
        assert sink.port_name == "test-reader-2:notes in"
        time.sleep(0.2)  # JACK connects on its next cycles
        for message in chord:
            sink.send(message)
    # Closed right after the last send: every message, the notes-off last, still reached the port.
    assert [m for _, m in reader.read()] == chord
