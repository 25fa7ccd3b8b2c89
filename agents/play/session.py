"""``python -m agents play``: the interactive launchpad, played by you and an agent together.

A pygame window shows the button grid (per pitch: the beat-pattern toggles and the offset buttons, lit
as the state is), the bar as a piano roll with a play head, and the controls. You click buttons at any
time; the agent (the pretrained agent by default, any SB3 model or baseline with ``--agent``) presses
one button per bar. The music plays live to a MIDI output port (``--port``, or a virtual port a synth
connects to) and is recorded; ``--out song.mid`` saves the recording, ``--wav`` renders it.

``--headless --bars 32 --out song.mid --wav song.wav`` plays with no window and no waiting: the agent
presses once per bar for 32 bars and the song is written. With ``--port`` a headless session plays live.
``--launchpad`` adds a Novation Launchpad (X or Mini MK3) as the controller (``agents.novation_controller``).

Structure: :class:`Session` is the one launchpad (a :class:`~gym_launchpad.envs.LaunchpadEnv`, so every
press, human or agent, is ``env.step(action)``), the agent, the player and the recording. Every front end
drives it: :class:`PlayWindow` only draws it and turns clicks into presses, the headless loop ticks it,
and the hardware controller presses its buttons. The player (:class:`gym_launchpad.live.MidiPlayer`) keeps
time on its own thread; the front end never waits on the audio.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.novation import action_button, button_action, grid_shape, lit_buttons
from gym_launchpad.render import describe_action, note_name

#: The authors' demo played 0.04 s per step: 64 steps of a 4/4 bar in 2.56 s, 93.75 quarter notes a minute.
DEFAULT_TEMPO = 93.75
TEMPO_STEP = 5.0
#: The tempo controls stay within these (quarter notes a minute).
TEMPO_RANGE = (20.0, 400.0)
BASELINE_NAMES = ("greedy", "random", "noop")
SB3_ALGOS = ("dqn", "ppo", "a2c")


class PlayError(Exception):
    """Bad input or a missing system part; the message says what is wrong and what to do."""


# --- the agent --------------------------------------------------------------------------------------
@dataclass
class Agent:
    """A policy with SB3's ``predict``, the env it plays, and a name to show."""

    policy: object
    env: object  # the unwrapped LaunchpadEnv the policy's observations come from
    label: str


def make_agent(choice: str | None, corpus=None, algo: str = "dqn", init: str = "triad") -> Agent:
    """The agent ``choice`` names: None (the pretrained agent, or greedy when there is none), a baseline
    name, a pretrained ``.safetensors`` file, or an SB3 ``.zip`` model. ``corpus`` is None (the shipped
    one), a path or a Corpus; the launchpad is built for the corpus's spec."""
    from gym_launchpad.corpus import Corpus, CorpusSpecError

    if corpus is not None and not isinstance(corpus, Corpus):
        corpus = Corpus.load(corpus)  # once, so a bad file is one message whichever agent plays
    if choice is None or choice == "pretrained":
        from agents import pretrained

        try:
            return _pretrained_agent(pretrained.DEFAULT_PRETRAINED, corpus, init)
        except (FileNotFoundError, pretrained.PretrainedMismatchError, CorpusSpecError) as error:
            if choice == "pretrained":
                raise PlayError(str(error)) from error
            print(f"play: no pretrained agent for this corpus ({error}); the greedy baseline plays instead",
                  file=sys.stderr)
            choice = "greedy"
    if choice in BASELINE_NAMES:
        from agents.baselines import make_baseline

        env = _launchpad_env(corpus, init)
        return Agent(make_baseline(choice, env), env, f"{choice} baseline")
    path = Path(choice)
    if path.suffix not in (".safetensors", ".zip"):
        raise PlayError(f"--agent {choice!r} is neither pretrained, a baseline ({', '.join(BASELINE_NAMES)}), "
                        "a .safetensors file from `python -m agents train`, nor an SB3 .zip model")
    if not path.is_file():
        raise PlayError(f"model file {path} does not exist")
    if path.suffix == ".safetensors":
        from agents import pretrained

        try:
            return _pretrained_agent(path, corpus, init)
        except (FileNotFoundError, pretrained.PretrainedMismatchError, CorpusSpecError) as error:
            raise PlayError(str(error)) from error
    return _sb3_agent(path, algo, corpus, init)


