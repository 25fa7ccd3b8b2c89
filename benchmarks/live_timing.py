"""How late do the live player's notes reach a MIDI port, idle and with the CPUs busy?

Plays the same random composition (a fresh random bar every bar, as an agent would) to a real MIDI
port: a private JACK server with the dummy driver, the player's :class:`~gym_launchpad.midi.ports.RtMidiSink`
connected by name to a virtual input port that a child process reads back. Every message's arrival time
is compared with its deadline (step ``k`` of the song is due ``k`` steps after the first), for

- ``deadline``: :class:`~gym_launchpad.midi.live.MidiPlayer`, absolute deadlines, sleep then spin, with the
  real-time thread policy where the OS allows it, and again at normal priority;
- ``naive``: send a step's messages, then ``time.sleep(step)``, the simplest loop there is; every
  wake-up's lateness adds up, so it drifts;

each idle, with two CPU-bound processes running, and with a CPU-bound Python thread in this process
(which holds the GIL the player thread needs at every wake-up). The machine's other load is printed
too: on a shared machine "idle" is only as idle as the neighbours. Lateness is a message's arrival time minus
its deadline, in ms; it includes JACK's own latency of up to one period (64 frames at 48 kHz: 1.3 ms).
``send p99`` is the lateness when the message left the player, before JACK. Targets: arrival p99
<= 2 ms idle, <= 5 ms loaded.

    python benchmarks/live_timing.py            # 8 bars at 300 BPM per condition, ~1 min
    python benchmarks/live_timing.py --bars 1   # smoke size
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict

import numpy as np

from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.midi import note_spans, step_seconds
from gym_launchpad.midi.jack import dummy_jack_server
from gym_launchpad.midi.live import NOTE_OFF, NOTE_ON, MidiPlayer
from gym_launchpad.midi.ports import RtMidiSink

READER = "timing-reader"
VELOCITY = 90


def random_composition(spec: LaunchpadSpec, n_bars: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([
        LaunchpadState.from_toggles(spec, rng.random((spec.n_notes, spec.n_patterns)) < 0.2,
                                    rng.integers(0, spec.steps, spec.n_notes)).words()
        for _ in range(n_bars)
    ])


def expected_messages(spec: LaunchpadSpec, bars: np.ndarray) -> list[tuple[int, tuple[int, int, int]]]:
    """``(song step, message)`` of every note-on/off of ``bars`` played with held notes on channel 0,
    offs before ons within a step, each by pitch; the notes still sounding at the end are left out."""
    by_step = defaultdict(lambda: ([], []))
    for row, start, end in note_spans(bars, spec):
        pitch = spec.low_note + row
        by_step[start][1].append((NOTE_ON, pitch, VELOCITY))
        if end < len(bars) * spec.steps:
            by_step[end][0].append((NOTE_OFF, pitch, 0))
    return [(step, message) for step in sorted(by_step) for message in sorted(by_step[step][0]) +
            sorted(by_step[step][1])]


# The reader is another process, as a synthesizer would be: its callback runs on a JACK thread and
# needs that process's GIL, which the player's spin loop would otherwise hold at the worst moment.
READER_PROGRAM = """
import json, sys, time, rtmidi
received = []
port = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, sys.argv[1])
port.open_virtual_port("in")
port.set_callback(lambda event, _: received.append((time.perf_counter(), event[0])))
print("ready", flush=True)
for command in sys.stdin:
    if command.strip() != "take":
        break
    taken = received[:len(received)]
    del received[:len(taken)]
    print(json.dumps(taken), flush=True)
port.close_port()
"""


class PortReader:
    """A virtual JACK MIDI input port in a child process that timestamps every message it receives.

    ``time.perf_counter()`` is the system's monotonic clock, so the child's times compare with ours.
    """

    def __init__(self, name: str = READER):
        self._child = subprocess.Popen([sys.executable, "-c", READER_PROGRAM, name], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True)
        if self._child.stdout.readline().strip() != "ready":
            raise RuntimeError("the MIDI reader process did not start (is python-rtmidi built with JACK?)")
        self.port_name = f"{name}:in"

    def take(self) -> list[tuple[float, tuple[int, ...]]]:
        """The messages received since the last call, with their arrival times."""
        self._child.stdin.write("take\n")
        self._child.stdin.flush()
        return [(t, tuple(message)) for t, message in json.loads(self._child.stdout.readline())]

    def close(self):
        self._child.stdin.close()
        self._child.wait(10)


def play_with_player(spec, bars, sink, tempo_bpm, realtime):
    """Play ``bars`` with :class:`MidiPlayer`; ``(deadline, sent, message)`` of each message of the song."""
    player = MidiPlayer(spec, sink, tempo_bpm=tempo_bpm, velocity=VELOCITY, log_events=True, realtime=realtime)
    player.queue_bar(bars[0])
    with player:
        player.start()
        for index in range(1, len(bars) + 1):
            player.wait_for_bar(index - 1)
            if index < len(bars):
                player.queue_bar(bars[index])
        player.wait_for_bar(len(bars))
    song = [e for e in player.event_log if e.bar < len(bars)]
    return [(e.deadline, e.sent, e.message) for e in song], player.scheduling


def play_naively(spec, bars, sink, tempo_bpm):
    """Send each step's messages, then ``sleep(step)``; the deadline of step ``k`` is ``k`` steps after the first."""
    step_s = step_seconds(spec, tempo_bpm)
    by_step = defaultdict(list)
    for step, message in expected_messages(spec, bars):
        by_step[step].append(message)
    played = []
    start = time.perf_counter()
    for step in range(len(bars) * spec.steps):
        for message in by_step[step]:
            sink.send(message)
            played.append((start + step * step_s, time.perf_counter(), message))
        time.sleep(step_s)
    return played, "normal"


