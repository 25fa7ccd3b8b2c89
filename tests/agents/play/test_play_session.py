"""The interactive launchpad: the session, the pygame window (on SDL's dummy driver), the headless command,
live playback to a JACK port, and a Novation Launchpad as the controller (a fake one on JACK ports)."""

import os
import re
import shutil
import threading
import time

import numpy as np
import pytest

from agents import play
from agents.play import PlayWindow, Session, make_agent
from gym_launchpad.corpus_build import read_midi_bars
from gym_launchpad.live import MidiPlayer, RecordingSink
from gym_launchpad.novation import MODELS, button_action, grid_shape, pad_note, programmer_mode

FAST_BPM = 400.0  # a bar in 0.6 s, so live tests take seconds


@pytest.fixture
def agent(synthetic_corpus_path):
    return make_agent("greedy", synthetic_corpus_path)


@pytest.fixture
def session(agent):
    return Session(agent, seed=0)


@pytest.fixture
def pygame_dummy(monkeypatch):
    """pygame drawing off screen: SDL's dummy video driver, set before the display starts."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    try:
        import pygame
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pygame is not installed, and CI must test the window (pip install gym_launchpad[ui])")
        pytest.skip("pygame is not installed (pip install gym_launchpad[ui])")
    yield pygame
    pygame.display.quit()


def click(pygame, pos):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))


def read_bars(path, spec, n_bars):
    """The bars of a .mid file as an (n_bars, N) array, silent bars included."""
    read = read_midi_bars(path, spec, fold=False, min_cells=0, min_pitches=0)
    bars = np.zeros((n_bars, spec.n_notes), dtype=np.uint64)
    for number, words in zip(read.bar_number, read.words, strict=True):
        assert number < n_bars, f"the file has a bar {number} beyond the {n_bars} played"
        bars[number] = words
    return bars


# --- the session ----------------------------------------------------------------------------------------
def test_a_human_press_is_one_env_step_and_heard_from_the_next_bar(session):
    env = session.env
    before = env.state.copy()
    session.press_button(3, 2)
    assert env.state != before and env.last_action == button_action(session.spec, 3, 2)
    assert session.last_human_action == env.last_action
    # The info is the env's own, after the press: the no-op's lookahead distance is the current one.
    assert session.info["distance"] == env.distances_after_each_action()[session.spec.noop_action]
    np.testing.assert_array_equal(session.playing_words, before.words())  # the bar sounding now is unchanged


def test_the_agent_acts_exactly_once_per_bar_line_however_often_the_loop_ticks(session):
    for _ in range(5):
        assert session.tick() == 0
    assert session.agent_actions == 0
    for bar in range(3):
        session.on_bar_start(bar, session.env.words.copy())
    assert session.tick() == 3 and session.tick() == 0
    assert session.agent_actions == 3 and session.bars_played == 3
    session.toggle_agent()
    session.on_bar_start(3, session.env.words.copy())
    session.tick()
    assert session.agent_actions == 3 and session.bars_played == 4


def test_offline_play_records_each_bar_before_the_agent_presses(agent):
    session = Session(agent, seed=1)
    start = session.env.words.copy()
    session.play_offline(5)
    assert session.agent_actions == 5 and len(session.recorded) == 5
    np.testing.assert_array_equal(session.recorded[0], start)
    session.toggle_record()
    session.play_offline(2)
    assert len(session.recorded) == 5 and session.bars_played == 7


def test_the_player_thread_only_posts_bar_lines_and_the_loop_queues_the_next_bar(agent):
    """With a real MidiPlayer: the bar after each bar line is the state after the agent's press there."""
    sink = RecordingSink()
    with MidiPlayer(agent.env.launchpad, sink, tempo_bpm=FAST_BPM * 2) as player:
        session = Session(agent, seed=2, player=player, tempo_bpm=FAST_BPM * 2)
        player.on_bar_start = session.on_bar_start
        player.queue_bar(session.env.words)
        player.start()
        queued_after_press = []
        deadline = time.monotonic() + 10
        while session.bars_played < 4 and time.monotonic() < deadline:
            if session.tick():
                queued_after_press.append(session.env.words.copy())
            time.sleep(0.002)
        player.wait_for_bar(4, timeout=5)
    assert session.agent_actions == session.bars_played == 4
    played = np.array(player.played_bars[:5])
    np.testing.assert_array_equal(np.array(session.recorded), played[:4])
    np.testing.assert_array_equal(played[1:5], np.array(queued_after_press))
    assert any(message[0] & 0xF0 == 0x90 for _, message in sink.messages)


