"""The DJ task's agents: the hopper planner walks between corpus bars with audible presses, the learned dj
agent's weights load without unpickling and refuse another corpus, and the targets are measured from MIDI."""

import json

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids)
from agents import policies
from agents.dj import learned
from agents.dj.hopper import Hopper, TargetTable, ordered_walk
from agents.dj_targets import meets, song_front
from agents.play import cli as play_cli
from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.reward import bar_distances

DJ = "gym_launchpad/LaunchpadDJ-v0"


def test_a_walk_reaches_its_target_as_closely_as_the_launchpad_plays_it():
    env = gym.make(DJ).unwrapped
    table = TargetTable(env.corpus, radius=2)
    env.reset(seed=1)
    for target in (0, len(table.targets) // 2, len(table.targets) - 1):
        state = env.state.copy()
        walk = table.walk(target, state.masks, state.offsets)
        assert len(walk) == table.presses(state.masks, state.offsets)[target]
        for action in walk:
            state.apply(action)
        distance = bar_distances(env.corpus.bars[table.targets[target]][None], state.words())[0]
        assert distance == table.fit[target] <= 2


def test_the_walk_order_presses_audible_buttons_first():
    env = gym.make(DJ).unwrapped
    spec = env.launchpad
    state = LaunchpadState.empty(spec)
    # A silent row's offset press is silent; toggling its pattern is heard: the toggle goes first.
    walk = [spec.offset_action(4, 2), spec.toggle_action(4, 6)]
    order = [action for action, _, _ in ordered_walk(spec, env.corpus.bars.T.copy(), state.masks, state.offsets,
                                                      walk)]
    assert order == [spec.toggle_action(4, 6), spec.offset_action(4, 2)]


def test_the_hopper_moves_every_bar_and_keeps_near_the_corpus():
    env = gym.make(DJ)
    hopper = Hopper(env)
    assert hopper.planner
    obs, _ = env.reset(seed=4)
    heard, nearest, distances = [], [], []
    for _ in range(60):
        action, _ = hopper.predict(obs)
        obs, _, _, _, info = env.step(action)
        heard.append(info["heard_change"])
        nearest.append(info["nearest_bar"])
        distances.append(info["distance"])
    assert all(heard)
    assert len(set(nearest)) >= 6 and np.mean(distances[20:]) < 8
    # A new episode starts the hopper's memory afresh: the same seed plays the same song.
    songs = []
    for _ in range(2):
        obs, _ = env.reset(seed=4)
        actions = []
        for _ in range(10):
            actions.append(int(hopper.predict(obs)[0]))
            obs = env.step(actions[-1])[0]
        songs.append(actions)
    assert songs[0] == songs[1]


def test_learned_weights_round_trip_and_are_refused_for_another_corpus(tmp_path):
    env = gym.make(DJ)
    rng = np.random.default_rng(0)
    n_in, n_out = env.observation_space.shape[0], env.action_space.n
    layers = [(rng.normal(size=(8, n_in)), rng.normal(size=8)), (rng.normal(size=(n_out, 8)), rng.normal(size=n_out))]
    path = learned.save(layers, tmp_path / "dj.safetensors", {"corpus_hash": env.unwrapped.corpus.hash})
    policy = learned.load(path, env)
    obs, _ = env.reset(seed=0)
    hidden = np.maximum(obs @ layers[0][0].T.astype(np.float32) + layers[0][1].astype(np.float32), 0)
    expected = int(np.argmax(hidden @ layers[1][0].T.astype(np.float32) + layers[1][1].astype(np.float32)))
    assert int(policy.predict(obs)[0]) == expected
    assert policy.predict(np.stack([obs, obs]))[0].tolist() == [expected, expected]
    broken = [(layers[0][0], np.full(8, np.nan)), layers[1]]
    with pytest.raises(learned.DJWeightsError, match="NaN or infinite"):
        learned.load(learned.save(broken, tmp_path / "nan.safetensors", {"corpus_hash": env.unwrapped.corpus.hash}),
                     env)
    other = Corpus.from_bars(env.unwrapped.launchpad, env.unwrapped.corpus.bars[:50], metadata={"cells": "onsets"})
    with pytest.raises(learned.DJWeightsError, match="trained on corpus"):
        learned.load(path, gym.make(DJ, corpus=other))
    meta = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(learned.DJWeightsError, match="format 99"):
        learned.load(path, env)
    path.write_bytes(b"not safetensors")
    with pytest.raises(learned.DJWeightsError, match="damaged"):
        learned.load(path, env)


def test_the_policy_registry_names_the_dj_agents_and_refuses_sounding_corpora():
    source = policies.parse_policy("hopper")
    assert (source.kind, source.label) == ("dj", "hopper")
    loaded = policies.load_policy(source, episode_steps=20)
    assert loaded.env.spec.id == DJ and loaded.env.spec.max_episode_steps == 20
    with pytest.raises(ValueError, match="play a corpus of onsets"):
        policies.load_policy("hopper", Corpus.default())


@pytest.mark.slow
def test_a_hopper_song_written_by_play_reads_back_with_the_metrics_the_env_saw(tmp_path):
    song = tmp_path / "hopper.mid"
    assert play_cli.main(["--headless", "--agent", "hopper", "--seed", "2", "--bars", "40", "--out", str(song)]) == 0
    front = song_front(song, Corpus.onsets())
    assert front["bars"] == 40 and front["heard_change_fraction"] == 1.0
    assert front["onsets_per_bar"] >= 15 and front["distinct_nearest_per_100_bars"] >= 10
    assert meets({**front, "mean_distance": 6.0})["mean_distance"]
    assert not meets({**front, "mean_distance": 6.5})["mean_distance"]


def test_the_front_of_both_tasks_is_a_table_and_a_figure(tmp_path):
    from agents import report
    from agents.front import evaluate_front

    rows = evaluate_front(1, 35, 0, tasks={"Launchpad-v0": ("noop",), "LaunchpadDJ-v0": ("noop", "greedy")})
    assert list(rows) == ["noop [Launchpad-v0]", "noop [LaunchpadDJ-v0]", "greedy (planner) [LaunchpadDJ-v0]"]
    assert rows["noop [LaunchpadDJ-v0]"]["heard_change_fraction"] == 0.0
    assert rows["greedy (planner) [LaunchpadDJ-v0]"]["planner"]
    assert rows["noop [Launchpad-v0]"]["task"] == "Launchpad-v0"
    table = report.front_table(rows)
    assert "| greedy | LaunchpadDJ-v0 | planner |" in table and len(table.splitlines()) == 5
    report.plot_front(rows, tmp_path / "front.png")
    assert (tmp_path / "front.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