def _launchpad_env(corpus, init: str, obs_mode: str = "toggles"):
    from gym_launchpad.envs import LaunchpadEnv

    spec = corpus.spec.as_dict() if corpus is not None else {}
    return LaunchpadEnv(corpus=corpus, init=init, obs_mode=obs_mode, **spec)


def _pretrained_agent(path, corpus, init) -> Agent:
    from agents import pretrained

    agent = pretrained.load(path, corpus)
    env = agent.make_env(corpus, init=init).unwrapped
    return Agent(agent, env, f"pretrained {agent.description.get('preset_name', '')} ({Path(path).name})")


def _sb3_agent(path: Path, algo: str, corpus, init) -> Agent:
    try:
        import stable_baselines3
    except ImportError as error:
        raise DependencyNotInstalled("stable-baselines3 is not installed: pip install gym_launchpad[agents]") from error
    from gym_launchpad.envs.launchpad_env import OBS_MODES, observe

    try:
        model = getattr(stable_baselines3, algo.upper()).load(str(path), device="cpu")
    except Exception as error:  # SB3 raises many kinds for a file of another algorithm or a broken zip
        raise PlayError(f"{path} does not load as an SB3 {algo.upper()} model ({error}); pass --algo "
                        f"({', '.join(SB3_ALGOS)}) to name the algorithm it was trained with") from error
    env = _launchpad_env(corpus, init)
    state = env.state
    shapes = {mode: observe(env.launchpad, mode, state.masks, state.offsets, env.words).shape for mode in OBS_MODES}
    for mode, shape in shapes.items():
        if model.observation_space.shape == shape and model.action_space == env.action_space:
            if mode != env.obs_mode:
                env = _launchpad_env(env.corpus, init, mode)
            return Agent(model, env, f"{algo.upper()} {path.name}")
    raise PlayError(
        f"{path} was trained for observations of shape {model.observation_space.shape} and actions "
        f"{model.action_space}, but this launchpad ({env.launchpad}) has actions {env.action_space} and "
        f"observations of shape {', '.join(f'{shape} ({mode})' for mode, shape in shapes.items())}: "
        "it is a model for another launchpad spec"
    )


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
    At each bar line the agent (when on) presses once, and the state is queued as the next bar.

    Drive a session from one thread: :meth:`press` for the human, :meth:`tick` often (it handles the bar
    lines the player reported from its own thread), or :meth:`play_offline` to compute bars with no
    player and no waiting.
    """

    def __init__(self, agent: Agent, *, agent_on: bool = True, tempo_bpm: float = DEFAULT_TEMPO, player=None,
                 recording: bool = True, seed: int | None = None, out: Path | None = None, wav: Path | None = None,
                 soundfont=None, program: int = 0):
        from gym_launchpad.midi import check_midi_settings

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

        Raises :class:`~gym_launchpad.live.PlaybackError` once the player has stopped on an error (a MIDI
        port that went away), since no bar line will come again.
        """
        if self.player is not None and self.player.error is not None:
            from gym_launchpad.live import PlaybackError

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
        action, _ = self.agent.policy.predict(self.obs, deterministic=True)
        action = int(np.asarray(action).reshape(-1)[0])
        self.obs, _, _, _, self.info = self.env.step(action)
        self.timing.agent_s.append(time.perf_counter() - start)
        self.last_agent_action = action
        self.agent_actions += 1

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
        from gym_launchpad.midi import render_audio, write_midi

        if not self.recorded:
            self.message = "nothing recorded yet"
            return None
        out = self.out or Path(time.strftime("launchpad-%Y%m%d-%H%M%S.mid"))
        bars = np.array(self.recorded, dtype=np.uint64)
        write_midi(bars, out, self.spec, tempo_bpm=self.tempo_bpm, program=self.program)
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


