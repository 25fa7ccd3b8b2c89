"""The pygame window of a play session: the button grid, the bar as a piano roll, and the controls.

Per pitch the grid shows the beat-pattern toggles and the offset buttons, lit as the state is; the piano
roll shows the bar sounding now, what joins and leaves at the next bar line, and a play head. A click
presses a button (one ``env.step``); the controls and their keys run the session's controls.

The window depends only on gym_launchpad and pygame: it reads the session it draws through its attributes
(``env``, ``spec``, ``info``, ``agent``, ``player`` state, the last presses, the recording) and acts
through ``press_button``, ``control`` and ``tick``, so it can later draw an env's ``render_mode="human"``.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from gymnasium.error import DependencyNotInstalled

from gym_launchpad.grid import action_button, grid_shape
from gym_launchpad.render import describe_action, note_name


class NoDisplayError(RuntimeError):
    """pygame found no display to open the window on; the message says what to do."""


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
    """The pygame view of a session (:class:`agents.play.session.Session`): it draws, and turns clicks and keys
    into presses and controls.

    The loop is steppable: :meth:`frame` handles the pending events, ticks the session and the controller,
    and draws once, so a test can post events and run a few frames.
    """

    KEYS = {"space": "play", "a": "agent", "r": "record", "s": "save", "up": "faster", "down": "slower"}

    def __init__(self, session, controller=None, layout: Layout = Layout()):
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
            raise NoDisplayError(f"no display to open the window on ({error}): run with --headless, or set DISPLAY "
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
        self.session.control(name)

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
        rows, cols = self.controller.window.buttons_shown(self.session.spec)
        area = self.button_rect(rows[-1], cols[0]).union(self.button_rect(rows[0], cols[-1])).inflate(8, 6)
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



def _import_pygame():
    try:
        with contextlib.redirect_stdout(None):  # pygame greets on import
            import pygame  # an optional dependency (gym_launchpad[ui]): only the window needs it
    except ImportError as error:
        raise DependencyNotInstalled("pygame is not installed: pip install gym_launchpad[ui]") from error
    return pygame

