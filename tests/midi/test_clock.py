"""MIDI clock: a player that leads sends 24 pulses a quarter; a player that follows plays its bar lines on
the clock's, at the clock's tempo, and honours start, stop and continue; over JACK as over a direct line."""

import time

import numpy as np
import pytest

from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.clock import (
    CLOCK,
    CONTINUE,
    PULSES_PER_BAR,
    SONG_POSITION,
    START,
    STOP,
    MidiClockIn,
    pulse_offsets,
)
from gym_launchpad.midi.live import NOTE_OFF, NOTE_ON, MidiPlayer, RecordingSink
from gym_launchpad.midi.ports import RtMidiSink, open_clock_input

SMALL = LaunchpadSpec(n_notes=4, bar_bits=3, low_note=60)  # 8 steps, 12 pulses a step
SPEC = LaunchpadSpec()  # 64 steps, 1.5 pulses a step


def downbeat_bar(spec):
    """Row 0 struck on the downbeat only: each bar start is one note-on."""
    bar = np.zeros(spec.n_notes, dtype=np.uint64)
    bar[0] = 1
    return bar


class ToClock:
    """A sink delivering a leading player's messages straight to a MidiClockIn, as a MIDI cable would."""

    def __init__(self, clock):
        self.clock = clock

    def send(self, message):
        self.clock.receive(message, time.perf_counter())

    def close(self):
        pass


def bar_starts(player):
    """``{bar: send time}`` of each bar's first note-on."""
    starts = {}
    for event in player.event_log:
        if event.message[0] == NOTE_ON and event.step == 0:
            starts.setdefault(event.bar, event.sent)
    return starts


def pulse_times(player):
    return [e.sent for e in player.event_log if e.message == (CLOCK,)]


def left_sounding(messages):
    sounding = set()
    for message in messages:
        if message[0] & 0xF0 == NOTE_ON and message[2] > 0:
            sounding.add(message[1])
        elif message[0] & 0xF0 in (NOTE_ON, NOTE_OFF):
            sounding.discard(message[1])
    return sounding


@pytest.mark.parametrize("spec", [SMALL, SPEC])
def test_pulse_offsets_put_96_pulses_in_a_bar_one_on_each_beat_line(spec):
    offsets = pulse_offsets(spec)
    assert sum(len(o) for o in offsets) == PULSES_PER_BAR
    assert all(0 <= o < 1 for step in offsets for o in step)
    per_step = PULSES_PER_BAR / spec.steps
    pulses = [step + o for step, step_offsets in enumerate(offsets) for o in step_offsets]
    np.testing.assert_allclose(np.array(pulses) * per_step, np.arange(PULSES_PER_BAR))


def test_the_clock_input_keeps_position_tempo_and_predicts_the_next_pulses():
    clock = MidiClockIn()
    assert clock.time_of(0) is None and clock.tempo_bpm is None
    clock.receive([CLOCK], 0.0)  # pulses while stopped do not count
    clock.receive([START], 1.0)
    assert clock.running and clock.position == 0
    pulse_s = 60 / 120 / 24
    for n in range(30):
        clock.receive([CLOCK], 2.0 + n * pulse_s)
    assert clock.position == 30 and clock.tempo_bpm == pytest.approx(120)
    assert clock.time_of(40) == pytest.approx(2.0 + 40 * pulse_s)
    assert clock.time_of(30 + 25) is None  # beyond a beat past the last pulse it will not guess
    generation = clock.generation
    clock.receive([STOP], 3.0)
    assert not clock.running and clock.time_of(31) is None and clock.generation == generation + 1
    clock.receive([SONG_POSITION, 16, 0], 3.1)  # 16 sixteenths: bar 2
    clock.receive([CONTINUE], 3.2)
    assert clock.running and clock.position == PULSES_PER_BAR
    clock.receive([0x90, 60, 90], 3.3)  # notes are not the clock's business
    assert clock.position == PULSES_PER_BAR


def test_a_first_pulse_alone_tells_only_its_own_time():
    clock = MidiClockIn()
    clock.receive([START], 0.0)
    clock.receive([CLOCK], 0.5)
    assert clock.time_of(0) == 0.5 and clock.time_of(1) is None


def test_a_leading_player_sends_start_24_pulses_a_quarter_on_its_beats_and_stop():
    sink = RecordingSink()
    with MidiPlayer(SPEC, sink, tempo_bpm=960, send_clock=True, log_events=True) as player:  # a bar in 0.25 s
        player.queue_bar(downbeat_bar(SPEC))
        player.start()
        assert player.wait_for_bar(3, timeout=10)
    messages = [m for _, m in sink.messages]
    assert messages[1] == (START,) and messages[-1] == (STOP,)
    pulses = pulse_times(player)
    starts = bar_starts(player)
    assert len(pulses) >= 3 * PULSES_PER_BAR
    for bar in range(3):  # the bar's downbeat pulse goes out just before the bar's first note
        downbeat = pulses[bar * PULSES_PER_BAR]
        assert downbeat <= starts[bar] and messages.index((NOTE_ON, SPEC.low_note, 90)) > messages.index((CLOCK,))
    step_pulse = np.diff(pulses[:PULSES_PER_BAR * 3])
    assert np.median(step_pulse) == pytest.approx(60 / 960 / 24, rel=0.1)


