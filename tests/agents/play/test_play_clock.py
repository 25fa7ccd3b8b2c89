"""``python -m agents play --clock-in`` waits for a drum machine's clock and plays on its bars;
``--clock-out`` sends the clock with the notes; over a private JACK server."""

import threading
import time

import pytest

from agents.play import cli
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.clock import CLOCK, PULSES_PER_BAR, START, STOP
from gym_launchpad.midi.live import NOTE_ON, MidiPlayer
from gym_launchpad.midi.ports import RtMidiSink, list_output_ports


class Listener:
    """A JACK MIDI input, read by polling (no Python on JACK's thread), clock messages included."""

    def __init__(self, client, *, virtual=None, source=None):
        import rtmidi

        self._in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, client, queue_size_limit=1 << 16)
        self._in.ignore_types(sysex=True, timing=False, active_sense=True)
        if virtual is not None:
            self._in.open_virtual_port(virtual)
        else:
            self._in.open_port(self._in.get_ports().index(source))

    def read(self):
        """The messages that came since the last read."""
        heard = []
        while (item := self._in.get_message()) is not None:
            heard.append(tuple(item[0]))
        return heard

    def close(self):
        self._in.close_port()
        self._in.delete()


def wait_for_port(name, timeout=15):
    """Wait until JACK has the port ``name``, an input (that we can send to) or an output (we can listen to)."""
    import rtmidi

    probe = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "test-probe")
    try:
        deadline = time.monotonic() + timeout
        while name not in list_output_ports("jack") + probe.get_ports():
            assert time.monotonic() < deadline, f"no port {name!r} appeared"
            time.sleep(0.05)
    finally:
        probe.delete()


def note_on(message):
    return message[0] & 0xF0 == NOTE_ON and message[2] > 0


def test_following_and_leading_at_once_is_refused(capsys, synthetic_corpus_path):
    assert cli.main(["--headless", "--clock-in", "--clock-out", "--out", "x.mid", "--agent", "noop",
                      "--corpus", synthetic_corpus_path]) == 2
    assert "--clock-in follows a clock, --clock-out sends one" in capsys.readouterr().err


@pytest.mark.jack
@pytest.mark.slow
def test_clock_in_waits_for_the_start_and_plays_the_clock_s_bars(jack_server, tmp_path, synthetic_corpus_path,
                                                                capsys, read_bars):
    out = tmp_path / "clocked.mid"
    codes = []
    command = threading.Thread(target=lambda: codes.append(cli.main([
        "--headless", "--bars", "3", "--clock-in", "--api", "jack", "--out", str(out), "--agent", "greedy",
        "--corpus", synthetic_corpus_path, "--seed", "1"])), daemon=True)  # a failed test must not hang pytest
    command.start()
    listener = None
    try:
        wait_for_port("gym_launchpad-clock:in")
        wait_for_port("gym_launchpad:out")
        listener = Listener("test-ears", source="gym_launchpad:out")
        with RtMidiSink.open("gym_launchpad-clock:in", api="jack", client_name="test-drum-machine") as drums:
            leader = MidiPlayer(LaunchpadSpec(), drums, tempo_bpm=480, send_clock=True, log_events=True)
            time.sleep(0.5)  # the command waits for the clock's start: nothing plays yet
            before_start = listener.read()
            with leader:
                leader.start()
                command.join(timeout=30)
        time.sleep(0.1)
        after_start = listener.read()
    finally:
        command.join(timeout=30)
        if listener is not None:
            listener.close()
    assert codes == [0]
    err = capsys.readouterr().err
    assert "following the MIDI clock on 'gym_launchpad-clock:in'" in err and "saved 3 bars" in err
    assert not any(map(note_on, before_start)) and any(map(note_on, after_start))
    pulses = [e.sent for e in leader.event_log if e.message == (CLOCK,)]
    assert len(pulses[::PULSES_PER_BAR]) >= 3  # the third bar began once the clock's third downbeat came
    assert read_bars(out, LaunchpadSpec(), 3).any()


@pytest.mark.jack
@pytest.mark.slow
def test_clock_out_sends_start_pulses_and_stop_with_the_notes(jack_server, tmp_path, synthetic_corpus_path):
    listener = Listener("test-daw", virtual="clock")
    try:
        assert cli.main(["--headless", "--bars", "2", "--bpm", "480", "--clock-out", "--port", "test-daw:clock",
                          "--api", "jack", "--out", str(tmp_path / "lead.mid"), "--agent", "greedy",
                          "--corpus", synthetic_corpus_path]) == 0
        time.sleep(0.2)
        clock = [m for m in listener.read() if m[0] in (CLOCK, START, STOP)]
    finally:
        listener.close()
    assert clock[0] == (START,) and clock[-1] == (STOP,)
    assert clock.count((CLOCK,)) > PULSES_PER_BAR  # bar 0's pulses, then the command stops as bar 1 begins
