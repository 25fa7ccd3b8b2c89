"""``render_mode="human"``: a person watches the launchpad and hears its bar (:class:`HumanRenderer`).

The window is :class:`gym_launchpad.window.LaunchpadView`, the same drawing as the play command's window.
The bar plays through the live player (:class:`gym_launchpad.midi.live.MidiPlayer`) to the first sound
there is: a FluidSynth this module starts (the ``fluidsynth`` program and a MIDI system), else a virtual
MIDI port ``gym_launchpad:out`` for a synth or DAW to connect to (``pip install gym_launchpad[live]``),
else nothing, with one warning saying why. The MIDI system is ``$GYM_LAUNCHPAD_MIDI_API`` (auto by default).

One env step lasts one bar: after each step the renderer queues the new bar and returns at the bar line
where it starts sounding, drawing the play head meanwhile. The tempo is ``env.metadata["render_fps"]``
bars a second (``render_fps`` 0.5 is 120 BPM); set another on ``env.unwrapped.metadata`` before the
first reset. ``close()`` turns every sounding note off and quits the synth.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import warnings
from pathlib import Path
from types import FrameType

import gymnasium
import numpy as np
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.grid import lit_buttons
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.midi.live import MidiPlayer, SilentSink
from gym_launchpad.midi.ports import MidiPortError, RtMidiSink
from gym_launchpad.midi.synth import FluidSynth, SynthError
from gym_launchpad.render import describe_action
from gym_launchpad.window import GRID_LEGEND, LaunchpadView, Scene

#: Seconds between frames while the renderer waits for a bar line: the play head moves at 30 frames a second.
FRAME_S = 1 / 30

#: The client name of the renderer's MIDI port, ``gym_launchpad:out``.
CLIENT_NAME = "gym_launchpad"

LEGEND = (*GRID_LEGEND[:2], ("agent", "outline", "last press"), *GRID_LEGEND[2:])
#: The height of the legend under the grid, in pixels.
LEGEND_H = 30


def tempo_of(render_fps: float) -> float:
    """The tempo at which one bar (four quarters) lasts one frame of ``render_fps``."""
    tempo = float(render_fps) * 60 * 4
    if not 4 <= tempo <= 1000:  # what a MIDI tempo can carry (check_midi_settings)
        raise ValueError(f"metadata['render_fps'] = {render_fps} bars a second is {tempo:g} BPM; the tempo must be "
                         "4..1000 BPM: set render_fps between 1/60 and 4.16")
    return tempo


def open_sound():
    """``(sink, description, synth or None)``: FluidSynth, else a virtual MIDI port, else silence with a warning;
    on the MIDI system ``$GYM_LAUNCHPAD_MIDI_API`` names (auto: the first that works)."""
    reasons = []
    try:
        synth = FluidSynth.start()
    except (SynthError, MidiPortError, DependencyNotInstalled) as error:
        reasons.append(str(error))
    else:
        try:
            sink = RtMidiSink.open(synth.port, api=synth.api, client_name=CLIENT_NAME)
        except BaseException:
            synth.close()
            raise
        return sink, f"FluidSynth ({synth.soundfont.name}, {synth.api})", synth
    try:
        sink = RtMidiSink.open(None, client_name=CLIENT_NAME)
    except (MidiPortError, DependencyNotInstalled) as error:
        reasons.append(str(error))
    else:
        return sink, f"MIDI port {sink.port_name!r} ({sink.api})", None
    # FluidSynth and the port usually fail for one reason (no MIDI system, no python-rtmidi): said once. Each
    # reason ends with what to do about it.
    warnings.warn("render_mode='human' plays no sound: " + "; ".join(dict.fromkeys(reasons)),
                  stacklevel=_stacklevel_of_user_code())
    return SilentSink(), "silent", None


def _stacklevel_of_user_code() -> int:
    """The ``stacklevel`` at which a warning issued by the caller names the first line outside gym_launchpad and
    Gymnasium (its wrappers lie between): the user's ``env.reset()`` or ``env.render()``, which Python prints
    under the warning, rather than a line of the env's own."""
    packages = tuple(str(folder) + os.sep for folder in (Path(__file__).parents[1], Path(gymnasium.__file__).parent))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(packages):
        frame, level = frame.f_back, level + 1
    return level


class HumanRenderer:
    """The window and the sound of one env, opened at its first render."""

    def __init__(self, spec: LaunchpadSpec, render_fps: float, caption: str, cells: str = "sounding"):
        """``cells``: what the env's bars are (its corpus's cells); bars of onsets sound as the files written of
        them do (the default :class:`~gym_launchpad.midi.release.Release`)."""
        self.spec = spec
        self.tempo_bpm = tempo_of(render_fps)  # checked before the window opens
        self.view = LaunchpadView(spec, caption=caption, below=LEGEND_H)
        try:
            self.sink, self.sound, self._synth = open_sound()
            self.player = MidiPlayer(spec, self.sink, tempo_bpm=self.tempo_bpm, cells=cells)
        except BaseException:
            self.view.close()
            raise
        self._bar = -1
        self.frames = 0

    def show(self, state: LaunchpadState, info: dict, last_action: int | None, steps: int) -> None:
        """Queue the bar ``state`` plays and return when it starts sounding, drawing until then."""
        words = state.words()
        self.player.queue_bar(words)
        if not self.player.running:
            self.player.start()
        # The bar queued now plays from the next bar line (the first, on the first show).
        self._bar = max(self._bar, self.player.position[0]) + 1
        last = "none yet" if last_action is None else describe_action(self.spec, last_action)
        scene = Scene(title=f"gym_launchpad  |  step {steps}  |  {self.tempo_bpm:g} BPM  |  sound: {self.sound}",
                      subtitle=(f"distance to the nearest corpus bar {info['distance']} (best reachable "
                                f"{info['best_distance']})  |  last press: {last}"),
                      lit=lit_buttons(state), next_words=words, playing_words=words, agent_action=last_action)
        while not self.player.wait_for_bar(self._bar, timeout=FRAME_S):
            self._frame(scene)
        self._frame(scene)

    def _frame(self, scene: Scene) -> None:
        """Draw ``scene`` with the bar sounding now and the play head where the player is."""
        pygame = self.view.pygame
        pygame.event.pump()  # a window that never reads its events is "not responding" to the desktop
        bar, step = self.player.position
        playing = self.player.played_bars[-1] if self.player.played_bars else np.zeros_like(scene.next_words)
        head = None if bar < 0 else (step + 0.5) / self.spec.steps
        self.view.draw(dataclasses.replace(scene, playing_words=playing, play_head=head))
        self.view.legend(self.view.grid_bottom() + self.view.layout.margin, LEGEND)
        pygame.display.flip()
        self.frames += 1

    def close(self) -> None:
        """Every sounding note off, the port closed, the synth told to quit, the window closed."""
        try:
            self.player.stop()
        finally:
            self.sink.close()
            if self._synth is not None:
                self._synth.close()
            self.view.close()
