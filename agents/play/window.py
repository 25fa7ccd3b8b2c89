"""The pygame window of a play session: the launchpad as :class:`gym_launchpad.window.LaunchpadView` draws
it (the button grid and the bar as a piano roll, as the env's ``render_mode="human"`` shows it), and the
controls under it. A click presses a button (one ``env.step``); the controls and their keys run the
session's controls.

The window reads the session it draws through its attributes (``env``, ``spec``, ``info``, ``agent``,
``player`` state, the last presses, the recording) and acts through ``press_button``, ``control`` and ``tick``.
"""

from __future__ import annotations

import time

from gym_launchpad.grid import lit_buttons
from gym_launchpad.render import describe_action
from gym_launchpad.window import COLORS, GRID_LEGEND, LaunchpadView, Layout, NoDisplayError, Scene

#: The legend under the controls: the grid's, with whose press is outlined.
LEGEND = (*GRID_LEGEND[:2], ("agent", "outline", "agent's last press"), ("human", "outline", "your last press"),
          *GRID_LEGEND[2:])


class PlayWindow:
    """The pygame view of a session (:class:`agents.play.session.Session`): it draws, and turns clicks and keys
    into presses and controls.

    The loop is steppable: :meth:`frame` handles the pending events, ticks the session and the controller,
    and draws once, so a test can post events and run a few frames.
    """

    KEYS = {"space": "play", "a": "agent", "r": "record", "s": "save", "up": "faster", "down": "slower"}

    def __init__(self, session, controller=None, layout: Layout | None = None):
        layout = layout or Layout()
        self.session = session
        self.controller = controller
        try:
            self.view = LaunchpadView(session.spec, caption="gym_launchpad: play", layout=layout,
                                      below=layout.control_h + layout.legend_h + layout.margin)
        except NoDisplayError as error:
            raise NoDisplayError(f"{error}; or play with --headless") from error
        self.pygame, self.screen, self.layout = self.view.pygame, self.view.screen, layout
        self.rows, self.cols = self.view.rows, self.view.cols
        self.button_rect, self.button_at = self.view.button_rect, self.view.button_at
        self.controls = self._control_rects()
        self.quit = False
        self.frames = 0

    # --- geometry ------------------------------------------------------------------------------------
    def _control_rects(self) -> dict:
        lay = self.layout
        y = self.view.grid_bottom() + lay.margin
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

    def screenshot(self, path):
        return self.view.screenshot(path)

    def close(self) -> None:
        self.view.close()

    # --- drawing -------------------------------------------------------------------------------------
    def draw(self) -> None:
        self.view.draw(self.scene())
        if self.controller is not None:
            self._draw_launchpad_window()
        self._draw_controls()
        self._draw_legend()

    def scene(self) -> Scene:
        """What the launchpad view shows of the session now."""
        session = self.session
        info = session.info
        state = "paused" if session.paused else ("playing" if session.player is not None else "offline")
        agent = f"agent: {session.agent.label} ({'on' if session.agent_on else 'off'})"
        last = ("none yet" if session.last_agent_action is None
                else describe_action(session.spec, session.last_agent_action))
        return Scene(
            title=f"gym_launchpad  |  bar {session.bars_played}  |  {state}  |  {session.tempo_bpm:g} BPM",
            subtitle=(f"distance to the nearest corpus bar {info['distance']} (best reachable {info['best_distance']})"
                      f"  |  {agent}, last press: {last}"),
            lit=lit_buttons(session.env.state), next_words=session.env.words, playing_words=session.playing_words,
            play_head=session.position(), agent_action=session.last_agent_action,
            human_action=session.last_human_action)

    def _draw_launchpad_window(self):
        """Outline the part of the grid a connected Launchpad's pads show."""
        rows, cols = self.controller.window.buttons_shown(self.session.spec)
        area = self.button_rect(rows[-1], cols[0]).union(self.button_rect(rows[0], cols[-1])).inflate(8, 6)
        self.pygame.draw.rect(self.screen, COLORS["launchpad_window"], area, width=2, border_radius=6)

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
            self.view.text(text, rect.center, self.view.font, "text", "center")
        last = self.controls["save"]
        status = session.message or f"recorded {len(session.recorded)} bars"
        self.view.text(status, (last.right + 14, last.centery), self.view.font, "dim_text", "midleft")

    def _draw_legend(self):
        help_text = "Click a button to press it; the agent presses one button per bar; Esc quits."
        if self.controller is not None:
            help_text += " The outlined area is on the Launchpad's pads (arrows page)."
        self.view.legend(self.controls["play"].bottom + 12, LEGEND, help_text)
