"""Where the music goes: live to a JACK MIDI port, to a FluidSynth the command starts, or only to the
recording when there is no MIDI system."""

import os
import re
import shutil
import time

import numpy as np
import pytest

from agents.play import cli
from agents.play.session import make_agent


def test_without_a_midi_system_the_window_records_to_out_and_says_so(pygame_dummy, no_midi_system, tmp_path,
                                                                     synthetic_corpus_path, capsys, read_bars):
    out = tmp_path / "quiet.mid"
    assert cli.main(["--api", "jack", "--out", str(out), "--frames", "30", "--bpm", "30", "--agent", "noop",
                      "--corpus", synthetic_corpus_path]) == 0
    err = capsys.readouterr().err
    assert "no MIDI output (no MIDI system is available" in err and f"recording to {out} only" in err
    assert "saved 1 bar to" in err  # the bar that started with the window; the next is 8 s away
    assert read_bars(out, make_agent("noop", synthetic_corpus_path).env.launchpad, 1).any()


def test_without_a_midi_system_or_out_the_message_says_what_to_do(pygame_dummy, no_midi_system, capsys,
                                                                   synthetic_corpus_path):
    assert cli.main(["--api", "jack", "--frames", "1", "--agent", "noop", "--corpus", synthetic_corpus_path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "no MIDI system is available" in err[-1] and "give --out song.mid" in err[-1]


class JackReceiver:
    """A JACK MIDI input port that keeps every message it is sent (a synthesizer, for the test)."""

    def __init__(self, client, port):
        import rtmidi

        self.messages = []
        self._in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, client)
        self._in.ignore_types(sysex=False)
        self._in.open_virtual_port(port)
        self._in.set_callback(lambda event, _: self.messages.append(event[0]))

    def close(self):
        self._in.close_port()
        self._in.delete()


@pytest.mark.jack
def test_headless_plays_live_to_a_jack_port_and_records_it(jack_server, tmp_path, synthetic_corpus_path, capsys,
                                                           fast_bpm, read_bars):
    synth = JackReceiver("synth", "in")
    try:
        out = tmp_path / "live.mid"
        assert cli.main(["--headless", "--bars", "3", "--bpm", str(fast_bpm), "--port", "synth:in", "--api", "jack",
                          "--out", str(out), "--agent", "greedy", "--corpus", synthetic_corpus_path]) == 0
        time.sleep(0.2)
    finally:
        synth.close()
    err = capsys.readouterr().err
    assert "playing to MIDI port 'synth:in'" in err and "agent action: median" in err
    spec = make_agent("greedy", synthetic_corpus_path).env.launchpad
    recorded = read_bars(out, spec, 3)
    note_ons = {m[1] for m in synth.messages if m[0] & 0xF0 == 0x90 and m[2] > 0}
    assert note_ons and note_ons <= {int(p) for p in spec.pitches[np.flatnonzero(recorded.any(axis=0))]}
    assert note_ons >= {int(p) for p in spec.pitches[np.flatnonzero(recorded[0])]}


@pytest.mark.jack
def test_synth_starts_fluidsynth_plays_to_it_and_stops_it(jack_server, tmp_path, synthetic_corpus_path, capsys,
                                                          fast_bpm):
    if shutil.which("fluidsynth") is None:
        if os.environ.get("CI"):
            pytest.fail("fluidsynth is not installed, and CI must test --synth (apt-get install fluidsynth)")
        pytest.skip("fluidsynth is not installed (apt-get install fluidsynth)")
    out = tmp_path / "synth.mid"
    assert cli.main(["--headless", "--synth", "--bars", "2", "--bpm", str(fast_bpm), "--api", "jack",
                      "--out", str(out), "--agent", "greedy", "--corpus", synthetic_corpus_path]) == 0
    err = capsys.readouterr().err
    pid = int(re.search(r"started FluidSynth \(pid (\d+)\)", err).group(1))
    assert re.search(r"playing to MIDI port 'fluidsynth[^']*' \(jack\)", err)
    assert "saved 2 bars" in err
    with pytest.raises(ProcessLookupError):  # it quit, and was reaped, when the session ended
        os.kill(pid, 0)


@pytest.mark.jack
def test_a_port_that_does_not_exist_lists_the_ports(jack_server, capsys, synthetic_corpus_path):
    synth = JackReceiver("synth", "in")
    try:
        assert cli.main(["--headless", "--port", "nosuch", "--api", "jack", "--agent", "noop",
                          "--corpus", synthetic_corpus_path]) == 2
    finally:
        synth.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no MIDI output port 'nosuch'" in err[0] and "'synth:in'" in err[0]
