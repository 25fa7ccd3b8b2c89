"""The launchpad drawn in a pygame window: the button grid and the bar as a piano roll (:class:`LaunchpadView`).

Per pitch the grid shows the beat-pattern toggles and the offset buttons, lit as the state is, with the
last presses outlined; the piano roll shows the bar sounding now, what joins and leaves at the next bar
line, and a play head. Whoever owns the window says what one frame shows with a :class:`Scene`: the env's
``render_mode="human"`` (:mod:`gym_launchpad.envs.human`) and the play command's window
(``agents/play/window.py``, which adds its controls below) draw through this one view.

pygame is an optional dependency (``pip install gym_launchpad[ui]``), imported when a view opens.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.atomic_file import atomic_path
from gym_launchpad.grid import action_button, grid_shape
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.render import COLORS, note_name


class NoDisplayError(RuntimeError):
    """pygame found no display to open the window on; the message says what to do."""


#: The legend of what the grid and the roll show: ``(color, "fill" or "outline", text)``.
GRID_LEGEND = (("toggle_on", "fill", "pattern on"), ("offset_on", "fill", "offset bit on"),
               ("roll_on", "fill", "sounding now"), ("roll_joins", "outline", "joins at the next bar"),
               ("roll_leaves", "fill", "leaves at the next bar"), ("play_head", "fill", "play head"))


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


@dataclass(frozen=True)
class Scene:
    """What one frame shows.

    ``lit``: ``(rows, columns)`` bool, the buttons lit (:func:`gym_launchpad.grid.lit_buttons`);
    ``next_words``: the bar the state plays from the next bar line; ``playing_words``: the bar sounding
    now; ``play_head``: where in the bar the music is, as a fraction, or None when nothing plays;
    ``agent_action`` and ``human_action``: the last presses, outlined in red and green.
    """

    title: str
    subtitle: str
    lit: np.ndarray
    next_words: np.ndarray
    playing_words: np.ndarray
    play_head: float | None = None
    agent_action: int | None = None
    human_action: int | None = None


def import_pygame():
    try:
        with contextlib.redirect_stdout(None):  # pygame greets on import
            import pygame  # an optional dependency (gym_launchpad[ui]): only the window needs it
    except ImportError as error:
        raise DependencyNotInstalled("pygame is not installed: pip install gym_launchpad[ui]") from error
    return pygame


class LaunchpadView:
    """A pygame window showing the launchpad of ``spec``, with ``below`` pixels under the grid for the owner's
    own parts (controls, a legend). :meth:`draw` draws a :class:`Scene`; the owner flips the display."""

    def __init__(self, spec: LaunchpadSpec, *, caption: str, below: int = 0, layout: Layout = Layout()):
        pygame = import_pygame()
        self.pygame = pygame
        self.spec = spec
        self.layout = layout
        self.rows, self.cols = grid_shape(spec)
        self.below = below
        try:
            pygame.display.init()
            self.screen = pygame.display.set_mode(self.size())
        except pygame.error as error:
            raise NoDisplayError(f"no display to open the window on ({error}): set DISPLAY, or SDL_VIDEODRIVER=dummy "
                                 "to draw off screen") from error
        pygame.display.set_caption(caption)
        pygame.font.init()
        self.font = pygame.font.Font(None, 20)
        self.small = pygame.font.Font(None, 17)
        self.big = pygame.font.Font(None, 26)

    # --- geometry ------------------------------------------------------------------------------------
    def grid_origin(self) -> tuple[int, int]:
        lay = self.layout
        return lay.margin + lay.label_w, lay.margin + lay.title_h + lay.header_h

    def roll_x(self) -> int:
        lay = self.layout
        return self.grid_origin()[0] + self.cols * (lay.button_w + lay.gap) + lay.group_gap + lay.roll_gap

    def grid_bottom(self) -> int:
        """The first pixel row under the grid: the owner's part of the window starts a margin below."""
        return self.grid_origin()[1] + self.rows * self.layout.row_h

    def size(self) -> tuple[int, int]:
        lay = self.layout
        # Never narrower than the owner's controls and the legend, which do not shrink with the launchpad.
        width = max(self.roll_x() + self.spec.steps * lay.step_w + lay.margin, lay.min_width)
        return width, self.grid_bottom() + lay.margin + self.below

    def button_rect(self, row: int, col: int):
        """The rectangle of grid button ``(row, col)``; row 0, the lowest pitch, is drawn at the bottom."""
        lay = self.layout
        x0, y0 = self.grid_origin()
        x = x0 + col * (lay.button_w + lay.gap) + (lay.group_gap if col >= self.spec.n_patterns else 0)
        y = y0 + (self.rows - 1 - row) * lay.row_h
        return self.pygame.Rect(x, y + 1, lay.button_w, lay.row_h - 2)

    def button_at(self, pos) -> tuple[int, int] | None:
        for row in range(self.rows):
            for col in range(self.cols):
                if self.button_rect(row, col).collidepoint(pos):
                    return row, col
        return None

    # --- drawing -------------------------------------------------------------------------------------
    def draw(self, scene: Scene) -> None:
        """Clear the window and draw the title lines, the grid and the roll."""
        self.screen.fill(COLORS["background"])
        lay = self.layout
        self.text(scene.title, (lay.margin, lay.margin), self.big)
        self.text(scene.subtitle, (lay.margin, lay.margin + 26), self.font, "dim_text")
        self._draw_grid(scene)
        self._draw_roll(scene)

    def text(self, text, pos, font=None, color="text", anchor="topleft"):
        surface = (font or self.font).render(text, True, COLORS[color])
        rect = surface.get_rect(**{anchor: pos})
        self.screen.blit(surface, rect)
        return rect

    def legend(self, y: int, items, help_text: str = "") -> None:
        """A row of color swatches, each ``(color, "fill" or "outline", text)``, and a line of help under it."""
        pygame, x = self.pygame, self.layout.margin
        for color, style, text in items:
            swatch = pygame.Rect(x, y, 18, 14)
            pygame.draw.rect(self.screen, COLORS[color], swatch, width=2 if style == "outline" else 0, border_radius=3)
            x = self.text(text, (swatch.right + 6, swatch.centery), self.small, "dim_text", "midleft").right + 18
        if help_text:
            self.text(help_text, (self.layout.margin, y + 22), self.small, "dim_text")

    def screenshot(self, path) -> Path:
        path = Path(path)
        with atomic_path(path) as tmp:  # pygame reads the format from the suffix, which the temporary name keeps
            self.pygame.image.save(self.screen, str(tmp))
        return path

    def close(self) -> None:
        self.pygame.display.quit()

    def _draw_grid(self, scene: Scene):
        pygame, lay, spec = self.pygame, self.layout, self.spec
        x0, y0 = self.grid_origin()
        agent_button, human_button = _button_of(spec, scene.agent_action), _button_of(spec, scene.human_action)
        top = self.rows - 1
        toggles = self.button_rect(top, 0).union(self.button_rect(top, spec.n_patterns - 1))
        offsets = self.button_rect(top, spec.n_patterns).union(self.button_rect(top, self.cols - 1))
        self.text("patterns: step 0, every N steps", (toggles.centerx, y0 - 22), self.small, "dim_text", "midbottom")
        self.text("offset: + N steps", (offsets.centerx, y0 - 22), self.small, "dim_text", "midbottom")
        for col in range(self.cols):
            label = str(2 ** col if col else 0) if col < spec.n_patterns else f"+{2 ** (col - spec.n_patterns)}"
            self.text(label, (self.button_rect(top, col).centerx, y0 - 4), self.small, "dim_text", "midbottom")
        for row in range(self.rows):
            pitch = int(spec.pitches[row])
            name = note_name(pitch)
            rect = self.button_rect(row, 0)
            band = pygame.Rect(lay.margin, rect.y - 1, x0 - lay.margin - 4, lay.row_h)
            pygame.draw.rect(self.screen, COLORS["black_key" if "#" in name else "white_key"], band)
            self.text(name, (x0 - 8, rect.centery), self.small, "text" if pitch % 12 == 0 else "dim_text", "midright")
            for col in range(self.cols):
                rect = self.button_rect(row, col)
                color = f"{'toggle' if col < spec.n_patterns else 'offset'}_{'on' if scene.lit[row, col] else 'off'}"
                pygame.draw.rect(self.screen, COLORS[color], rect, border_radius=4)
                if (row, col) == human_button:
                    pygame.draw.rect(self.screen, COLORS["human"], rect.inflate(4, 2), width=2, border_radius=5)
                if (row, col) == agent_button:
                    pygame.draw.rect(self.screen, COLORS["agent"], rect.inflate(4, 2), width=3, border_radius=5)

    def _draw_roll(self, scene: Scene):
        pygame, lay, spec = self.pygame, self.layout, self.spec
        x0, y0 = self.roll_x(), self.grid_origin()[1]
        playing = spec.words_to_roll(scene.playing_words)
        upcoming = spec.words_to_roll(scene.next_words)
        self.text("the bar (64 steps, 4 beats)" if spec.steps == 64 else f"the bar ({spec.steps} steps)",
                  (x0, y0 - 22), self.small, "dim_text", "bottomleft")
        beat = max(spec.steps // 4, 1)
        for t in range(0, spec.steps, beat):
            self.text(f"beat {t // beat + 1}", (x0 + t * lay.step_w, y0 - 4), self.small, "dim_text", "bottomleft")
        for row in range(self.rows):
            y = y0 + (self.rows - 1 - row) * lay.row_h
            for t in range(spec.steps):
                now, nxt = playing[row, t], upcoming[row, t]
                color = ("roll_on" if now and nxt else "roll_leaves" if now else "roll_joins" if nxt
                         else "roll_beat" if t % beat == 0 else "roll_off")
                rect = pygame.Rect(x0 + t * lay.step_w, y + 1, lay.step_w - 1, lay.row_h - 2)
                pygame.draw.rect(self.screen, COLORS[color], rect, width=2 if color == "roll_joins" else 0)
        if scene.play_head is not None:
            x = x0 + int(scene.play_head * spec.steps * lay.step_w)
            pygame.draw.line(self.screen, COLORS["play_head"], (x, y0 - 2), (x, y0 + self.rows * lay.row_h), 3)


def _button_of(spec, action: int | None):
    return None if action is None else action_button(spec, action)