def test_a_player_that_failed_ends_the_session_with_its_error(agent):
    from gym_launchpad.live import PlaybackError

    class VanishingPort:
        def send(self, message):
            if message[0] & 0xF0 == 0x90:
                raise OSError("the MIDI port went away")

        def close(self):
            pass

    with pytest.raises(PlaybackError):  # stop() raises it too, once the session has
        with MidiPlayer(agent.env.launchpad, VanishingPort(), tempo_bpm=FAST_BPM) as player:
            session = Session(agent, seed=2, player=player)
            player.on_bar_start = session.on_bar_start
            player.queue_bar(np.full(session.spec.n_notes, 1, dtype=np.uint64))  # a note on the first step
            player.start()
            deadline = time.monotonic() + 5
            with pytest.raises(PlaybackError, match="the MIDI port went away"):
                while time.monotonic() < deadline:
                    session.tick()
                    time.sleep(0.005)


# --- the window -----------------------------------------------------------------------------------------
def test_clicks_on_buttons_press_them(pygame_dummy, session):
    window = PlayWindow(session)
    window.run_frames(1)
    lit = session.lit().copy()
    offset = int(session.env.state.offsets[5])
    click(pygame_dummy, window.button_rect(5, session.spec.n_patterns + 2).center)  # row 5's offset += 4
    click(pygame_dummy, window.button_rect(0, 0).center)  # row 0's downbeat toggle
    window.run_frames(2)
    assert session.env.state.offsets[5] == (offset + 4) % session.spec.steps
    assert session.lit()[0, 0] != lit[0, 0]
    assert session.last_human_action == session.env.last_action == button_action(session.spec, 0, 0)


def test_a_click_between_buttons_presses_nothing(pygame_dummy, session):
    window = PlayWindow(session)
    rect = window.button_rect(4, 3)
    click(pygame_dummy, (rect.right + 1, rect.centery))
    window.run_frames(1)
    assert session.last_human_action is None


def test_control_clicks_and_keys(pygame_dummy, session, tmp_path):
    session.out = tmp_path / "saved.mid"
    window = PlayWindow(session)
    click(pygame_dummy, window.controls["agent"].center)
    window.run_frames(1)
    assert not session.agent_on
    pygame_dummy.event.post(pygame_dummy.event.Event(pygame_dummy.KEYDOWN, key=pygame_dummy.K_a))
    pygame_dummy.event.post(pygame_dummy.event.Event(pygame_dummy.KEYDOWN, key=pygame_dummy.K_UP))
    click(pygame_dummy, window.controls["record"].center)
    window.run_frames(1)
    assert session.agent_on and session.tempo_bpm == play.DEFAULT_TEMPO + play.TEMPO_STEP and not session.recording
    session.toggle_record()
    session.play_offline(2)
    click(pygame_dummy, window.controls["save"].center)
    window.run_frames(1)
    assert session.out.is_file() and "saved 2 bars" in session.message
    pygame_dummy.event.post(pygame_dummy.event.Event(pygame_dummy.KEYDOWN, key=pygame_dummy.K_ESCAPE))
    window.run_frames(1)
    assert window.quit


def test_the_agent_acts_once_per_bar_in_the_window_loop(pygame_dummy, session):
    window = PlayWindow(session)
    window.run_frames(10)
    assert session.agent_actions == 0
    for bar in range(4):
        session.on_bar_start(bar, session.env.words.copy())
        window.run_frames(3)
        assert session.agent_actions == bar + 1
    assert session.last_agent_action is not None