# --- the window -------------------------------------------------------------------------------------
COLORS = {
    "background": (22, 22, 28),
    "text": (225, 225, 230),
    "dim_text": (140, 140, 155),
    "black_key": (30, 30, 36),
    "white_key": (44, 44, 52),
    "toggle_off": (62, 58, 52),
    "toggle_on": (250, 170, 40),
    "offset_off": (48, 54, 76),
    "offset_on": (90, 160, 250),
    "agent": (235, 60, 60),
    "human": (80, 220, 120),
    "roll_off": (36, 36, 44),
    "roll_beat": (50, 50, 62),
    "roll_playing": (235, 235, 240),
    "roll_joins": (250, 170, 40),
    "roll_leaves": (110, 110, 120),
    "play_head": (80, 220, 120),
    "control": (58, 58, 72),
    "control_on": (70, 120, 90),
    "record_on": (150, 50, 50),
    "launchpad_window": (200, 120, 250),
}


@dataclass(frozen=True)
class Layout:
    """Where everything is drawn, in pixels."""

    margin: int = 16
    title_h: int = 52
    header_h: int = 40
    label_w: int = 44
    button_w: int = 26
    row_h: int = 22
    gap: int = 3
    group_gap: int = 12
    roll_gap: int = 28
    step_w: int = 11
    control_h: int = 34
    legend_h: int = 54
    min_width: int = 1060


