"""render_mode="human": a pygame window of the launchpad (SDL's dummy driver) and the bar heard through the
live player, over a private JACK server, a step lasting a bar; close() leaves no note sounding."""

import os
import shutil
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import HumanRendering

import gym_launchpad  # noqa: F401 - registers the envs
from gym_launchpad.corpus import Corpus
from gym_launchpad.envs.human import HumanRenderer, tempo_of
from gym_launchpad.grid import lit_buttons
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi import DEFAULT_RELEASE
from gym_launchpad.midi.live import NOTE_OFF, NOTE_ON
from gym_launchpad.window import COLORS

REPO = Path(__file__).resolve().parents[2]
#: Every registered id: each renders through the one step pipeline of LaunchpadEnv.
REGISTERED_IDS = [env_id for env_id in gym.registry if env_id.startswith("gym_launchpad/")]


def small_corpus(spec=None, k=200, seed=0):
    spec = spec or LaunchpadSpec()
    return Corpus.from_bars(spec, np.random.default_rng(seed).random((k, spec.n_notes, spec.steps)) < 0.1)


def human_env(bars_per_second=2.0):
    """The env with render_mode="human" at ``bars_per_second`` (2: 480 BPM, half a second a step)."""
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=small_corpus(), render_mode="human")
    env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": bars_per_second}
    return env


class PortReader:
    """A JACK MIDI input connected to the env's output port, counting what it hears."""

    def __init__(self, source="gym_launchpad:out"):
        import rtmidi

        self.port = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "test-listener", queue_size_limit=1 << 16)
        self.port.open_port(self.port.get_ports().index(source))

    def messages(self):
        received = []
        while (item := self.port.get_message()) is not None:
            received.append(tuple(item[0]))
        return received

    def close(self):
        self.port.close_port()
        self.port.delete()


def test_human_is_declared_with_a_bar_a_frame():
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=small_corpus(), render_mode="human")
    assert "human" in env.metadata["render_modes"] and env.unwrapped.render_mode == "human"
    layer = env
    while hasattr(layer, "env"):  # the env's own human mode: gym.make did not add Gymnasium's silent wrapper
        assert not isinstance(layer, HumanRendering)
        layer = layer.env
    assert tempo_of(env.metadata["render_fps"]) == 120.0  # one step, one bar of four quarters, at 120 BPM
    env.close()  # never rendered: nothing to close


@pytest.mark.parametrize("env_id", REGISTERED_IDS)
def test_every_id_shows_a_bar_at_the_reset_and_at_each_bar_line(env_id, monkeypatch):
    shown = []  # the step number of each bar the renderer was shown: no window, no sound here
    monkeypatch.setattr(HumanRenderer, "__init__", lambda self, spec, render_fps, caption, cells="sounding": None)
    monkeypatch.setattr(HumanRenderer, "show", lambda self, state, info, last_action, steps: shown.append(steps))
    monkeypatch.setattr(HumanRenderer, "close", lambda self: None)
    env = gym.make(env_id, render_mode="human")
    env.reset(seed=0)
    presses = getattr(env.unwrapped, "presses_per_bar", 1)  # the DJ task is heard at its bar lines only
    for action in range(3 * presses):
        env.step(action)
    assert shown == [0, presses, 2 * presses, 3 * presses]
    env.close()


def test_a_tempo_midi_cannot_carry_is_refused_before_the_window_opens():
    env = human_env(bars_per_second=10.0)
    with pytest.raises(ValueError, match="render_fps.* is 2400 BPM; the tempo must be 4..1000 BPM"):
        env.reset(seed=0)


