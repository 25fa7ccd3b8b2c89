"""The play session: presses, the agent's one press per bar line, the live player's thread, and the agents
it loads (baselines, SB3 models, pretrained weights)."""

import time

import numpy as np
import pytest

from agents.play.session import PlayError, Session, make_agent
from gym_launchpad.grid import button_action
from gym_launchpad.midi.live import MidiPlayer, RecordingSink


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


def test_the_player_thread_only_posts_bar_lines_and_the_loop_queues_the_next_bar(agent, fast_bpm):
    """With a real MidiPlayer: the bar after each bar line is the state after the agent's press there."""
    sink = RecordingSink()
    with MidiPlayer(agent.env.launchpad, sink, tempo_bpm=fast_bpm * 2) as player:
        session = Session(agent, seed=2, player=player, tempo_bpm=fast_bpm * 2)
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


def test_a_player_that_failed_ends_the_session_with_its_error(agent, fast_bpm):
    from gym_launchpad.midi.live import PlaybackError

    class VanishingPort:
        def send(self, message):
            if message[0] & 0xF0 == 0x90:
                raise OSError("the MIDI port went away")

        def close(self):
            pass

    with pytest.raises(PlaybackError):  # stop() raises it too, once the session has
        with MidiPlayer(agent.env.launchpad, VanishingPort(), tempo_bpm=fast_bpm) as player:
            session = Session(agent, seed=2, player=player)
            player.on_bar_start = session.on_bar_start
            player.queue_bar(np.full(session.spec.n_notes, 1, dtype=np.uint64))  # a note on the first step
            player.start()
            deadline = time.monotonic() + 5
            with pytest.raises(PlaybackError, match="the MIDI port went away"):
                while time.monotonic() < deadline:
                    session.tick()
                    time.sleep(0.005)


def test_an_sb3_model_for_another_spec_is_refused(tmp_path, synthetic_corpus_path):
    stable_baselines3 = pytest.importorskip("stable_baselines3")
    from gym_launchpad.envs import LaunchpadEnv

    toy = LaunchpadEnv(corpus=[[[1, 0, 1, 1]]], n_notes=1, bar_bits=2, low_note=60, init="random")
    path = tmp_path / "toy.zip"
    stable_baselines3.DQN("MlpPolicy", toy, learning_starts=10, buffer_size=100).save(path)
    with pytest.raises(PlayError, match="a model for another launchpad spec"):
        make_agent(str(path), synthetic_corpus_path, trust_pickle=True)
    right = LaunchpadEnv(corpus=synthetic_corpus_path, obs_mode="onehot")
    stable_baselines3.DQN("MlpPolicy", right, learning_starts=10, buffer_size=100).save(tmp_path / "right.zip")
    loaded = make_agent(str(tmp_path / "right.zip"), synthetic_corpus_path, trust_pickle=True)
    assert loaded.env.obs_mode == "onehot"
    session = Session(loaded, seed=0)
    session.play_offline(2)
    assert session.agent_actions == 2


def test_without_pretrained_weights_greedy_plays_and_says_so(unship, synthetic_corpus_path, capsys):
    unship("composer")
    agent = make_agent(None, synthetic_corpus_path)  # sounding cells: no DJ agent plays them
    assert agent.label == "greedy baseline"
    err = capsys.readouterr().err
    assert "the greedy baseline plays instead of dj: the DJ task plays a corpus of onsets" in err


def test_a_pretrained_safetensors_agent_plays_and_one_for_another_corpus_is_refused(tmp_path, synthetic_corpus_path):
    pytest.importorskip("torch")
    from agents.dqn import export as pretrained
    from agents.dqn.networks import build_policy
    from agents.dqn.presets import get_preset
    from gym_launchpad import Corpus

    preset = get_preset("mlp")
    corpus = Corpus.load(synthetic_corpus_path)
    env = preset.make_env(corpus)
    path = pretrained.export(build_policy(preset, env.observation_space, env.action_space), "mlp", preset, corpus,
                             tmp_path / "mlp.safetensors")
    agent = make_agent(str(path), synthetic_corpus_path)
    assert agent.label == "learned mlp (mlp.safetensors)"
    session = Session(agent, seed=0)
    session.play_offline(3)
    assert session.agent_actions == 3 and session.last_agent_action is not None
    with pytest.raises(PlayError, match="was trained for spec .* on corpus"):
        make_agent(str(path), None)  # the shipped corpus is another corpus


def test_the_follower_plays_24_presses_a_bar_and_songs_are_written_as_onsets(tmp_path):
    from agents.rollout import song
    from gym_launchpad.corpus.build import read_midi_bars

    agent = make_agent("follower")
    assert agent.label == "follower planner (DJ task)" and agent.env.corpus.cells == "onsets"
    session = Session(agent, seed=0, out=tmp_path / "follower.mid")
    session.play_offline(4)
    # The agent presses to each bar line: 24 presses a bar, and the song is the one evaluation plays.
    assert session.agent_actions == 4 * 24 and len(session.recorded) == 4
    session.save()
    written = read_midi_bars(tmp_path / "follower.mid", agent.env.launchpad, cells="onsets").words
    np.testing.assert_array_equal(written, np.array(session.recorded))
    other = make_agent("follower")
    np.testing.assert_array_equal(written, song(other.env, other.policy, seed=0, bars=4))


def test_a_human_press_counts_toward_the_bar_and_the_agent_presses_to_the_bar_line():
    session = Session(make_agent("follower"), seed=0)
    session.press(0)
    session.play_offline(1)
    assert session.agent_actions == 23 and session.env.at_bar_line


def test_the_dj_agent_plays_by_default_and_songs_are_written_as_onsets(tmp_path):
    from agents import weights
    from agents.policies import shipped_names
    from gym_launchpad.corpus.build import read_midi_bars

    assert "dj" in shipped_names("gym_launchpad/LaunchpadDJ-v0"), "the repo ships the dj agent's weights"
    agent = make_agent(None)
    assert agent.label == "dj learned (DJ task)" and agent.env.corpus.cells == "onsets"
    # The same weights named by their file are the dj agent's too (their walk head is not the composer's).
    assert make_agent(str(weights.SHIPPED_DIR / "dj.safetensors")).label == "learned dj (DJ task) (dj.safetensors)"
    session = Session(agent, seed=0, out=tmp_path / "dj.mid")
    session.play_offline(4)
    assert session.agent_actions == 4 * 24 and len(session.recorded) == 4
    session.save()
    np.testing.assert_array_equal(read_midi_bars(tmp_path / "dj.mid", agent.env.launchpad, cells="onsets").words,
                                  np.array(session.recorded))
