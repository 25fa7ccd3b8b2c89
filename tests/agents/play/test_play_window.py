"""The pygame window (on SDL's dummy driver): clicks press buttons, controls and keys run the session's
controls, the drawing shows the state, and the window follows the corpus's spec."""

import time

import numpy as np
import pytest

from agents.play.novation import Window
from agents.play.session import DEFAULT_TEMPO, TEMPO_STEP, Session, make_agent
from agents.play.window import COLORS, NoDisplayError, PlayWindow
from gym_launchpad.grid import button_action, grid_shape
from gym_launchpad.midi.live import MidiPlayer, RecordingSink


def click(pygame, pos):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))


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
    assert session.agent_on and session.tempo_bpm == DEFAULT_TEMPO + TEMPO_STEP and not session.recording
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
        expected = COLORS[f"{kind}_{'on' if on else 'off'}"]
        assert tuple(image[x, y]) == expected, f"button ({row}, {col})"
        colors.setdefault(bool(on), set()).add(tuple(image[x, y]))
    assert colors[True].isdisjoint(colors[False])
    assert image.shape[:2] == window.screen.get_size()


def test_the_window_records_and_saves_the_bars_the_player_played(pygame_dummy, agent, tmp_path, fast_bpm, read_bars):
    with MidiPlayer(agent.env.launchpad, RecordingSink(), tempo_bpm=fast_bpm * 2) as player:
        session = Session(agent, seed=5, player=player, tempo_bpm=fast_bpm * 2, out=tmp_path / "window.mid")
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


def test_a_connected_launchpad_s_page_is_outlined(pygame_dummy, session, tmp_path):
    class Controller:  # what the window reads of a NovationController
        window = Window(8, 5)

        def poll(self):
            return 0

    window = PlayWindow(session, Controller())
    window.run_frames(1)
    image = pygame_dummy.surfarray.array3d(pygame_dummy.image.load(str(window.screenshot(tmp_path / "pads.png"))))
    rows, cols = Controller.window.buttons_shown(session.spec)  # rows 8..15, columns 5..12
    area = window.button_rect(rows[-1], cols[0]).union(window.button_rect(rows[0], cols[-1])).inflate(8, 6)
    assert tuple(image[area.left, area.centery]) == COLORS["launchpad_window"]
    assert tuple(image[area.centerx, area.top]) == COLORS["launchpad_window"]
    inside = window.button_rect(rows[0], cols[0]).center
    assert tuple(image[inside]) != COLORS["launchpad_window"]


def test_no_display_is_one_clear_message(monkeypatch, session):
    pygame = pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "no_such_driver")
    pygame.display.quit()
    with pytest.raises(NoDisplayError, match="no display.*--headless"):
        PlayWindow(session)


def test_grid_shape_matches_the_window(pygame_dummy, session):
    window = PlayWindow(session)
    assert (window.rows, window.cols) == grid_shape(session.spec) == (24, 13)


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
