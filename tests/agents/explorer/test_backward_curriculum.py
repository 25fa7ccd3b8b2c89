"""The backward curriculum starts at the end of a trajectory and moves back as the agent succeeds."""

import gymnasium as gym
import pytest

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents.explorer.backward_curriculum import BackwardCurriculum
from agents.explorer.go_explore import replay


@pytest.fixture
def env(synthetic_corpus_path):
    return gym.make("gym_launchpad/Launchpad-v0", corpus=synthetic_corpus_path, max_episode_steps=1000)


def walk(env):
    """A trajectory of toggles from a seeded triad start."""
    env.reset(seed=3)
    return replay(env, env.unwrapped.state.copy(), [0, 7, 14, 21, 28, 35])


def test_first_episodes_start_at_the_trajectory_end_and_move_back_on_success(env):
    trajectory = walk(env)
    curriculum = BackwardCurriculum(env, [trajectory], fresh_fraction=0.0, fresh_fraction_end=0.0, jitter=0,
                                    window=2, success_rate=1.0, step_back=2, slack=1)
    noop = env.action_space.n - 1
    assert curriculum.starts == [len(trajectory.actions)] and curriculum.progress == 0.0
    for _ in range(2):  # holding the final bar reaches the trajectory's distance: two successes
        _, info = curriculum.reset()
        assert info["distance"] == trajectory.final_distance
        _, _, _, truncated, _ = curriculum.step(noop)
        assert truncated
    assert curriculum.starts == [len(trajectory.actions) - 2]
    _, info = curriculum.reset()
    assert info["distance"] == trajectory.distances[-3]


def test_fresh_episodes_start_from_the_env_and_good_ones_are_handed_over(env):
    trajectory = walk(env)
    handed = []
    curriculum = BackwardCurriculum(env, [trajectory], fresh_fraction=1.0, fresh_fraction_end=1.0, fresh_steps=3,
                                    on_success=handed.append, self_imitation_tolerance=10_000)
    _, info = curriculum.reset(seed=5)
    start = curriculum.unwrapped.state.copy()
    for action in (1, 2, 3):
        _, _, _, truncated, _ = curriculum.step(action)
    assert truncated and len(handed) == 1
    assert handed[0].actions == [1, 2, 3] and handed[0].start == start