def wait_for_step(player, step, timeout=10):
    deadline = time.monotonic() + timeout
    while player.position[1] < step:
        assert time.monotonic() < deadline, f"the player did not reach step {step}"
        time.sleep(0.001)


def assert_on_the_downbeats(follower, leader):
    """Every bar the follower began while the leader ran, it began on one of the leader's downbeats: within a
    pulse of it (a follower plays a predicted pulse, so a stop can come just after a bar it began)."""
    pulses = np.array(pulse_times(leader))
    downbeats, pulse_s = pulses[::PULSES_PER_BAR], np.median(np.diff(pulses))
    starts = [start for start in bar_starts(follower).values() if start < pulses[-1]]
    off = [np.min(np.abs(downbeats - start)) for start in starts]
    assert max(off) < pulse_s, f"a bar began {max(off) * 1e3:.1f} ms off the clock's downbeat"
    return starts


def test_a_follower_plays_its_bar_lines_on_the_clock_s_and_honours_stop_and_continue():
    clock = MidiClockIn()
    sink = RecordingSink()
    follower = MidiPlayer(SPEC, sink, clock=clock, log_events=True, hold=False)
    follower.queue_bar(downbeat_bar(SPEC))
    leader = MidiPlayer(SPEC, ToClock(clock), tempo_bpm=960, send_clock=True, log_events=True)  # 0.25 s a bar
    with follower:
        follower.start()
        time.sleep(0.1)
        assert follower.position == (-1, -1)  # nothing plays before the clock starts
        leader.start()
        assert leader.wait_for_bar(2, timeout=10)
        leader.set_tempo(600)  # the follower takes the new tempo from the pulses
        assert leader.wait_for_bar(4, timeout=10)
        wait_for_step(leader, 32)
        leader.pause()  # mid-bar: the leader sends stop, the follower falls silent
        time.sleep(0.1)
        stopped_at = len(sink.messages)
        time.sleep(0.3)
        assert len(sink.messages) == stopped_at and left_sounding(m for _, m in sink.messages) == set()
        leader.resume()  # continue: the follower plays on, from the middle of the bar
        assert leader.wait_for_bar(7, timeout=10)
        wait_for_step(leader, 32)
        leader.stop()
    starts = assert_on_the_downbeats(follower, leader)
    assert len(starts) == len(pulse_times(leader)[::PULSES_PER_BAR]) == 8  # one for each of the clock's bars 0-7
    assert len(follower.played_bars) == 9  # and the half bar after the continue counts as a bar of its own
    assert clock.tempo_bpm == pytest.approx(600, rel=0.05)
    assert left_sounding(m for _, m in sink.messages) == set()


def test_a_player_cannot_both_lead_and_follow():
    with pytest.raises(ValueError, match="either follows a clock"):
        MidiPlayer(SMALL, RecordingSink(), clock=MidiClockIn(), send_clock=True)


@pytest.mark.jack
@pytest.mark.slow
def test_over_jack_a_follower_counts_the_clock_s_bars(jack_server):
    with (open_clock_input(None, api="jack", client_name="test-follower") as clock,
          RtMidiSink.open("test-follower:in", api="jack", client_name="test-leader") as clock_out):
        time.sleep(0.2)  # JACK connects on its next cycles
        follower = MidiPlayer(SPEC, RecordingSink(), clock=clock, log_events=True, hold=False)
        follower.queue_bar(downbeat_bar(SPEC))
        leader = MidiPlayer(SPEC, clock_out, tempo_bpm=360, send_clock=True, log_events=True)  # 2/3 s a bar
        with follower, leader:
            follower.start()
            leader.start()
            assert leader.wait_for_bar(3, timeout=10)
            leader.set_tempo(240)
            assert leader.wait_for_bar(5, timeout=10)
            wait_for_step(leader, 32)
        assert clock.tempo_bpm == pytest.approx(240, rel=0.05)
    starts = assert_on_the_downbeats(follower, leader)
    assert len(starts) == len(pulse_times(leader)[::PULSES_PER_BAR]) == 6  # one bar for each of the clock's


@pytest.mark.jack
@pytest.mark.slow
def test_clock_sync_benchmark_smoke(jack_server, benchmark_script):
    benchmark = benchmark_script("clock_sync")
    result = benchmark.measure(bars=2, tempo_bpm=480, new_tempo_bpm=360)
    assert len(result["offsets_ms"]) == 5 and len(result["transit_ms"]) > 4 * 96
    assert "across the change" in benchmark.report(result)
