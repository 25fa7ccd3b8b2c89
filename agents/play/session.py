"""The play session: one launchpad, played by a human and an agent together, heard live and recorded.

:class:`Session` is the one launchpad (a :class:`~gym_launchpad.envs.LaunchpadEnv`, so every press, human
or agent, is ``env.step(action)``), the agent, the player and the recording. Every front end drives it:
the pygame window (:mod:`agents.play.window`) only draws it and turns clicks into presses, the headless
loop ticks it, and a Novation Launchpad (:mod:`agents.play.novation`) presses its buttons. The player
(:class:`gym_launchpad.midi.live.MidiPlayer`) keeps time on its own thread; the front end never waits on the
audio.
"""

from __future__ import annotations

import queue
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agents import policies
from agents.rollout import SONG_TEMPO, presses_per_bar
from gym_launchpad.corpus import Corpus, CorpusSpecError
from gym_launchpad.grid import button_action, lit_buttons
from gym_launchpad.midi import check_midi_settings, render_audio, write_midi
from gym_launchpad.midi.live import PlaybackError

DEFAULT_TEMPO = SONG_TEMPO
TEMPO_STEP = 5.0
#: The tempo controls stay within these (quarter notes a minute).
TEMPO_RANGE = (20.0, 400.0)
SB3_ALGOS = policies.SB3_ALGOS
#: Who plays when no agent is named: the first of these that plays the corpus (:mod:`agents.policies`).
DEFAULT_AGENTS = policies.PLAY_DEFAULTS


class PlayError(Exception):
    """Bad input or a missing system part; the message says what is wrong and what to do."""


# --- the agent --------------------------------------------------------------------------------------
@dataclass
class Agent:
    """A policy with SB3's ``predict``, the env it plays, and a name to show."""

    policy: object
    env: object  # the unwrapped LaunchpadEnv the policy's observations come from
    label: str


def make_agent(choice: str | None, corpus=None, algo: str = "dqn", init: str = "triad", *,
               trust_pickle: bool = False) -> Agent:
    """The agent ``choice`` names (any name or path :func:`agents.policies.parse_policy` takes), or None: the
    first of :data:`DEFAULT_AGENTS` that plays this corpus. ``corpus`` is None (the shipped one), a path or a
    Corpus; the launchpad is built for the corpus's spec. ``trust_pickle``: see
    :func:`agents.policies.load_policy`."""
    if corpus is not None and not isinstance(corpus, Corpus):
        corpus = Corpus.load(corpus)  # once, so a bad file is one message whichever agent plays
    if choice is None:
        reasons = []
        for name in DEFAULT_AGENTS:
            try:
                agent = _load_agent(name, corpus, algo, init, False)
            except PlayError as error:
                reasons.append(f"{name}: {error}")
                continue
            if reasons:
                print(f"play: the {agent.label} plays instead of {'; '.join(reasons)}", file=sys.stderr)
            return agent
    return _load_agent(choice, corpus, algo, init, trust_pickle)


def _load_agent(choice: str, corpus, algo: str, init: str, trust_pickle: bool) -> Agent:
    try:
        loaded = policies.load_policy(choice, corpus, algo=algo, init=init, trust_pickle=trust_pickle)
    except (ValueError, FileNotFoundError, CorpusSpecError) as error:
        raise PlayError(str(error)) from error
    return Agent(loaded.policy, loaded.env.unwrapped, _label(loaded))


def _label(loaded: policies.LoadedPolicy) -> str:
    source = loaded.source
    task = "" if source.task == policies.LAUNCHPAD else " (DJ task)"
    if source.registered is not None:
        return f"{source.label} {source.kind}{task}"
    name = Path(source.source).name
    description = getattr(loaded.policy, "description", None)
    if description is None:
        return f"{type(loaded.policy).__name__} {name}"
    if source.task == policies.DJ:  # a dj agent's weights, of either head
        return f"learned dj{task} ({name})"
    if description.get("head") == "walk":
        return f"learned composer {policies.WALK_LABEL} ({name})"
    return f"learned {description.get('preset_name', '')} ({name})"


