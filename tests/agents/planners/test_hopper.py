"""The hopper, the DJ task's planner: walks between corpus bars with audible presses."""

import gymnasium as gym
import numpy as np

import gym_launchpad  # noqa: F401  (registers the ids)
from agents.planners.hopper import Hopper, TargetTable, ordered_walk
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
    env = gym.make(DJ, presses_per_bar=1)  # the hopper's task: one press a bar
    hopper = Hopper(env)
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