def busy_loop(stop=None):
    while stop is None or not stop.is_set():
        pass


#: Competing work, as (CPU-bound processes, CPU-bound Python threads in this process). A thread competes
#: for this process's GIL, which the player thread must take back after every sleep.
LOADS = {"idle": (0, 0), "2 processes": (2, 0), "python thread": (0, 1)}


@contextlib.contextmanager
def competing(load: str):
    processes, threads = LOADS[load]
    stop = threading.Event()
    workers = [multiprocessing.Process(target=busy_loop, daemon=True) for _ in range(processes)]
    workers += [threading.Thread(target=busy_loop, args=(stop,), daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            if isinstance(worker, multiprocessing.Process):
                worker.terminate()
            worker.join()


def measure_one(spec, bars, tempo_bpm, scheduler, load, reader, sink):
    """Lateness in ms of every message of one run: ``{"arrival": array, ...}``."""
    with competing(load):
        reader.take()
        if scheduler == "naive":
            sent, scheduling = play_naively(spec, bars, sink, tempo_bpm)
        else:
            sent, scheduling = play_with_player(spec, bars, sink, tempo_bpm, realtime=scheduler == "deadline")
        time.sleep(0.05)  # the last messages are still in JACK's buffers
    expected = expected_messages(spec, bars)
    received = [(t, m) for t, m in reader.take() if m[0] in (NOTE_ON, NOTE_OFF)][:len(sent)]
    if [m for *_, m in sent] != [m for _, m in expected]:
        raise RuntimeError(f"{scheduler}: sent {len(sent)} messages, but the composition has {len(expected)} others")
    if len(received) != len(sent):
        raise RuntimeError(f"{scheduler}: {len(sent)} messages sent, {len(received)} received")
    # Each message is paired with the one sent in its place; one whose bytes differ was damaged on the way
    # (JACK's dummy driver after an overrun, under heavy load) and is counted.
    damaged = sum(a != b for (_, a), (*_, b) in zip(received, sent, strict=True))
    lateness = np.array([t - deadline for (t, _), (deadline, _, _) in zip(received, sent, strict=True)]) * 1e3
    send_lateness = np.array([at - deadline for deadline, at, _ in sent]) * 1e3
    bar = np.array([step for step, _ in expected]) // spec.steps
    return {"scheduler": scheduler, "scheduling": scheduling, "load": load, "arrival_ms": lateness,
            "send_ms": send_lateness, "damaged": damaged,
            "first_bar_ms": lateness[bar == 0], "last_bar_ms": lateness[bar == len(bars) - 1]}


SCHEDULERS = ("deadline", "deadline-normal-priority", "naive")


def measure(bars: int = 8, tempo_bpm: float = 300.0, loads=tuple(LOADS), schedulers=SCHEDULERS, seed: int = 0):
    """Run every scheduler at every load on a private JACK server; a list of result dicts."""
    spec = LaunchpadSpec()
    song = random_composition(spec, bars, seed)
    results = []
    with dummy_jack_server():
        reader = PortReader()
        try:
            with RtMidiSink.open(reader.port_name, api="jack", client_name="timing-player") as sink:
                time.sleep(0.2)  # JACK connects ports on its next cycles
                for load in loads:
                    for scheduler in schedulers:
                        results.append(measure_one(spec, song, tempo_bpm, scheduler, load, reader, sink))
        finally:
            reader.close()
    return results


def summary(result) -> dict:
    late = result["arrival_ms"]
    return {"p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99)), "max": float(late.max()),
            "send_p99": float(np.percentile(result["send_ms"], 99)),
            "first_bar_median": float(np.median(result["first_bar_ms"])),
            "last_bar_median": float(np.median(result["last_bar_ms"]))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=8, help="bars per condition (default 8)")
    parser.add_argument("--tempo", type=float, default=300.0, help="quarter notes per minute (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    spec = LaunchpadSpec()
    step_ms = step_seconds(spec, args.tempo) * 1e3
    print(f"{args.bars} bars of {spec.steps} steps at {args.tempo:g} BPM (step {step_ms:.2f} ms), "
          f"{os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.2f}")
    results = measure(args.bars, args.tempo, seed=args.seed)
    print(f"{'scheduler':26} {'thread':11} {'competing':13} {'events':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'bar 1 med':>9} {'last bar med':>12} {'send p99':>8} {'damaged':>7}")
    table = {}
    for result in results:
        s = table[result["scheduler"], result["load"]] = summary(result)
        print(f"{result['scheduler']:26} {result['scheduling']:11} {result['load']:13} "
              f"{len(result['arrival_ms']):>6} "
              f"{s['p50']:7.3f} {s['p99']:7.3f} {s['max']:7.3f} {s['first_bar_median']:9.3f} "
              f"{s['last_bar_median']:12.3f} {s['send_p99']:8.3f} {result['damaged']:7d}")
    for load in LOADS:
        naive, deadline = table["naive", load], table["deadline", load]
        print(f"{load}: naive sleep(step) p99 / deadline p99 = {naive['p99'] / deadline['p99']:.1f}x; "
              f"naive drifts {naive['last_bar_median'] - naive['first_bar_median']:.1f} ms over {args.bars} bars, "
              f"deadline {deadline['last_bar_median'] - deadline['first_bar_median']:.2f} ms")


if __name__ == "__main__":
    main()