def test_the_screenshot_shows_the_grid_lit_as_the_state(pygame_dummy, session, tmp_path):
    window = PlayWindow(session)
    session.press_button(0, 0)  # make sure at least one button is lit
    session.on_bar_start(0, session.env.words.copy())
    window.run_frames(2)
    path = window.screenshot(tmp_path / "play.png")
    image = pygame_dummy.surfarray.array3d(pygame_dummy.image.load(str(path)))  # (W, H, 3)
    lit = session.lit()
    colors = {}
    for (row, col), on in np.ndenumerate(lit):
        x, y = window.button_rect(row, col).center
        kind = "toggle" if col < session.spec.n_patterns else "offset"
        expected = play.COLORS[f"{kind}_{'on' if on else 'off'}"]
        assert tuple(image[x, y]) == expected, f"button ({row}, {col})"
        colors.setdefault(bool(on), set()).add(tuple(image[x, y]))
    assert colors[True].isdisjoint(colors[False])
    assert image.shape[:2] == window.screen.get_size()


def test_the_window_records_and_saves_the_bars_the_player_played(pygame_dummy, agent, tmp_path):
    with MidiPlayer(agent.env.launchpad, RecordingSink(), tempo_bpm=FAST_BPM * 2) as player:
        session = Session(agent, seed=5, player=player, tempo_bpm=FAST_BPM * 2, out=tmp_path / "window.mid")
        player.on_bar_start = session.on_bar_start
        player.queue_bar(session.env.words)
        window = PlayWindow(session)
        player.start()
        deadline = time.monotonic() + 10
        while session.bars_played < 3 and time.monotonic() < deadline:
            window.run_frames(1)
            if session.bars_played == 1 and session.last_human_action is None:
                click(pygame_dummy, window.button_rect(7, 0).center)  # a human press between the agent's
        click(pygame_dummy, window.controls["play"].center)  # pause: the player stops at the next step
        window.run_frames(1)
        assert player.paused
        click(pygame_dummy, window.controls["save"].center)
        window.run_frames(1)
    played = np.array(player.played_bars)
    assert session.agent_actions == session.bars_played == len(played) == 3
    np.testing.assert_array_equal(read_bars(session.out, session.spec, 3), played)
    assert session.last_human_action == button_action(session.spec, 7, 0)
    assert "window frame: median" in session.timing.summary(session.bar_seconds)


def test_no_display_is_one_clear_message(monkeypatch, session):
    pygame = pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "no_such_driver")
    pygame.display.quit()
    with pytest.raises(play.PlayError, match="no display.*--headless"):
        PlayWindow(session)


# --- the command ---------------------------------------------------------------------------------------
def test_headless_writes_the_bars_it_played(tmp_path, synthetic_corpus_path, agent, capsys):
    out = tmp_path / "song.mid"
    assert play.main(["--headless", "--bars", "6", "--out", str(out), "--agent", "greedy",
                      "--corpus", synthetic_corpus_path, "--seed", "3"]) == 0
    expected = Session(agent, seed=3)
    expected.play_offline(6)
    np.testing.assert_array_equal(read_bars(out, agent.env.launchpad, 6), np.array(expected.recorded))
    assert "saved 6 bars" in capsys.readouterr().err


@pytest.mark.slow
def test_headless_renders_the_wav(tmp_path, synthetic_corpus_path):
    import wave

    if shutil.which("fluidsynth") is None and not os.environ.get("CI"):
        pytest.skip("fluidsynth is not installed")
    out, wav = tmp_path / "song.mid", tmp_path / "song.wav"
    assert play.main(["--headless", "--bars", "2", "--bpm", "240", "--out", str(out), "--wav", str(wav),
                      "--agent", "random", "--corpus", synthetic_corpus_path]) == 0
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() / audio.getframerate() >= 2 * 4 * 60 / 240


