"""Go-Explore's first phase: returning to archived cells crosses the barrier that random presses do not."""

import gymnasium as gym
import pytest

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents.explorer.go_explore import GoExplore, replay, shorten
from gym_launchpad import LaunchpadSpec


@pytest.fixture
def small_env(small_corpus_path):
    spec = LaunchpadSpec(8, 3, 60)
    return gym.make("gym_launchpad/Launchpad-v0", corpus=small_corpus_path, init="empty", n_notes=spec.n_notes,
                    bar_bits=spec.bar_bits, low_note=spec.low_note, max_episode_steps=10_000)


def explore(env, start, stop_distance):
    # Distances of a few cells on this launchpad: one cell per distance, and a steep preference for the best.
    go_explore = GoExplore(env, loudness_bucket=2, distance_bucket=1, temperature=1, explore_steps=5, seed=0)
    return go_explore.run(start, max_steps=50_000, stop_distance=stop_distance)


def test_reaches_the_ceiling_of_a_small_launchpad(small_env):
    small_env.reset(seed=0)
    start = small_env.unwrapped.state.copy()
    ceiling = small_env.unwrapped.ceiling.distance
    found = explore(small_env, start, ceiling)
    assert found.final_distance == ceiling
    # The trajectory is what it says: replaying its presses from the start ends on its distance.
    assert replay(small_env, start, found.actions).distances == found.distances


def test_shorten_keeps_the_final_distance_and_drops_detours(small_env):
    small_env.reset(seed=0)
    start = small_env.unwrapped.state.copy()
    found = explore(small_env, start, small_env.unwrapped.ceiling.distance)
    noop = small_env.action_space.n - 1
    detour = replay(small_env, start, [0, 0, noop, *found.actions, 5, 5])
    short = shorten(small_env, detour)
    assert short.final_distance <= found.final_distance
    assert len(short.actions) <= len(found.actions)


@pytest.mark.slow
def test_crosses_the_barrier_on_the_shipped_corpus_only_by_returning():
    env = gym.make("gym_launchpad/Launchpad-v0", max_episode_steps=10_000)
    env.reset(seed=100_000)
    start = env.unwrapped.state.copy()
    found = GoExplore(env, seed=0).run(start, max_steps=150_000, stop_distance=10)
    # Greedy's one-step lookahead stops at 60 from every triad start; the archive gets within 10.
    assert found.final_distance <= 10
    without_return = GoExplore(env, return_to_cells=False, seed=0).run(start, max_steps=30_000, stop_distance=10)
    assert without_return.final_distance > 50


def test_a_found_bar_is_found_again_from_another_start_with_the_old_way_as_an_option(small_env):
    small_env.reset(seed=0)
    first = explore(small_env, small_env.unwrapped.state.copy(), small_env.unwrapped.ceiling.distance)
    replay(small_env, first.start, first.actions)
    aim = small_env.unwrapped.words.copy()
    small_env.reset(seed=1)
    other = small_env.unwrapped.state.copy()
    go_explore = GoExplore(small_env, loudness_bucket=2, distance_bucket=1, temperature=1, explore_steps=5,
                           aim=aim, seed=0)
    found = go_explore.run(other, max_steps=50_000, options=[first.actions])
    # It ends on the aim itself (not merely on some bar as near the corpus), from the other start.
    replay(small_env, other, found.actions)
    assert (small_env.unwrapped.words == aim).all()
    assert found.final_distance == first.final_distance


def test_options_are_archived_as_they_are_played(small_env):
    small_env.reset(seed=0)
    start = small_env.unwrapped.state.copy()
    first = explore(small_env, start, small_env.unwrapped.ceiling.distance)
    # With no presses to explore with, the option alone is the way: its end is the best cell.
    found = GoExplore(small_env, seed=0).run(start, max_steps=len(first.actions), options=[first.actions])
    assert found.final_distance == first.final_distance
