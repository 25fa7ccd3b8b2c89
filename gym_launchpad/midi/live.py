"""Real-time playback: bars played at a tempo to a MIDI output, on a clock that waits for nobody.

:class:`MidiPlayer` plays one bar after another on its own thread. Every step has an absolute deadline
on ``time.perf_counter()``; the thread sleeps until about a millisecond before it and spins for the
rest, so a late wake-up never shifts the steps after it (a plain ``sleep(step)`` drifts by every
wake-up's lateness, forever). Bars arrive through a one-bar slot, :meth:`MidiPlayer.queue_bar`, which
never blocks: the newest bar queued before the current bar's last step is the next bar, and when none
came the current bar plays again, as a live instrument keeps playing. The agent or a UI therefore never
waits on the audio and the audio never waits on them. Nothing is left sounding: every held note is
turned off on :meth:`~MidiPlayer.stop`, :meth:`~MidiPlayer.pause`, on an error in the player thread, and
at interpreter exit.

Where the messages go is a :class:`MidiSink`: :class:`~gym_launchpad.midi.ports.RtMidiSink` is a MIDI
output port through python-rtmidi (``pip install gym_launchpad[live]``), an existing port by name or a
virtual port it opens, over ALSA, JACK or CoreMIDI (:mod:`gym_launchpad.midi.ports` finds them);
:class:`RecordingSink` keeps ``(time, message)`` pairs in memory; :class:`SilentSink` drops them.

Example (``RtMidiSink`` from :mod:`gym_launchpad.midi.ports`)::

    with RtMidiSink.open("FLUID Synth") as sink, MidiPlayer(spec, sink, tempo_bpm=100) as player:
        player.queue_bar(state.words())
        player.start()
        while playing:
            player.wait_for_bar(player.position[0] + 1)   # once per bar
            state.apply(agent.act(state))
            player.queue_bar(state.words())
        player.save_midi("song.mid")
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.clock import CLOCK, CONTINUE, PULSES_PER_BAR, START, STOP, pulse_offsets
from gym_launchpad.midi.release import Release, check_release
from gym_launchpad.midi.write import check_bars, check_midi_settings, step_seconds, write_midi

NOTE_ON, NOTE_OFF, PROGRAM_CHANGE = 0x90, 0x80, 0xC0

#: How long before a deadline the player stops sleeping and spins: sleep wake-ups are late by up to
#: about a millisecond on a busy machine, a spin is exact but burns its CPU.
DEFAULT_SPIN_S = 0.001

#: Python's thread switch interval while a player plays (see ``MidiPlayer(gil_switch_s=)``).
GIL_SWITCH_S = 0.0005

#: The longest a player following a clock waits before looking again whether it was stopped.
FOLLOW_POLL_S = 0.02

#: Delay between start()/resume() and the first step, so that step's deadline is not already past.
START_LEAD_S = 0.005


class PlaybackError(RuntimeError):
    """The player thread stopped on an error (its notes were turned off); ``__cause__`` is the error."""


class MidiSink(Protocol):
    """Where a player's MIDI messages go: ``send`` one message (status byte first), ``close`` at the end."""

    def send(self, message: Sequence[int]) -> None: ...

    def close(self) -> None: ...


class RecordingSink:
    """A sink that keeps every message with its ``time.perf_counter()`` send time, in ``messages``."""

    def __init__(self):
        self.messages: list[tuple[float, tuple[int, ...]]] = []

    def send(self, message: Sequence[int]) -> None:
        self.messages.append((time.perf_counter(), tuple(message)))

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SilentSink:
    """A sink that drops every message: a player that only keeps time (a recording, a silent window)."""

    def send(self, message: Sequence[int]) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class PlayedEvent:
    """One message the player sent: its bar and step, the deadline it was due, and when it went out."""

    bar: int
    step: int
    deadline: float
    sent: float
    message: tuple[int, ...]


