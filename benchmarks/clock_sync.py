"""How close to a MIDI clock's bar lines does a following player start its bars?

A private JACK server with the dummy driver carries MIDI clock from a leader (a
:class:`~gym_launchpad.midi.live.MidiPlayer` with ``send_clock=True``, 24 pulses a quarter with absolute
deadlines, as a drum machine sends them) to a follower's clock input
(:func:`~gym_launchpad.midi.ports.open_clock_input`): the follower (``MidiPlayer(clock=...)``) plays a bar
with a note on each downbeat. The leader plays ``--bars`` bars at ``--tempo`` BPM, changes to
``--new-tempo`` on beat 3 of its last bar at that tempo, and plays ``--bars`` more.

For each bar: the follower's bar start (when its downbeat note left the player) minus the clock's (when
the leader sent that bar's downbeat pulse), in ms. Positive: the follower is late. Reported per tempo,
and for the two bars right after the change. Also the clock's transit: when each pulse reached the
follower minus when it was sent (JACK's latency, up to two periods, plus the Python callback), which is
the floor of the follower's lateness: it can only know a pulse's time once pulses arrive. The first bar
is reported apart: with no pulse before it, the follower can only play it when its pulse arrives.

    python benchmarks/clock_sync.py                 # 8 + 8 bars at 120 -> 90 BPM, ~40 s
    python benchmarks/clock_sync.py --bars 2        # smoke size
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.clock import CLOCK, PULSES_PER_BAR
from gym_launchpad.midi.jack import dummy_jack_server
from gym_launchpad.midi.live import NOTE_ON, MidiPlayer, RecordingSink
from gym_launchpad.midi.ports import RtMidiSink, open_clock_input

TARGET_MS = 2.0


def measure(bars: int = 8, tempo_bpm: float = 120.0, new_tempo_bpm: float = 90.0, period: int = 64) -> dict:
    """Run the leader and the follower over a fresh JACK server; the figures of each bar in ms."""
    spec = LaunchpadSpec()
    downbeat = np.zeros(spec.n_notes, dtype=np.uint64)
    downbeat[0] = 1
    with dummy_jack_server(period=period):
        clock = open_clock_input(None, api="jack", client_name="sync-follower")
        arrivals = []
        receive = clock.receive

        def logged(message, at):  # the pulses' arrival times, for the transit figures
            if message[0] == CLOCK:
                arrivals.append(at)
            receive(message, at)

        clock.receive = logged
        with clock, RtMidiSink.open("sync-follower:in", api="jack", client_name="sync-leader") as clock_out:
            time.sleep(0.3)  # JACK connects on its next cycles
            follower = MidiPlayer(spec, RecordingSink(), clock=clock, log_events=True, hold=False)
            follower.queue_bar(downbeat)
            leader = MidiPlayer(spec, clock_out, tempo_bpm=tempo_bpm, send_clock=True, log_events=True)
            with follower, leader:
                follower.start()
                leader.start()
                assert leader.wait_for_bar(bars - 1, timeout=bars * 10)
                while leader.position[1] < spec.steps // 2:  # beat 3
                    time.sleep(0.001)
                leader.set_tempo(new_tempo_bpm)
                assert leader.wait_for_bar(2 * bars, timeout=bars * 10)
                while leader.position[1] < spec.steps // 2:  # stop mid-bar: every bar begun has its downbeat
                    time.sleep(0.001)
    pulses = np.array([e.sent for e in leader.event_log if e.message == (CLOCK,)])
    starts = {}
    for event in follower.event_log:
        if event.message[0] == NOTE_ON and event.step == 0:
            starts.setdefault(event.bar, event.sent)
    downbeats = pulses[::PULSES_PER_BAR]
    offsets = np.array([starts[bar] - downbeats[bar] for bar in range(len(downbeats))]) * 1e3
    n = min(len(arrivals), len(pulses))
    return {"tempo_bpm": tempo_bpm, "new_tempo_bpm": new_tempo_bpm, "bars": bars, "period": period,
            "offsets_ms": offsets, "transit_ms": (np.array(arrivals[:n]) - pulses[:n]) * 1e3,
            "scheduling": follower.scheduling}


def describe(values: np.ndarray) -> str:
    return (f"mean {values.mean():+.2f}, mean |.| {np.abs(values).mean():.2f}, max |.| {np.abs(values).max():.2f}"
            f" ms over {len(values)} bars")


def report(result: dict) -> str:
    offsets, bars = result["offsets_ms"], result["bars"]
    transit = result["transit_ms"]
    lines = [
        f"JACK dummy driver, period {result['period']} frames at 48 kHz; follower thread: {result['scheduling']}",
        f"clock transit (pulse sent -> reached the follower): median {np.median(transit):.2f}, "
        f"p99 {np.percentile(transit, 99):.2f}, max {transit.max():.2f} ms over {len(transit)} pulses",
        "follower's bar start minus the clock's downbeat:",
        f"  bar 0, played on its pulse's arrival (no tempo known before it): {offsets[0]:+.2f} ms",
        f"  at {result['tempo_bpm']:g} BPM (bars 1-{bars - 1}): {describe(offsets[1:bars])}",
        f"  across the change, on beat 3 of bar {bars - 1} (bars {bars}-{bars + 1}): "
        f"{describe(offsets[bars:bars + 2])}",
        f"  at {result['new_tempo_bpm']:g} BPM (bars {bars}-{len(offsets) - 1}): {describe(offsets[bars:])}",
        f"  every bar: {' '.join(f'{o:+.2f}' for o in offsets)}",
        f"target: every bar after the first within {TARGET_MS:g} ms: "
        f"{'met' if np.abs(offsets[1:]).max() <= TARGET_MS else 'missed'}",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=8, help="bars at each tempo (default: 8)")
    parser.add_argument("--tempo", type=float, default=120.0, help="the first tempo, BPM (default: 120)")
    parser.add_argument("--new-tempo", type=float, default=90.0, help="the tempo after the change (default: 90)")
    parser.add_argument("--period", type=int, default=64, help="JACK period in frames (default: 64)")
    args = parser.parse_args(argv)
    if args.bars < 2:
        parser.error("--bars must be at least 2: the change is measured over the two bars after it")
    print(report(measure(args.bars, args.tempo, args.new_tempo, args.period)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