# --- the session ------------------------------------------------------------------------------------
@dataclass
class Timing:
    """How long the agent took to act, how late after each bar line the next bar was queued, and how long
    the window took to handle and draw each frame."""

    agent_s: list[float] = field(default_factory=list)
    queued_after_bar_line_s: list[float] = field(default_factory=list)
    frame_s: list[float] = field(default_factory=list)

    def summary(self, bar_s: float) -> str:
        def stats(values):
            ms = np.asarray(values) * 1000
            return f"median {np.median(ms):.1f} ms, max {ms.max():.1f} ms" if len(ms) else "none"

        text = (f"agent action: {stats(self.agent_s)}; next bar queued after the bar line: "
                f"{stats(self.queued_after_bar_line_s)} (a bar is {bar_s * 1000:.0f} ms)")
        return text + (f"; window frame: {stats(self.frame_s)}" if self.frame_s else "")


class Session:
    """One launchpad, played by a human and an agent, heard through a player, recorded bar by bar.

    Every press is ``env.step(action)`` on the one env, so rewards and infos stay right whoever presses.
    At each bar line the agent (when on) presses until the env's own bar line (the DJ task's
    ``presses_per_bar``, less any presses the human made since; one press on ``Launchpad-v0``), and the state
    is queued as the next bar.

    Drive a session from one thread: :meth:`press` for the human, :meth:`tick` often (it handles the bar
    lines the player reported from its own thread), or :meth:`play_offline` to compute bars with no
    player and no waiting.
    """

    def __init__(self, agent: Agent, *, agent_on: bool = True, tempo_bpm: float = DEFAULT_TEMPO, player=None,
                 recording: bool = True, seed: int | None = None, out: Path | None = None, wav: Path | None = None,
                 soundfont=None, program: int = 0):
        check_midi_settings(tempo_bpm, program, velocity=90, channel=0)
        self.agent = agent
        self.env = agent.env
        self.spec = self.env.launchpad
        self.agent_on = agent_on
        self.tempo_bpm = float(tempo_bpm)
        self.player = player
        self.recording = recording
        self.out, self.wav, self.soundfont, self.program = out, wav, soundfont, program
        self.obs, self.info = self.env.reset(seed=seed)
        self.recorded: list[np.ndarray] = []
        self.saved_bars = 0  # how many recorded bars the last save wrote
        self.bars_played = 0
        self.agent_actions = 0
        self.last_agent_action: int | None = None
        self.last_human_action: int | None = None
        self.playing_words = self.env.words.copy()  # the bar sounding now
        self.message = ""  # the last thing the session has to tell its user
        self.timing = Timing()
        self._bar_lines: queue.SimpleQueue = queue.SimpleQueue()

    # --- presses --------------------------------------------------------------------------------
    def press(self, action: int) -> None:
        """The human presses a button: one env step, heard from the next bar."""
        self.obs, _, _, _, self.info = self.env.step(action)
        self.last_human_action = int(action)
        self._queue()

    def press_button(self, row: int, col: int) -> None:
        self.press(button_action(self.spec, row, col))

    def lit(self) -> np.ndarray:
        return lit_buttons(self.env.state)

    # --- bars -------------------------------------------------------------------------------------
    def on_bar_start(self, bar_index: int, words: np.ndarray) -> None:
        """The player's ``on_bar_start``: runs on the player's thread, so it only posts the bar line."""
        self._bar_lines.put((words, time.perf_counter()))

    def tick(self) -> int:
        """Handle the bar lines reported since the last tick; returns how many.

        Raises :class:`~gym_launchpad.midi.live.PlaybackError` once the player has stopped on an error (a MIDI
        port that went away), since no bar line will come again.
        """
        if self.player is not None and self.player.error is not None:
            raise PlaybackError(f"the MIDI player stopped on an error: {self.player.error}") from self.player.error
        handled = 0
        while True:
            try:
                words, reported = self._bar_lines.get_nowait()
            except queue.Empty:
                return handled
            self._bar_line(words)
            self.timing.queued_after_bar_line_s.append(time.perf_counter() - reported)
            handled += 1

    def play_offline(self, bars: int) -> None:
        """Play ``bars`` bars with no player and no waiting: each bar is the state at its bar line."""
        for _ in range(bars):
            self._bar_line(self.env.words.copy())

    def _bar_line(self, words: np.ndarray) -> None:
        self.playing_words = words
        self.bars_played += 1
        if self.recording:
            self.recorded.append(words)
        if self.agent_on:
            self._agent_acts()
        self._queue()

    def _agent_acts(self) -> None:
        start = time.perf_counter()
        for _ in range(self._presses_to_bar_line()):
            action, _ = self.agent.policy.predict(self.obs, deterministic=True)
            action = int(np.asarray(action).reshape(-1)[0])
            self.obs, _, _, _, self.info = self.env.step(action)
            self.last_agent_action = action
            self.agent_actions += 1
        self.timing.agent_s.append(time.perf_counter() - start)

    def _presses_to_bar_line(self) -> int:
        """The presses from the env's state to its next bar line: ``presses_per_bar`` less the presses made
        since its last one (the human's), at least one."""
        presses = presses_per_bar(self.env)
        return presses - getattr(self.env, "phase", 0) % presses

    def _queue(self) -> None:
        if self.player is not None:
            self.player.queue_bar(self.env.words)

    # --- controls -------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.player is not None and self.player.paused

    def toggle_play(self) -> None:
        if self.player is None:
            return
        if self.player.paused:
            self.player.resume()
        else:
            self.player.pause()

    def toggle_agent(self) -> None:
        self.agent_on = not self.agent_on

    def toggle_record(self) -> None:
        self.recording = not self.recording

    def control(self, name: str) -> None:
        """One of the session's controls, by the name the window and the Launchpad share."""
        if name == "play":
            self.toggle_play()
        elif name == "agent":
            self.toggle_agent()
        elif name == "record":
            self.toggle_record()
        elif name == "save":
            self.save()
        elif name == "faster":
            self.change_tempo(TEMPO_STEP)
        elif name == "slower":
            self.change_tempo(-TEMPO_STEP)
        else:
            raise ValueError(f"unknown control {name!r}")

    def change_tempo(self, delta: float) -> None:
        tempo = min(max(self.tempo_bpm + delta, TEMPO_RANGE[0]), TEMPO_RANGE[1])
        self.tempo_bpm = tempo
        if self.player is not None:
            self.player.set_tempo(tempo)

    @property
    def bar_seconds(self) -> float:
        return 60.0 / self.tempo_bpm * 4

    def position(self) -> float | None:
        """Where the play head is, as a fraction of the bar; None when nothing plays."""
        if self.player is None or not self.player.running:
            return None
        bar, step = self.player.position
        return None if bar < 0 else (step + 0.5) / self.spec.steps

    def save(self) -> Path | None:
        """Write the recording to ``out`` (and render ``wav``); returns the .mid path, or None with nothing to save."""
        if not self.recorded:
            self.message = "nothing recorded yet"
            return None
        out = self.out or Path(time.strftime("launchpad-%Y%m%d-%H%M%S.mid"))
        bars = np.array(self.recorded, dtype=np.uint64)
        write_midi(bars, out, self.spec, tempo_bpm=self.tempo_bpm, program=self.program, cells=self.env.corpus.cells)
        self.out, self.saved_bars = out, len(bars)
        self.message = f"saved {len(bars)} bar{'s' if len(bars) != 1 else ''} to {out}"
        if self.wav is not None:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = render_audio(out, self.wav, soundfont=self.soundfont)
            except (FileNotFoundError, RuntimeError, ValueError) as error:
                self.message += f"; no audio: {error}"
            else:
                self.message += f" and {result.seconds:.1f} s of audio to {result.path} ({result.backend})"
                self.message += "".join(f"; {w.message}" for w in caught)
        return out


