"""MIDI clock: following a musician's DAW or drum machine, and the timing messages a leading player sends.

MIDI clock is 24 pulses (``0xF8``) per quarter note, sent by whoever leads; ``0xFA`` start (the next
pulse is the downbeat of bar 1), ``0xFC`` stop, ``0xFB`` continue (from where it stopped, or from the
song position a ``0xF2`` message set while stopped). A 4/4 bar is :data:`PULSES_PER_BAR` pulses.

:class:`MidiClockIn` listens to an input port (:func:`gym_launchpad.midi.ports.open_clock_input`, through
python-rtmidi, ``gym_launchpad[live]``) or is fed messages by hand (:meth:`MidiClockIn.receive`). It keeps
the song position in pulses and the arrival times of the latest pulses, and predicts when any later pulse
comes (:meth:`MidiClockIn.time_of`) from a line fitted through them: a pulse's arrival is late by an
irregular part of a MIDI system's cycle, and the fit averages that out.

A :class:`~gym_launchpad.midi.live.MidiPlayer` given ``clock=`` plays each step at the predicted time of
its pulse, so its bar lines land on the clock's bar lines and its tempo is the clock's; ``send_clock=True``
makes a player that keeps its own tempo lead instead (the pulses it sends in each step: :func:`pulse_offsets`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any

from gym_launchpad.launchpad import LaunchpadSpec

CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
PULSES_PER_QUARTER = 24
#: A bar is four quarters, as everywhere in gym_launchpad.
PULSES_PER_BAR = 4 * PULSES_PER_QUARTER
#: A song position pointer counts sixteenth notes.
PULSES_PER_SIXTEENTH = PULSES_PER_QUARTER // 4

#: How many of the latest pulses the tempo line is fitted through: half a beat, so a tempo change is
#: followed within half a beat, while each pulse's arrival jitter is averaged over twelve.
FIT_PULSES = 12


#: How often the port is polled: the most a start, a stop or a first pulse waits to be acted on (the pulses'
#: times come from the MIDI system's timestamps, not from the poll).
POLL_S = 0.0005

#: How far past the latest pulse the clock still predicts: a beat, so a sender that goes quiet without a
#: stop message silences a follower within a beat.
FREEWHEEL_PULSES = PULSES_PER_QUARTER


def pulse_offsets(spec: LaunchpadSpec) -> list[tuple[float, ...]]:
    """For each step of a bar, the pulses a leading player sends during it, as fractions of the step after
    its start (0.0: with the step's notes)."""
    per_step = PULSES_PER_BAR / spec.steps
    offsets = []
    for step in range(spec.steps):
        first, end = math.ceil(step * per_step), math.ceil((step + 1) * per_step)
        offsets.append(tuple(pulse / per_step - step for pulse in range(first, end)))
    return offsets


class MidiClockIn:
    """The clock a musician's gear sends: song position, running or stopped, and when each pulse comes.

    Open a port with :func:`gym_launchpad.midi.ports.open_clock_input`, or make one and feed it with
    :meth:`receive` (a test, another MIDI library). Every attribute is safe to read from any thread;
    ``changed`` is a Condition notified on every message.
    """

    def __init__(self, fit_pulses: int = FIT_PULSES):
        if fit_pulses < 2:
            raise ValueError(f"fit_pulses must be at least 2 (a line needs two points), got {fit_pulses}")
        self.changed = threading.Condition()
        #: Whether the clock runs (after start or continue, until stop).
        self.running = False
        #: The song position: the number of the next pulse, counted from the downbeat of the first bar.
        self.position = 0
        #: Counts starts, stops, continues and song position changes: where a follower must find its place again.
        self.generation = 0
        self._pulses: deque[tuple[int, float]] = deque(maxlen=fit_pulses)
        self._pulse_s: float | None = None  # the latest fitted pulse length, kept across stops
        self._port: Any = None  # an rtmidi MidiIn, from listen_to
        self._polling: threading.Thread | None = None
        self._closing = False
        self.port_name: str | None = None

    def listen_to(self, midi_in, port_name: str) -> None:
        """Take the messages of an open rtmidi ``MidiIn`` (made by :func:`gym_launchpad.midi.ports.open_clock_input`),
        which :meth:`close` closes.

        A thread of ours polls the port: no Python runs on the MIDI system's thread (an rtmidi callback
        there can deadlock or crash when the port closes). A message's arrival time comes from rtmidi's own
        timestamps, on the MIDI system's clock, placed on ``time.perf_counter()`` by the earliest poll that
        found a message: so the poll's own lateness does not count.
        """
        midi_in.ignore_types(sysex=True, timing=False, active_sense=True)  # rtmidi drops clock by default
        self._port, self.port_name = midi_in, port_name
        self._polling = threading.Thread(target=self._poll, name="MidiClockIn", daemon=True)
        self._polling.start()

    def _poll(self):
        port_time, offset = 0.0, math.inf  # seconds since the first message; perf_counter minus port time
        while not self._closing:
            item = self._port.get_message()
            if item is None:
                time.sleep(POLL_S)
                continue
            message, delta = item
            port_time += delta
            offset = min(offset, time.perf_counter() - port_time)
            self.receive(message, port_time + offset)

    def close(self) -> None:
        if self._polling is not None:  # listening, since listen_to
            self._closing = True
            self._polling.join()
            self._port.close_port()
            self._port.delete()
            self._port, self._polling = None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def receive(self, message, at: float) -> None:
        """Take one MIDI message that arrived at ``at`` (``time.perf_counter()``); other messages are ignored."""
        status = message[0]
        with self.changed:
            if status == CLOCK:
                if self.running:
                    self._pulses.append((self.position, at))
                    self.position += 1
                    self._pulse_s = self._fitted()[1] if len(self._pulses) > 1 else self._pulse_s
            elif status in (START, CONTINUE):
                self.running = True
                self.position = 0 if status == START else self.position
                self._pulses.clear()
                self.generation += 1
            elif status == STOP:
                self.running = False
                self.generation += 1
            elif status == SONG_POSITION and len(message) == 3:
                self.position = (message[1] | message[2] << 7) * PULSES_PER_SIXTEENTH
                self._pulses.clear()
                self.generation += 1
            else:
                return
            self.changed.notify_all()

    @property
    def tempo_bpm(self) -> float | None:
        """The clock's tempo from its latest pulses; None before two pulses came."""
        with self.changed:
            return None if self._pulse_s is None else 60.0 / (self._pulse_s * PULSES_PER_QUARTER)

    def time_of(self, pulse: float) -> float | None:
        """When pulse number ``pulse`` (fractional between pulses) comes or came, on ``time.perf_counter()``;
        None while stopped or before the clock can tell (no pulse since the start and no tempo known yet)."""
        with self.changed:
            if not self.running or not self._pulses:
                return None
            if len(self._pulses) == 1:
                number, at = self._pulses[0]
                if self._pulse_s is None:  # the first pulse ever: it tells when it is, not when the next comes
                    return at if pulse <= number else None
                return at + (pulse - number) * self._pulse_s
            if pulse - self._pulses[-1][0] > FREEWHEEL_PULSES:
                return None  # pulses stopped coming without a stop message: wait for them rather than guess on
            intercept, slope = self._fitted()
            return intercept + pulse * slope

    def _fitted(self) -> tuple[float, float]:
        """Least squares ``time = intercept + pulse * slope`` through the latest pulses."""
        n = len(self._pulses)
        mean_p = sum(p for p, _ in self._pulses) / n
        mean_t = sum(t for _, t in self._pulses) / n
        spread = sum((p - mean_p) ** 2 for p, _ in self._pulses)
        slope = sum((p - mean_p) * (t - mean_t) for p, t in self._pulses) / spread
        return mean_t - slope * mean_p, slope

    def wait(self, timeout: float) -> None:
        """Block until the next message or ``timeout`` seconds."""
        with self.changed:
            self.changed.wait(timeout)