class MidiPlayer:
    """Plays bars at a tempo to a :class:`MidiSink`, on its own thread, against absolute deadlines.

    Args:
        spec: the launchpad spec of the bars.
        sink: where the MIDI messages go (closing it is the caller's business).
        tempo_bpm: quarter notes per minute; a bar is four quarters, so a step is ``60 / tempo * 4 / 2**B`` s.
        velocity, channel, program: of every note (``channel`` 0-15, ``program`` General MIDI 0-127).
        hold: a note sounding on consecutive steps is held (the default); ``False`` strikes every step.
        cells: what a bar's cells are: steps where notes ``"sounding"`` (the default) or struck notes,
            ``"onsets"`` (the DJ task's bars), each sounding until ``release`` ends it.
        release: how long a struck note of a bar of onsets sounds, a
            :class:`~gym_launchpad.midi.release.Release` or its name (None: the instrument's default,
            :data:`~gym_launchpad.midi.release.DEFAULT_RELEASE`). It is the rule :meth:`save_midi` and
            :func:`~gym_launchpad.midi.write.write_midi` write, applied step by step as the bars play.
        on_bar_start: called as ``on_bar_start(bar_index, words)`` when a bar's first step has been sent.
            It runs on a thread of its own, so a slow callback never delays the music.
        log_events: keep a :class:`PlayedEvent` for every message in ``event_log`` (timing studies, tests).
        spin_s: how long before each deadline the player stops sleeping and spins.
        realtime: ask the OS to run the player thread under the real-time policy ``SCHED_FIFO`` (Linux,
            and only where the process may: root, ``CAP_SYS_NICE`` or an rtprio limit, as audio users
            have). Without it a busy machine delays wake-ups by milliseconds; ``scheduling`` says which
            policy the thread got.
        gil_switch_s: while playing, lower Python's thread switch interval (``sys.setswitchinterval``,
            5 ms by default) to this, so that after each sleep the player gets the GIL back from a busy
            Python thread in a fraction of a millisecond instead of up to 5 ms. ``None`` leaves it alone.
        clock: a :class:`~gym_launchpad.midi.clock.MidiClockIn` to follow: the player waits for its start,
            plays each step when the clock's pulse for it comes (bar lines on the clock's bar lines, at the
            clock's tempo; ``tempo_bpm`` then only sets the tempo :meth:`save_midi` writes), falls silent on
            its stop and plays on from its position on continue.
        send_clock: lead instead: send MIDI clock (24 pulses a quarter) with the notes, a start before the
            first step and a stop on :meth:`pause` and :meth:`stop` (a continue on :meth:`resume`).

    The bar index counts bars since :meth:`start`; ``played_bars`` holds the words of each, repeats included,
    and :meth:`save_midi` writes them to a file.
    """

    def __init__(self, spec: LaunchpadSpec, sink: MidiSink, *, tempo_bpm: float = 120.0, velocity: int = 90,
                 channel: int = 0, program: int = 0, hold: bool = True, cells: str = "sounding",
                 release: Release | str | None = None,
                 on_bar_start: Callable[[int, np.ndarray], None] | None = None, log_events: bool = False,
                 spin_s: float = DEFAULT_SPIN_S, realtime: bool = True, gil_switch_s: float | None = GIL_SWITCH_S,
                 clock=None, send_clock: bool = False):
        check_midi_settings(tempo_bpm, program, velocity, channel)
        if clock is not None and send_clock:
            raise ValueError("a player either follows a clock (clock=) or sends its own (send_clock=True), not both")
        self.spec = spec
        self.sink = sink
        self.velocity, self.channel, self.program, self.hold = int(velocity), int(channel), int(program), hold
        self.cells, self.release = cells, check_release(cells, release)
        self.on_bar_start = on_bar_start
        self.spin_s = spin_s
        self.realtime = realtime
        self.gil_switch_s = gil_switch_s
        self.clock = clock
        # The clock pulses to send during each step, when leading.
        self._pulse_offsets = pulse_offsets(spec) if send_clock else None
        self._saved_switch_s: float | None = None
        self.scheduling = "not started"
        self.event_log: list[PlayedEvent] | None = [] if log_events else None
        self.played_bars: list[np.ndarray] = []
        self.error: BaseException | None = None
        self._tempo_bpm = float(tempo_bpm)
        self._step_s = step_seconds(spec, tempo_bpm)
        self._pending: np.ndarray | None = None
        self._lock = threading.Lock()
        self._bar_started = threading.Condition()
        self._wake = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._stopping = False
        self._position = (-1, -1)
        self._sounding: dict[int, int] = {}  # row -> the step (counted from the start) it was struck
        self._thread: threading.Thread | None = None
        self._callbacks: queue.SimpleQueue | None = None

    # --- control (any thread) ---------------------------------------------------------------------
    def start(self) -> MidiPlayer:
        """Send the program change and start playing; the first bar is the one queued (silence if none)."""
        if self._thread is not None:
            raise RuntimeError("this MidiPlayer has already been started; make a new one to play again")
        self.sink.send((PROGRAM_CHANGE | self.channel, self.program))
        if self.gil_switch_s is not None and sys.getswitchinterval() > self.gil_switch_s:
            self._saved_switch_s = sys.getswitchinterval()
            sys.setswitchinterval(self.gil_switch_s)
        if self.on_bar_start is not None:
            self._callbacks = queue.SimpleQueue()
            threading.Thread(target=self._deliver_callbacks, args=(self._callbacks, self.on_bar_start),
                             name="MidiPlayer callbacks", daemon=True).start()
        self._thread = threading.Thread(target=self._run, name="MidiPlayer", daemon=True)
        atexit.register(self._stop_at_exit)
        self._thread.start()
        return self

    def queue_bar(self, words) -> None:
        """Make ``words`` the next bar (replacing any bar queued before it). Never blocks."""
        bar = check_bars(words, self.spec)
        if len(bar) != 1:
            raise ValueError(f"queue_bar takes one bar of {self.spec.n_notes} words, got {len(bar)} bars")
        self._raise_if_failed()
        with self._lock:
            self._pending = bar[0].copy()

    def set_tempo(self, tempo_bpm: float) -> None:
        """Change the tempo from the next step on."""
        check_midi_settings(tempo_bpm, self.program, self.velocity, self.channel)
        with self._lock:
            self._tempo_bpm = float(tempo_bpm)
            self._step_s = step_seconds(self.spec, tempo_bpm)

    @property
    def tempo_bpm(self) -> float:
        return self._tempo_bpm

    def pause(self) -> None:
        """Stop at the next step with every note off; :meth:`resume` plays on from that step."""
        self._resumed.clear()
        self._wake.set()

    def resume(self) -> None:
        self._resumed.set()
        self._wake.set()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop playing and turn every sounding note off. Raises :class:`PlaybackError` if the player failed."""
        atexit.unregister(self._stop_at_exit)
        self._stopping = True
        self._wake.set()
        self._resumed.set()
        if self.clock is not None:
            with self.clock.changed:
                self.clock.changed.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._callbacks is not None:
            self._callbacks.put(None)
        # Restore the switch interval unless someone (another player) changed it since.
        if self._saved_switch_s is not None and sys.getswitchinterval() == self.gil_switch_s:
            sys.setswitchinterval(self._saved_switch_s)
        self._saved_switch_s = None
        self._raise_if_failed()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def position(self) -> tuple[int, int]:
        """``(bar_index, step)`` of the step sent last; ``(-1, -1)`` before the first."""
        return self._position

    def wait_for_bar(self, bar_index: int, timeout: float | None = None) -> bool:
        """Block until bar ``bar_index`` has started (True), the timeout passed or the player stopped (False)."""
        with self._bar_started:
            return self._bar_started.wait_for(
                lambda: self._position[0] >= bar_index or not self.running, timeout
            ) and self._position[0] >= bar_index

    def save_midi(self, path, *, join: bool | None = None):
        """Write the bars played so far to a ``.mid`` file at the current tempo; returns its path."""
        return write_midi(np.array(self.played_bars, dtype=np.uint64).reshape(-1, self.spec.n_notes), path,
                          self.spec, tempo_bpm=self._tempo_bpm, program=self.program, velocity=self.velocity,
                          channel=self.channel, join=self.hold if join is None else join, cells=self.cells,
                          release=self.release)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # An error in the body comes first; a playback error then surfaces only if the body was fine.
        if exc[0] is None:
            self.stop()
        else:
            with contextlib.suppress(PlaybackError):
                self.stop()

    def _stop_at_exit(self):
        with contextlib.suppress(PlaybackError):
            self.stop()

    def _raise_if_failed(self):
        if self.error is not None:
            raise PlaybackError(f"the MIDI player stopped on an error: {self.error}") from self.error

    # --- the player thread ------------------------------------------------------------------------
    def _run(self):
        self.scheduling = _raise_thread_priority() if self.realtime else "normal"
        try:
            self._play() if self.clock is None else self._follow()
        except BaseException as error:  # noqa: BLE001 - kept in self.error and raised by stop()/queue_bar()
            self.error = error
        finally:
            try:
                self._all_notes_off()
                self._send_clock(STOP)
            except Exception as error:  # noqa: BLE001 - a note left sounding is an error worth raising
                self.error = self.error or error
            with self._bar_started:
                self._bar_started.notify_all()

    def _play(self):
        steps, pulses = self.spec.steps, self._pulse_offsets
        bar_index, step = 0, 0
        words, step_rows = self._latch_bar(np.zeros(self.spec.n_notes, dtype=np.uint64))
        deadline = time.perf_counter() + START_LEAD_S
        self._send_clock(START)  # the next pulse, with the first step, is the downbeat
        while True:
            self._sleep_until(deadline)
            if self._stopping:
                return
            if not self._resumed.is_set():
                self._all_notes_off()
                self._send_clock(STOP)
                self._resumed.wait()
                if self._stopping:
                    return
                self._send_clock(CONTINUE)
                deadline = time.perf_counter() + START_LEAD_S
                continue
            now = time.perf_counter()
            with self._lock:
                step_s = self._step_s
            if now - deadline > step_s:
                # A stall longer than a step (a suspended laptop, a debugger): play on from now rather than
                # rushing through the missed steps.
                deadline = now
            if pulses is not None and pulses[step][:1] == (0.0,):
                self._send_clock(CLOCK)  # the pulse on the step goes first: it marks the step's time
            self._play_step(bar_index, step, deadline, step_rows[step], words if step == 0 else None)
            for offset in pulses[step] if pulses is not None else ():
                if offset > 0:  # every pulse of a step sent, even on a pause: a follower counts them
                    self._sleep_until(deadline + offset * step_s)
                    if self._stopping:
                        break
                    self._send_clock(CLOCK)
            step += 1
            if step == steps:
                bar_index, step = bar_index + 1, 0
                words, step_rows = self._latch_bar(words)
            deadline += step_s

    def _follow(self):
        """Play each step when the followed clock's pulse for it comes (``clock=``)."""
        clock, steps = self.clock, self.spec.steps
        per_step = PULSES_PER_BAR / steps
        words, step_rows = self._latch_bar(np.zeros(self.spec.n_notes, dtype=np.uint64))
        bar_index, generation = -1, None
        step_number, last_bar = 0, None  # steps counted from the clock's first downbeat; the bar of the last sent
        while not self._stopping:
            if generation != clock.generation or not self._resumed.is_set():
                # The clock started, stopped, continued or jumped, or we paused: silence, then find our place.
                self._all_notes_off()
                if not self._resumed.is_set():
                    self._resumed.wait()
                generation, last_bar = clock.generation, None
                step_number = math.ceil(clock.position / per_step)
            deadline = clock.time_of(step_number * per_step)
            now = time.perf_counter()
            if deadline is None or deadline - now > self.spin_s:
                clock.wait(FOLLOW_POLL_S if deadline is None else min(FOLLOW_POLL_S, deadline - now - self.spin_s))
                continue
            next_deadline = clock.time_of((step_number + 1) * per_step)
            if next_deadline is not None and now > next_deadline and clock.position > (step_number + 1) * per_step:
                step_number = math.ceil(clock.position / per_step)  # a stall: on from the clock's place
                continue
            bar, step = divmod(step_number, steps)
            new_bar = last_bar is None or bar != last_bar
            if new_bar:
                words, step_rows = self._latch_bar(words)
                bar_index += 1
            while time.perf_counter() < deadline:
                pass
            self._play_step(bar_index, step, deadline, step_rows[step], words if new_bar else None)
            last_bar, step_number = bar, step_number + 1

    def _play_step(self, bar_index: int, step: int, deadline: float, rows: frozenset, new_bar: np.ndarray | None):
        """Send a step's notes; ``new_bar`` is the bar's words when the step begins a bar."""
        self._send_step(bar_index, step, deadline, rows)
        self._position = (bar_index, step)
        if new_bar is not None:
            self.played_bars.append(new_bar)
            with self._bar_started:
                self._bar_started.notify_all()
            if self._callbacks is not None:
                self._callbacks.put((bar_index, new_bar))

    def _send_clock(self, status: int):
        if self._pulse_offsets is not None:
            self._send(*self._position, time.perf_counter(), (status,))

    def _latch_bar(self, current: np.ndarray):
        """The next bar (the queued one, else ``current`` again) and the rows sounding at each of its steps."""
        with self._lock:
            words, self._pending = (self._pending, None) if self._pending is not None else (current, None)
        roll = self.spec.words_to_roll(words)
        return words, [frozenset(np.flatnonzero(roll[:, t]).tolist()) for t in range(self.spec.steps)]

    def _sleep_until(self, deadline: float):
        coarse = deadline - self.spin_s - time.perf_counter()
        if coarse > 0 and self._wake.wait(coarse):
            self._wake.clear()
            if self._stopping or not self._resumed.is_set():
                return
            # A resume() while playing also wakes us: sleep on to the same deadline.
            return self._sleep_until(deadline)
        while time.perf_counter() < deadline:
            pass

    def _send_step(self, bar_index: int, step: int, deadline: float, rows: frozenset):
        sounding, now = self._sounding, bar_index * self.spec.steps + step
        ending: Collection[int]
        if self.release is not None:  # bars of onsets: every lit cell strikes; the release ends notes
            ending, starting = self.release.ends(sounding, rows, now, self.spec.steps), rows
        elif self.hold:
            ending, starting = sounding.keys() - rows, rows - sounding.keys()
        else:
            ending, starting = list(sounding), rows
        low = self.spec.low_note
        for row in sorted(ending):
            self._send(bar_index, step, deadline, (NOTE_OFF | self.channel, low + row, 0))
            del sounding[row]
        for row in sorted(starting):
            self._send(bar_index, step, deadline, (NOTE_ON | self.channel, low + row, self.velocity))
            sounding[row] = now

    def _send(self, bar_index, step, deadline, message):
        self.sink.send(message)
        if self.event_log is not None:
            self.event_log.append(PlayedEvent(bar_index, step, deadline, time.perf_counter(), message))

    def _all_notes_off(self):
        """Send a note-off for every sounding note, each tried even when one fails; raises the first failure."""
        bar_index, step = self._position
        failure = None
        for row in sorted(self._sounding):
            try:
                self._send(bar_index, step, time.perf_counter(), (NOTE_OFF | self.channel, self.spec.low_note + row, 0))
            except Exception as error:  # noqa: BLE001 - the other notes must still be turned off
                failure = failure or error
        self._sounding.clear()
        if failure is not None:
            raise failure

    def _deliver_callbacks(self, callbacks: queue.SimpleQueue, on_bar_start: Callable[[int, np.ndarray], None]):
        while (item := callbacks.get()) is not None and not self._stopping:
            try:
                on_bar_start(*item)
            except Exception as error:  # noqa: BLE001 - a failing UI callback must not silence the music
                print(f"MidiPlayer: on_bar_start raised {error!r}", file=sys.stderr)


def _raise_thread_priority() -> str:
    """Put the calling thread under ``SCHED_FIFO`` if the OS lets us; returns the policy it runs under."""
    try:
        policy = os.SCHED_FIFO
        # A low real-time priority: above every normal thread, below JACK's and the kernel's audio threads.
        os.sched_setscheduler(0, policy, os.sched_param(min(10, os.sched_get_priority_max(policy))))
    except (AttributeError, OSError):  # not Linux, or no permission
        return "normal"
    return "SCHED_FIFO"