class PlayWindow:
    """The pygame view of a session: it draws, and turns clicks and keys into presses and controls.

    The loop is steppable: :meth:`frame` handles the pending events, ticks the session and the controller,
    and draws once, so a test can post events and run a few frames.
    """

    KEYS = {"space": "play", "a": "agent", "r": "record", "s": "save", "up": "faster", "down": "slower"}

    def __init__(self, session: Session, controller=None, layout: Layout = Layout()):
        pygame = _import_pygame()
        self.pygame = pygame
        self.session = session
        self.controller = controller
        self.layout = layout
        self.rows, self.cols = grid_shape(session.spec)
        try:
            pygame.display.init()
            self.screen = pygame.display.set_mode(self._size())
        except pygame.error as error:
            raise PlayError(f"no display to open the window on ({error}): run with --headless, or set DISPLAY "
                            "(SDL_VIDEODRIVER=dummy draws off screen)") from error
        pygame.display.set_caption("gym_launchpad: play")
        pygame.font.init()
        self.font = pygame.font.Font(None, 20)
        self.small = pygame.font.Font(None, 17)
        self.big = pygame.font.Font(None, 26)
        self.controls = self._control_rects()
        self.quit = False
        self.frames = 0

    # --- geometry ------------------------------------------------------------------------------------
    def _grid_origin(self) -> tuple[int, int]:
        lay = self.layout
        return lay.margin + lay.label_w, lay.margin + lay.title_h + lay.header_h

    def _roll_x(self) -> int:
        lay = self.layout
        return self._grid_origin()[0] + self.cols * (lay.button_w + lay.gap) + lay.group_gap + lay.roll_gap

    def _size(self) -> tuple[int, int]:
        lay = self.layout
        # Never narrower than the controls and the legend, which do not shrink with the launchpad.
        width = max(self._roll_x() + self.session.spec.steps * lay.step_w + lay.margin, lay.min_width)
        height = self._grid_origin()[1] + self.rows * lay.row_h + lay.margin + lay.control_h + lay.legend_h + lay.margin
        return width, height

    def button_rect(self, row: int, col: int):
        """The rectangle of grid button ``(row, col)``; row 0, the lowest pitch, is drawn at the bottom."""
        lay = self.layout
        x0, y0 = self._grid_origin()
        x = x0 + col * (lay.button_w + lay.gap) + (lay.group_gap if col >= self.session.spec.n_patterns else 0)
        y = y0 + (self.rows - 1 - row) * lay.row_h
        return self.pygame.Rect(x, y + 1, lay.button_w, lay.row_h - 2)

    def button_at(self, pos) -> tuple[int, int] | None:
        for row in range(self.rows):
            for col in range(self.cols):
                if self.button_rect(row, col).collidepoint(pos):
                    return row, col
        return None

    def _control_rects(self) -> dict:
        lay = self.layout
        y = self._grid_origin()[1] + self.rows * lay.row_h + lay.margin
        widths = {"play": 120, "agent": 150, "slower": 110, "faster": 110, "record": 130, "save": 110}
        rects, x = {}, lay.margin
        for name, width in widths.items():
            rects[name] = self.pygame.Rect(x, y, width, lay.control_h)
            x += width + 10
        return rects

    # --- the loop ------------------------------------------------------------------------------------
    def handle(self, event) -> None:
        pygame = self.pygame
        if event.type == pygame.QUIT:
            self.quit = True
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            button = self.button_at(event.pos)
            if button is not None:
                self.session.press_button(*button)
                return
            for name, rect in self.controls.items():
                if rect.collidepoint(event.pos):
                    self.control(name)
        elif event.type == pygame.KEYDOWN:
            key = pygame.key.name(event.key)
            if key in ("escape", "q"):
                self.quit = True
            elif key in self.KEYS:
                self.control(self.KEYS[key])

    def control(self, name: str) -> None:
        run_control(self.session, name)

    def frame(self) -> None:
        start = time.perf_counter()
        for event in self.pygame.event.get():
            self.handle(event)
        self.session.tick()
        if self.controller is not None:
            self.controller.poll()
        self.draw()
        self.pygame.display.flip()
        self.frames += 1
        self.session.timing.frame_s.append(time.perf_counter() - start)

    def run_frames(self, n: int) -> None:
        for _ in range(n):
            self.frame()

    def run(self, max_frames: int | None = None, fps: int = 60) -> None:
        clock = self.pygame.time.Clock()
        while not self.quit and (max_frames is None or self.frames < max_frames):
            self.frame()
            clock.tick(fps)

    def screenshot(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pygame.image.save(self.screen, str(path))
        return path

    def close(self) -> None:
        self.pygame.display.quit()

    # --- drawing -------------------------------------------------------------------------------------
    def draw(self) -> None:
        self.screen.fill(COLORS["background"])
        self._draw_title()
        self._draw_grid()
        self._draw_roll()
        self._draw_controls()
        self._draw_legend()

    def _text(self, text, pos, font=None, color="text", anchor="topleft"):
        surface = (font or self.font).render(text, True, COLORS[color])
        rect = surface.get_rect(**{anchor: pos})
        self.screen.blit(surface, rect)
        return rect

    def _draw_title(self):
        session, lay = self.session, self.layout
        info = session.info
        state = "paused" if session.paused else ("playing" if session.player is not None else "offline")
        self._text(f"gym_launchpad  |  bar {session.bars_played}  |  {state}  |  {session.tempo_bpm:g} BPM",
                   (lay.margin, lay.margin), self.big)
        agent = f"agent: {session.agent.label} ({'on' if session.agent_on else 'off'})"
        last = ("none yet" if session.last_agent_action is None
                else describe_action(session.spec, session.last_agent_action))
        distance = (f"distance to the nearest corpus bar {info['distance']} (best reachable {info['best_distance']})"
                    f"  |  {agent}, last press: {last}")
        self._text(distance, (lay.margin, lay.margin + 26), self.font, "dim_text")

    def _draw_grid(self):
        pygame, session, lay, spec = self.pygame, self.session, self.layout, self.session.spec
        x0, y0 = self._grid_origin()
        lit = session.lit()
        agent_button, human_button = (_button_of(spec, session.last_agent_action),
                                      _button_of(spec, session.last_human_action))
        top = self.rows - 1
        toggles = self.button_rect(top, 0).union(self.button_rect(top, spec.n_patterns - 1))
        offsets = self.button_rect(top, spec.n_patterns).union(self.button_rect(top, self.cols - 1))
        self._text("patterns: step 0, every N steps", (toggles.centerx, y0 - 22), self.small, "dim_text", "midbottom")
        self._text("offset: + N steps", (offsets.centerx, y0 - 22), self.small, "dim_text", "midbottom")
        for col in range(self.cols):
            label = str(2 ** col if col else 0) if col < spec.n_patterns else f"+{2 ** (col - spec.n_patterns)}"
            self._text(label, (self.button_rect(top, col).centerx, y0 - 4), self.small, "dim_text", "midbottom")
        for row in range(self.rows):
            pitch = int(spec.pitches[row])
            name = note_name(pitch)
            rect = self.button_rect(row, 0)
            band = pygame.Rect(lay.margin, rect.y - 1, x0 - lay.margin - 4, lay.row_h)
            pygame.draw.rect(self.screen, COLORS["black_key" if "#" in name else "white_key"], band)
            self._text(name, (x0 - 8, rect.centery), self.small, "text" if pitch % 12 == 0 else "dim_text", "midright")
            for col in range(self.cols):
                rect = self.button_rect(row, col)
                color = f"{'toggle' if col < spec.n_patterns else 'offset'}_{'on' if lit[row, col] else 'off'}"
                pygame.draw.rect(self.screen, COLORS[color], rect, border_radius=4)
                if (row, col) == human_button:
                    pygame.draw.rect(self.screen, COLORS["human"], rect.inflate(4, 2), width=2, border_radius=5)
                if (row, col) == agent_button:
                    pygame.draw.rect(self.screen, COLORS["agent"], rect.inflate(4, 2), width=3, border_radius=5)
        if self.controller is not None:
            self._draw_launchpad_window()

    def _draw_launchpad_window(self):
        """Outline the part of the grid a connected Launchpad's pads show."""
        from gym_launchpad.novation import PADS

        window = self.controller.window
        top = min(window.row + PADS, self.rows) - 1
        right = min(window.col + PADS, self.cols) - 1
        area = self.button_rect(top, window.col).union(self.button_rect(window.row, right)).inflate(8, 6)
        self.pygame.draw.rect(self.screen, COLORS["launchpad_window"], area, width=2, border_radius=6)

    def _draw_roll(self):
        pygame, session, lay, spec = self.pygame, self.session, self.layout, self.session.spec
        x0, y0 = self._roll_x(), self._grid_origin()[1]
        playing = spec.words_to_roll(session.playing_words)
        state = spec.words_to_roll(session.env.words)
        self._text("the bar (64 steps, 4 beats)" if spec.steps == 64 else f"the bar ({spec.steps} steps)",
                   (x0, y0 - 22), self.small, "dim_text", "bottomleft")
        beat = max(spec.steps // 4, 1)
        for t in range(0, spec.steps, beat):
            self._text(f"beat {t // beat + 1}", (x0 + t * lay.step_w, y0 - 4), self.small, "dim_text", "bottomleft")
        for row in range(self.rows):
            y = y0 + (self.rows - 1 - row) * lay.row_h
            for t in range(spec.steps):
                now, nxt = playing[row, t], state[row, t]
                color = ("roll_playing" if now and nxt else "roll_leaves" if now else "roll_joins" if nxt
                         else "roll_beat" if t % beat == 0 else "roll_off")
                rect = pygame.Rect(x0 + t * lay.step_w, y + 1, lay.step_w - 1, lay.row_h - 2)
                if color == "roll_joins":
                    pygame.draw.rect(self.screen, COLORS[color], rect, width=2)
                else:
                    pygame.draw.rect(self.screen, COLORS[color], rect)
        position = session.position()
        if position is not None:
            x = x0 + int(position * spec.steps * lay.step_w)
            pygame.draw.line(self.screen, COLORS["play_head"], (x, y0 - 2), (x, y0 + self.rows * lay.row_h), 3)

    def _draw_controls(self):
        session = self.session
        labels = {
            "play": ("Play [space]" if session.paused else "Pause [space]", not session.paused),
            "agent": (f"Agent {'on' if session.agent_on else 'off'} [A]", session.agent_on),
            "slower": ("Tempo - [down]", False),
            "faster": ("Tempo + [up]", False),
            "record": (f"Record {'on' if session.recording else 'off'} [R]", session.recording),
            "save": ("Save [S]", False),
        }
        for name, rect in self.controls.items():
            text, on = labels[name]
            color = ("record_on" if name == "record" else "control_on") if on else "control"
            self.pygame.draw.rect(self.screen, COLORS[color], rect, border_radius=6)
            self._text(text, rect.center, self.font, "text", "center")
        last = self.controls["save"]
        status = session.message or f"recorded {len(session.recorded)} bars"
        self._text(status, (last.right + 14, last.centery), self.font, "dim_text", "midleft")

    def _draw_legend(self):
        pygame, lay = self.pygame, self.layout
        y = self.controls["play"].bottom + 12
        items = [("toggle_on", "fill", "pattern on"), ("offset_on", "fill", "offset bit on"),
                 ("agent", "outline", "agent's last press"), ("human", "outline", "your last press"),
                 ("roll_playing", "fill", "sounding now"), ("roll_joins", "outline", "joins at the next bar"),
                 ("roll_leaves", "fill", "leaves at the next bar"), ("play_head", "fill", "play head")]
        x = lay.margin
        for color, style, text in items:
            swatch = pygame.Rect(x, y, 18, 14)
            pygame.draw.rect(self.screen, COLORS[color], swatch, width=2 if style == "outline" else 0, border_radius=3)
            x = self._text(text, (swatch.right + 6, swatch.centery), self.small, "dim_text", "midleft").right + 18
        help_text = "Click a button to press it; the agent presses one button per bar; Esc quits."
        if self.controller is not None:
            help_text += " The outlined area is on the Launchpad's pads (arrows page)."
        self._text(help_text, (lay.margin, y + 22), self.small, "dim_text")


def _button_of(spec, action: int | None):
    return None if action is None else action_button(spec, action)


def run_control(session: Session, name: str) -> None:
    """One of the session's controls, by the name the window and the Launchpad share."""
    if name == "play":
        session.toggle_play()
    elif name == "agent":
        session.toggle_agent()
    elif name == "record":
        session.toggle_record()
    elif name == "save":
        session.save()
    elif name == "faster":
        session.change_tempo(TEMPO_STEP)
    elif name == "slower":
        session.change_tempo(-TEMPO_STEP)
    else:
        raise ValueError(f"unknown control {name!r}")


def _import_pygame():
    try:
        with contextlib.redirect_stdout(None):  # pygame greets on import
            import pygame
    except ImportError as error:
        raise DependencyNotInstalled("pygame is not installed: pip install gym_launchpad[ui]") from error
    return pygame


# --- the command ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agents play",
                                     description="The interactive launchpad, played by you and an agent together; "
                                                 "see docs/play.md.")
    parser.add_argument("--agent", default=None,
                        help="'pretrained', a baseline (greedy, random, noop), a .safetensors file from "
                             "`python -m agents train`, or an SB3 .zip model (default: the pretrained agent, or "
                             "greedy when there is none)")
    parser.add_argument("--algo", choices=SB3_ALGOS, default="dqn",
                        help="the SB3 algorithm of a .zip model (default: dqn)")
    parser.add_argument("--no-agent", action="store_true", help="start with the agent off (press A to switch it on)")
    parser.add_argument("--corpus", default=None, help="corpus .npz (default: the shipped Bach chorales)")
    parser.add_argument("--init", choices=("triad", "empty", "random"), default="triad",
                        help="the starting state (default: triad)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the starting state")
    parser.add_argument("--bpm", type=float, default=DEFAULT_TEMPO,
                        help=f"tempo in quarter notes a minute (default: {DEFAULT_TEMPO})")
    parser.add_argument("--program", type=int, default=0, help="General MIDI program (instrument) 0-127 (default: 0)")
    parser.add_argument("--port", default=None,
                        help="MIDI output port to play to (a part of its name will do); default: open a virtual "
                             "port 'gym_launchpad:out' that a synthesizer connects to")
    parser.add_argument("--synth", action="store_true",
                        help="start FluidSynth with a General MIDI soundfont (--soundfont) and play to it")
    parser.add_argument("--api", default=None, help="MIDI system: auto, alsa, jack, coremidi "
                                                    "(default: $GYM_LAUNCHPAD_MIDI_API, else auto)")
    parser.add_argument("--out", type=Path, default=None, help="save the recording to this .mid file on exit")
    parser.add_argument("--wav", type=Path, default=None, help="also render the recording to this .wav file")
    parser.add_argument("--soundfont", default=None, help=".sf2 soundfont for --wav (default: a system GM one)")
    parser.add_argument("--headless", action="store_true", help="no window: play --bars bars and write --out")
    parser.add_argument("--bars", type=int, default=32, help="bars a headless session plays (default: 32)")
    parser.add_argument("--launchpad", nargs="?", const="", default=None, metavar="PORT",
                        help="use a Novation Launchpad X or Mini MK3 as the controller (PORT: part of its MIDI "
                             "port name; default: the first one found)")
    parser.add_argument("--launchpad-model", choices=("x", "mini"), default=None,
                        help="which Launchpad (default: told by its port name)")
    parser.add_argument("--frames", type=int, default=None, help="close the window after this many frames")
    parser.add_argument("--screenshot", type=Path, default=None, help="save a picture of the window on exit")
    return parser


def main(argv: list[str]) -> int:
    from gym_launchpad.corpus import CorpusError
    from gym_launchpad.live import MidiPortError, PlaybackError

    args = build_parser().parse_args(argv)
    session, code = None, 0
    try:
        _check_args(args)
        agent = make_agent(args.agent, args.corpus, args.algo, args.init)
        offline = args.headless and args.port is None and not args.synth and args.launchpad is None
        with contextlib.ExitStack() as stack:
            player = None if offline else _open_player(args, agent.env.launchpad, stack)
            session = Session(agent, agent_on=not args.no_agent, tempo_bpm=args.bpm, player=player, seed=args.seed,
                              out=args.out, wav=args.wav, soundfont=args.soundfont, program=args.program)
            controller = _open_controller(args, session, stack)
            print(f"play: {agent.label} on {agent.env.corpus!r}", file=sys.stderr)
            if offline:
                session.play_offline(args.bars)
            else:
                player.on_bar_start = session.on_bar_start
                player.queue_bar(session.env.words)
                player.start()
                if args.headless:
                    _run_live_headless(session, controller, args.bars)
                else:
                    _run_window(session, controller, args)
                print(f"play: {session.timing.summary(session.bar_seconds)}", file=sys.stderr)
    except (PlayError, CorpusError, MidiPortError) as error:
        print(f"play: {error}", file=sys.stderr)
        code = 2
    except PlaybackError as error:  # the MIDI port went away mid-session (a synth quit, JACK stopped)
        print(f"play: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("play: interrupted", file=sys.stderr)
        code = 130
    finally:
        if session is not None and args.out is not None and len(session.recorded) > session.saved_bars:
            session.save()
            print(f"play: {session.message}", file=sys.stderr)
    return code


def _check_args(args) -> None:
    if args.bars < 1:
        raise PlayError(f"--bars must be >= 1, got {args.bars}")
    if args.synth and args.port is not None:
        raise PlayError("--synth plays to the FluidSynth it starts: leave --port out, or --synth")
    if args.headless and args.out is None and args.port is None and not args.synth:
        raise PlayError("--headless needs somewhere for the music: --out song.mid, or --port NAME or --synth "
                        "to play live")
    if args.wav is not None and args.out is None:
        raise PlayError("--wav renders the recording saved to --out: give --out song.mid too")
    if args.out is not None and args.out.suffix.lower() not in (".mid", ".midi"):
        raise PlayError(f"--out {args.out} must be a .mid file")
    if args.out is not None and not args.out.parent.is_dir():
        raise PlayError(f"--out {args.out}: the folder {args.out.parent} does not exist")


class _SilentSink:
    """A sink for keeping time with no MIDI output: a session recorded to --out only."""

    def send(self, message) -> None:
        pass

    def close(self) -> None:
        pass


def _open_player(args, spec, stack):
    from gym_launchpad.live import MidiPlayer, MidiPortError, RtMidiSink

    if args.synth:
        args.port, args.api = _start_synth(args.soundfont, args.api, stack)
    try:
        sink = stack.enter_context(RtMidiSink.open(args.port, api=args.api))
        print(f"play: playing to MIDI port {sink.port_name!r} ({sink.api})", file=sys.stderr)
    except MidiPortError as error:
        if args.port is not None or args.out is None:
            hint = "To record without a MIDI port, leave --port out and give --out song.mid"
            raise PlayError(f"{error}. {hint}") from error
        print(f"play: no MIDI output ({error}); recording to {args.out} only", file=sys.stderr)
        sink = _SilentSink()
    except DependencyNotInstalled as error:
        if args.out is None:
            raise PlayError(str(error)) from error
        print(f"play: {error}; recording to {args.out} only", file=sys.stderr)
        sink = _SilentSink()
    player = MidiPlayer(spec, sink, tempo_bpm=args.bpm, program=args.program)
    stack.callback(player.stop)
    return player


#: FluidSynth's MIDI driver for each MIDI system (``fluidsynth -m``).
SYNTH_MIDI_DRIVERS = {"alsa": "alsa_seq", "jack": "jack", "coremidi": "coremidi"}


def _start_synth(soundfont, api: str | None, stack, timeout: float = 10.0) -> tuple[str, str]:
    """Start FluidSynth on the first MIDI system that works; returns its MIDI input port and that system.

    It runs until the session ends (``stack`` closes): then it is told to quit on its shell, so the
    player's last notes-off reach it first.
    """
    import subprocess
    import tempfile

    from gym_launchpad.live import MIDI_APIS, MidiPortError, list_output_ports, resolve_midi_api
    from gym_launchpad.midi import find_soundfont

    program = shutil.which("fluidsynth")
    if program is None:
        raise PlayError("--synth needs the fluidsynth program: apt-get install fluidsynth (brew install fluid-synth)")
    try:
        soundfont = find_soundfont(soundfont)
    except FileNotFoundError as error:
        raise PlayError(str(error)) from error
    name = resolve_midi_api(api)
    failures = []
    for system in list(MIDI_APIS) if name == "auto" else [name]:
        try:
            before = set(list_output_ports(system))
            break
        except MidiPortError as error:
            failures.append(str(error))
    else:
        raise PlayError(f"--synth found no MIDI system to connect FluidSynth on: {'; '.join(failures)}")
    # JACK: FluidSynth's audio goes to JACK too, connected to the speakers (-j).
    audio = ["-a", "jack", "-j"] if system == "jack" else []
    log = stack.enter_context(tempfile.TemporaryFile())  # a file, not a pipe: FluidSynth's messages never block it
    synth = subprocess.Popen([program, *audio, "-m", SYNTH_MIDI_DRIVERS[system], str(soundfont)],
                             stdin=subprocess.PIPE, stdout=log, stderr=log)
    stack.callback(_stop_synth, synth)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and synth.poll() is None:
        new = [port for port in list_output_ports(system) if port not in before and "fluid" in port.lower()]
        if new:
            print(f"play: started FluidSynth (pid {synth.pid}) with {soundfont}", file=sys.stderr)
            return new[0], system
        time.sleep(0.1)
    log.seek(0)
    output = log.read().decode(errors="replace").strip()
    raise PlayError(f"FluidSynth did not open a MIDI input on {system} within {timeout:g} s: {output or 'no output'}")


def _stop_synth(synth) -> None:
    import subprocess

    try:
        synth.communicate(b"quit\n", timeout=5)
    except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
        synth.kill()
        synth.wait()


def _open_controller(args, session, stack):
    if args.launchpad is None:
        return None
    from agents.novation_controller import NovationController

    controller = NovationController.open(session, args.launchpad or None, model=args.launchpad_model, api=args.api)
    stack.callback(controller.close)
    controller.start()
    print(f"play: {controller.model.name} on {controller.port_name!r} is the controller", file=sys.stderr)
    return controller


def _run_live_headless(session: Session, controller, bars: int, poll_s: float = 0.005) -> None:
    while session.bars_played < bars:
        session.tick()
        if controller is not None:
            controller.poll()
        time.sleep(poll_s)


def _run_window(session: Session, controller, args) -> None:
    window = PlayWindow(session, controller)
    try:
        window.run(max_frames=args.frames)
    finally:
        if args.screenshot is not None:
            print(f"play: wrote {window.screenshot(args.screenshot)}", file=sys.stderr)
        window.close()