def test_a_missing_soundfont_still_saves_the_midi(tmp_path, synthetic_corpus_path, capsys):
    out = tmp_path / "song.mid"
    assert play.main(["--headless", "--bars", "2", "--out", str(out), "--wav", str(tmp_path / "song.wav"),
                      "--soundfont", str(tmp_path / "missing.sf2"), "--agent", "noop",
                      "--corpus", synthetic_corpus_path]) == 0
    err = capsys.readouterr().err
    assert out.is_file() and "saved 2 bars" in err and "missing.sf2 does not exist" in err


@pytest.mark.parametrize("argv, message", [
    (["--headless", "--agent", "greedy"], "--headless needs somewhere"),
    (["--headless", "--out", "x.mid", "--agent", "nosuch.zip"], "model file nosuch.zip does not exist"),
    (["--headless", "--out", "x.mid", "--agent", "nonsense"], "neither pretrained, a baseline"),
    (["--headless", "--out", "x.mid", "--agent", "pretrained", "--corpus", "CORPUS"], "pretrained weights need"),
    (["--headless", "--out", "song.wav"], "must be a .mid file"),
    (["--headless", "--out", "no/such/folder/x.mid"], "does not exist"),
    (["--wav", "x.wav", "--headless", "--port", "p"], "give --out song.mid too"),
    (["--synth", "--port", "p"], "leave --port out, or --synth"),
    (["--headless", "--out", "x.mid", "--corpus", "missing.npz"], "no corpus file at missing.npz"),
])
def test_bad_input_is_one_clear_message(argv, message, synthetic_corpus_path, capsys, monkeypatch, tmp_path):
    from agents import pretrained

    monkeypatch.setattr(pretrained, "DEFAULT_PRETRAINED", tmp_path / "none.safetensors")
    monkeypatch.chdir(tmp_path)
    argv = [synthetic_corpus_path if a == "CORPUS" else a for a in argv]
    assert play.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_without_a_midi_system_the_window_records_to_out_and_says_so(pygame_dummy, no_midi_system, tmp_path,
                                                                       synthetic_corpus_path, capsys):
    out = tmp_path / "quiet.mid"
    assert play.main(["--api", "jack", "--out", str(out), "--frames", "30", "--bpm", "30", "--agent", "noop",
                      "--corpus", synthetic_corpus_path]) == 0
    err = capsys.readouterr().err
    assert "no MIDI output (no MIDI system is available" in err and f"recording to {out} only" in err
    assert "saved 1 bar to" in err  # the bar that started with the window; the next is 8 s away
    assert read_bars(out, make_agent("noop", synthetic_corpus_path).env.launchpad, 1).any()