def test_the_dj_task_is_heard_as_struck_notes_released_as_its_files_are_written(pygame_dummy):
    env = gym.make("gym_launchpad/LaunchpadDJ-v0", render_mode="human")
    env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": 4.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no MIDI system here: the renderer says it plays no sound
        env.reset(seed=0)
    player = env.unwrapped._human.player
    assert (player.cells, player.release) == ("onsets", DEFAULT_RELEASE)
    env.close()
    plain = gym.make("gym_launchpad/Launchpad-v0", corpus=small_corpus(), render_mode="human")
    plain.unwrapped.metadata = {**plain.unwrapped.metadata, "render_fps": 4.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain.reset(seed=0)
    assert (plain.unwrapped._human.player.cells, plain.unwrapped._human.player.release) == ("sounding", None)
    plain.close()


@pytest.mark.jack
@pytest.mark.slow
def test_human_draws_the_launchpad_plays_each_step_for_a_bar_and_close_silences_it(jack_server, pygame_dummy,
                                                                                      monkeypatch):
    monkeypatch.setenv("GYM_LAUNCHPAD_MIDI_API", "jack")
    env = human_env()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # there is sound here: no "plays no sound" warning
        env.reset(seed=3)
    human = env.unwrapped._human
    expected_sound = "FluidSynth" if shutil.which("fluidsynth") else "MIDI port 'gym_launchpad:out'"
    assert human.sound.startswith(expected_sound)
    reader = PortReader()
    try:
        assert human.player.position[0] == 0  # reset returned as the first bar began
        rng = np.random.default_rng(0)
        for step in range(1, 4):
            env.step(int(rng.integers(env.action_space.n)))
            # The step returned at the bar line where its bar began: one step, one bar.
            assert human.player.position[0] == step
            np.testing.assert_array_equal(human.player.played_bars[-1], env.unwrapped.state.words())
        # The window shows the launchpad as the state is: each button's color is its lit state's.
        image = pygame_dummy.surfarray.array3d(human.view.screen)
        lit = lit_buttons(env.unwrapped.state)
        for (row, col), on in np.ndenumerate(lit):
            kind = "toggle" if col < env.unwrapped.launchpad.n_patterns else "offset"
            assert tuple(image[human.view.button_rect(row, col).center]) == COLORS[f"{kind}_{'on' if on else 'off'}"]
        env.close()
        time.sleep(0.2)  # JACK delivers on its next cycles
        heard = reader.messages()
    finally:
        reader.close()
    sounding, note_ons = set(), 0
    for status, pitch, velocity in (m for m in heard if m[0] & 0xF0 in (NOTE_ON, NOTE_OFF)):
        if status & 0xF0 == NOTE_ON and velocity > 0:
            sounding.add(pitch)
            note_ons += 1
        else:
            sounding.discard(pitch)
    assert note_ons > 0 and sounding == set()  # every note-on heard got its note-off
    assert not human.player.running and env.unwrapped._human is None
    env.close()  # twice is harmless


def test_without_any_sound_it_says_so_once_and_still_keeps_the_bar(pygame_dummy, no_midi_system, monkeypatch):
    monkeypatch.setenv("GYM_LAUNCHPAD_MIDI_API", "jack")
    env = human_env(bars_per_second=4.0)  # a quarter of a second a step
    with pytest.warns(UserWarning, match="plays no sound: no MIDI system is available .*start a JACK server") as caught:
        env.reset(seed=0)
        start = time.perf_counter()
        for _ in range(3):
            env.step(0)
        elapsed = time.perf_counter() - start
    assert len([w for w in caught if "plays no sound" in str(w.message)]) == 1
    assert env.unwrapped._human.sound == "silent" and env.unwrapped._human.player.position[0] == 3
    assert elapsed > 2 * 0.25  # the steps waited for their bar lines rather than returning at once
    env.close()


USER_SCRIPT = """\
import gymnasium as gym
import gym_launchpad
env = gym.make("gym_launchpad/Launchpad-v0", render_mode="human")
env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": 4.0}
env.reset(seed=0)
env.close()
"""


@pytest.mark.parametrize("api", ["jack", "auto"])
def test_without_a_midi_system_a_user_script_prints_one_line_saying_why_and_what_to_do(pygame_dummy, tmp_path, api):
    """What a person sees in a shell: the process's own stderr, the C libraries' included (ALSA's and JACK's
    printed ten lines of their own, and the warning ~900 characters that said its cause three times)."""
    rtmidi = pytest.importorskip("rtmidi")
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        pytest.skip("python-rtmidi was built without JACK")
    if api == "auto" and os.path.exists("/dev/snd/seq"):
        pytest.skip("ALSA's sequencer runs here: there is a MIDI system to play to")
    script = tmp_path / "listen.py"
    script.write_text(USER_SCRIPT)
    server = f"gym_launchpad_none_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "GYM_LAUNCHPAD_MIDI_API": api, "JACK_DEFAULT_SERVER": server,
           "JACK_NO_START_SERVER": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"{script}:5: UserWarning: render_mode='human' plays no sound: no MIDI system is "
                               "available ("), lines
    assert f"jack: no JACK server '{server}' is running" in lines[0] and "start a JACK server (jackd)" in lines[0]
    if api == "auto" and rtmidi.API_LINUX_ALSA in rtmidi.get_compiled_api():
        assert "alsa: no sequencer device /dev/snd/seq" in lines[0] and "sudo modprobe snd-seq" in lines[0]
    assert "Install" not in lines[0]  # no advice to install what is installed
    # Under it, only Python's echo of the user's line that rendered (a warning names the user's code, not ours).
    assert lines[1:] == ["  env.reset(seed=0)"]