def test_without_a_midi_system_or_out_the_message_says_what_to_do(pygame_dummy, no_midi_system, capsys,
                                                                   synthetic_corpus_path):
    assert play.main(["--api", "jack", "--frames", "1", "--agent", "noop", "--corpus", synthetic_corpus_path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "no MIDI system is available" in err[-1] and "give --out song.mid" in err[-1]


def test_an_sb3_model_for_another_spec_is_refused(tmp_path, synthetic_corpus_path):
    stable_baselines3 = pytest.importorskip("stable_baselines3")
    from gym_launchpad.envs import LaunchpadEnv

    toy = LaunchpadEnv(corpus=[[[1, 0, 1, 1]]], n_notes=1, bar_bits=2, low_note=60, init="random")
    path = tmp_path / "toy.zip"
    stable_baselines3.DQN("MlpPolicy", toy, learning_starts=10, buffer_size=100).save(path)
    with pytest.raises(play.PlayError, match="a model for another launchpad spec"):
        make_agent(str(path), synthetic_corpus_path)
    right = LaunchpadEnv(corpus=synthetic_corpus_path, obs_mode="onehot")
    stable_baselines3.DQN("MlpPolicy", right, learning_starts=10, buffer_size=100).save(tmp_path / "right.zip")
    loaded = make_agent(str(tmp_path / "right.zip"), synthetic_corpus_path)
    assert loaded.env.obs_mode == "onehot"
    session = Session(loaded, seed=0)
    session.play_offline(2)
    assert session.agent_actions == 2


def test_without_pretrained_weights_greedy_plays_and_says_so(monkeypatch, tmp_path, synthetic_corpus_path, capsys):
    from agents import pretrained

    monkeypatch.setattr(pretrained, "DEFAULT_PRETRAINED", tmp_path / "none.safetensors")
    agent = make_agent(None, synthetic_corpus_path)
    assert agent.label == "greedy baseline"
    assert "the greedy baseline plays instead" in capsys.readouterr().err


# --- live MIDI on JACK ----------------------------------------------------------------------------------
class JackReceiver:
    """A JACK MIDI input port that keeps every message it is sent (a synthesizer, for the test)."""

    def __init__(self, client, port):
        import rtmidi

        self.messages = []
        self._in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, client)
        self._in.ignore_types(sysex=False)
        self._in.open_virtual_port(port)
        self._in.set_callback(lambda event, _: self.messages.append(event[0]))

    def close(self):
        self._in.close_port()
        self._in.delete()


@pytest.mark.jack
def test_headless_plays_live_to_a_jack_port_and_records_it(jack_server, tmp_path, synthetic_corpus_path, capsys):
    synth = JackReceiver("synth", "in")
    try:
        out = tmp_path / "live.mid"
        assert play.main(["--headless", "--bars", "3", "--bpm", str(FAST_BPM), "--port", "synth:in", "--api", "jack",
                          "--out", str(out), "--agent", "greedy", "--corpus", synthetic_corpus_path]) == 0
        time.sleep(0.2)
    finally:
        synth.close()
    err = capsys.readouterr().err
    assert "playing to MIDI port 'synth:in'" in err and "agent action: median" in err
    spec = make_agent("greedy", synthetic_corpus_path).env.launchpad
    recorded = read_bars(out, spec, 3)
    note_ons = {m[1] for m in synth.messages if m[0] & 0xF0 == 0x90 and m[2] > 0}
    assert note_ons and note_ons <= {int(p) for p in spec.pitches[np.flatnonzero(recorded.any(axis=0))]}
    assert note_ons >= {int(p) for p in spec.pitches[np.flatnonzero(recorded[0])]}


@pytest.mark.jack
def test_synth_starts_fluidsynth_plays_to_it_and_stops_it(jack_server, tmp_path, synthetic_corpus_path, capsys):
    if shutil.which("fluidsynth") is None:
        if os.environ.get("CI"):
            pytest.fail("fluidsynth is not installed, and CI must test --synth (apt-get install fluidsynth)")
        pytest.skip("fluidsynth is not installed (apt-get install fluidsynth)")
    out = tmp_path / "synth.mid"
    assert play.main(["--headless", "--synth", "--bars", "2", "--bpm", str(FAST_BPM), "--api", "jack",
                      "--out", str(out), "--agent", "greedy", "--corpus", synthetic_corpus_path]) == 0
    err = capsys.readouterr().err
    pid = int(re.search(r"started FluidSynth \(pid (\d+)\)", err).group(1))
    assert re.search(r"playing to MIDI port 'fluidsynth[^']*' \(jack\)", err)
    assert "saved 2 bars" in err
    with pytest.raises(ProcessLookupError):  # it quit, and was reaped, when the session ended
        os.kill(pid, 0)


@pytest.mark.jack
def test_a_port_that_does_not_exist_lists_the_ports(jack_server, capsys, synthetic_corpus_path):
    synth = JackReceiver("synth", "in")
    try:
        assert play.main(["--headless", "--port", "nosuch", "--api", "jack", "--agent", "noop",
                          "--corpus", synthetic_corpus_path]) == 2
    finally:
        synth.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no MIDI output port 'nosuch'" in err[0] and "'synth:in'" in err[0]


class FakeLaunchpad:
    """A Launchpad X as its MIDI ports look: it keeps the mode and the LED colours it is sent, and presses pads.

    Like the device, it also has a DAW port pair, which programmer mode does not use: what arrives there
    is kept in ``daw``.
    """

    def __init__(self):
        import rtmidi

        self.sysex = []
        self.leds = {}
        self.daw = []
        self._lock = threading.Lock()
        self._daw_out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._daw_out.open_virtual_port("LPX DAW Out")
        self._daw_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._daw_in.ignore_types(sysex=False)
        self._daw_in.open_virtual_port("LPX DAW In")
        self._daw_in.set_callback(lambda event, _: self.daw.append(event[0]))
        self._out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._out.open_virtual_port("LPX MIDI Out")
        self._in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._in.ignore_types(sysex=False)
        self._in.open_virtual_port("LPX MIDI In")
        self._in.set_callback(self._receive)

    def _receive(self, event, _):
        message = event[0]
        with self._lock:
            if message[0] == 0xF0:
                self.sysex.append(message)
            elif message[0] in (0x90, 0xB0):
                self.leds[message[1]] = message[2]

    @property
    def mode(self):
        """The last mode SysEx it was sent, or None."""
        return self.sysex[-1] if self.sysex else None

    def press_pad(self, pad_row, pad_col):
        self._out.send_message([0x90, pad_note(pad_row, pad_col), 100])
        self._out.send_message([0x90, pad_note(pad_row, pad_col), 0])

    def press_button(self, cc):
        self._out.send_message([0xB0, cc, 127])
        self._out.send_message([0xB0, cc, 0])

    def close(self):
        for port in (self._in, self._out, self._daw_in, self._daw_out):
            port.close_port()
            port.delete()


def settle(controller, condition, timeout=2.0):
    """Poll the controller until ``condition()`` holds (messages cross JACK in a period or two)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        controller.poll()
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.jack
def test_a_launchpad_presses_buttons_pages_and_shows_the_state(jack_server, session):
    from agents.novation_controller import NovationController
    from gym_launchpad.novation import COLORS, Lights, Window, led_frame

    device = FakeLaunchpad()
    controller = NovationController.open(session, api="jack")
    try:
        assert controller.model == MODELS["x"]
        controller.start()
        assert settle(controller, lambda: device.mode is not None and len(device.leds) == 74)
        assert device.mode == programmer_mode(MODELS["x"])
        lights = Lights(playing=False, agent_on=True, recording=True)  # a session with no player
        assert device.leds == led_frame(session.env.state, Window(), lights)  # LEDs light as the state is

        before = session.lit().copy()
        device.press_pad(2, 3)  # grid button (2, 3): toggle pattern 3 of the third pitch
        assert settle(controller, lambda: session.last_human_action is not None)
        assert session.last_human_action == button_action(session.spec, 2, 3)
        assert session.lit()[2, 3] != before[2, 3]
        assert settle(controller, lambda: device.leds[pad_note(2, 3)] == (COLORS["toggle_on"] if session.lit()[2, 3]
                                                                           else COLORS["toggle_off"]))

        device.press_button(91)  # up: pitches 8..15
        device.press_button(94)  # right: grid columns 5..12
        assert settle(controller, lambda: controller.window == Window(8, 5))
        device.press_pad(1, 7)  # grid button (9, 12): row 9's offset += 32
        offset = int(session.env.state.offsets[9])
        assert settle(controller, lambda: session.env.state.offsets[9] == (offset + 32) % 64)
        assert settle(controller, lambda: device.leds == led_frame(session.env.state, Window(8, 5), lights))

        device.press_button(79)  # the agent's switch
        assert settle(controller, lambda: not session.agent_on)
        assert settle(controller, lambda: device.leds[79] == COLORS["control_off"])
    finally:
        controller.close()
        time.sleep(0.1)
        device.close()
    assert device.mode == programmer_mode(MODELS["x"], enable=False)
    assert set(device.leds.values()) == {0}


@pytest.mark.jack
def test_the_play_command_drives_a_launchpad(jack_server, tmp_path, synthetic_corpus_path, capsys):
    device = FakeLaunchpad()
    try:
        assert play.main(["--headless", "--launchpad", "Launchpad X", "--bars", "2", "--bpm", str(FAST_BPM),
                          "--api", "jack", "--out", str(tmp_path / "pads.mid"), "--agent", "noop",
                          "--corpus", synthetic_corpus_path]) == 0
        time.sleep(0.1)
    finally:
        device.close()
    # JACK numbers clients of one name: the fake's four ports are "Launchpad X", "Launchpad X-01", ...
    assert re.search(r"Launchpad X on 'Launchpad X[-0-9]*:LPX MIDI Out' is the controller", capsys.readouterr().err)
    assert device.sysex == [programmer_mode(MODELS["x"]), programmer_mode(MODELS["x"], enable=False)]
    assert set(device.leds.values()) == {0}
    assert device.daw == []  # "Launchpad X" names both port pairs; the MIDI pair is the one used


@pytest.mark.jack
def test_no_launchpad_is_one_clear_message(jack_server, session):
    from agents.novation_controller import NovationController

    with pytest.raises(play.PlayError, match="no Launchpad MIDI output port matching 'LPX MIDI' or 'LPMiniMK3 MIDI'"):
        NovationController.open(session, api="jack")


def test_grid_shape_matches_the_window(pygame_dummy, session):
    window = PlayWindow(session)
    assert (window.rows, window.cols) == grid_shape(session.spec) == (24, 13)


def test_a_pretrained_safetensors_agent_plays_and_one_for_another_corpus_is_refused(tmp_path, synthetic_corpus_path):
    pytest.importorskip("torch")
    from agents import pretrained
    from agents.networks import build_policy
    from agents.presets import get_preset
    from gym_launchpad import Corpus

    preset = get_preset("mlp")
    corpus = Corpus.load(synthetic_corpus_path)
    env = preset.make_env(corpus)
    path = pretrained.export(build_policy(preset, env.observation_space, env.action_space), "mlp", preset, corpus,
                             tmp_path / "mlp.safetensors")
    agent = make_agent(str(path), synthetic_corpus_path)
    assert agent.label == "pretrained mlp (mlp.safetensors)"
    session = Session(agent, seed=0)
    session.play_offline(3)
    assert session.agent_actions == 3 and session.last_agent_action is not None
    with pytest.raises(play.PlayError, match="was trained for spec .* on corpus"):
        make_agent(str(path), None)  # the shipped corpus is another corpus


def test_the_window_and_session_follow_the_corpus_spec(pygame_dummy):
    from gym_launchpad import Corpus, LaunchpadSpec

    spec = LaunchpadSpec(n_notes=12, bar_bits=4, low_note=60)
    corpus = Corpus.from_bars(spec, np.random.default_rng(0).random((50, 12, 16)) < 0.2)
    session = Session(make_agent("greedy", corpus), seed=0)
    window = PlayWindow(session)
    assert session.spec == spec and (window.rows, window.cols) == (12, 9)
    click(pygame_dummy, window.button_rect(11, 8).center)  # the top pitch's +8 offset button
    session.on_bar_start(0, session.env.words.copy())
    window.run_frames(1)
    assert session.last_human_action == spec.offset_action(11, 3) and session.agent_actions == 1


def test_a_launchpad_without_a_midi_system_is_one_clear_message(no_midi_system, session):
    from agents.novation_controller import NovationController

    with pytest.raises(play.PlayError, match="cannot reach a Launchpad: no MIDI system is available"):
        NovationController.open(session, api="jack")


def test_the_shipped_pretrained_agent_plays_by_default():
    pytest.importorskip("torch")
    from agents import pretrained

    if not pretrained.DEFAULT_PRETRAINED.is_file():
        pytest.fail(f"the repo ships {pretrained.DEFAULT_PRETRAINED}, and play uses it by default")
    agent = make_agent(None)
    assert agent.label.startswith("pretrained ") and pretrained.DEFAULT_PRETRAINED.name in agent.label
    session = Session(agent, seed=0)
    session.play_offline(4)
    assert session.agent_actions == 4 and len(session.recorded) == 4
