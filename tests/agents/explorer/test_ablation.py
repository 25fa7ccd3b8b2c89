"""The ablation: the explorer's Go-Explore toward its aim from the jam's held-out starts of each family."""

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents.explorer import ablation
from agents.starts import fitted_state
from gym_launchpad import LaunchpadSpec


@pytest.fixture
def small_env(small_corpus_path):
    spec = LaunchpadSpec(8, 3, 60)
    return gym.make("gym_launchpad/Launchpad-v0", corpus=small_corpus_path, n_notes=spec.n_notes,
                    bar_bits=spec.bar_bits, low_note=spec.low_note, max_episode_steps=1000)


def aim_of_corpus_bar(env, bar=0):
    env.reset(options={"state": fitted_state(env.unwrapped.corpus, bar)})
    return env.unwrapped.words.copy()


def test_rows_per_family_within_the_budget(small_env):
    aim = aim_of_corpus_bar(small_env)
    families = ("triad", *ablation.FAILING)
    rows = ablation.ablation(small_env, aim, families, starts_per_family=2, budget=3000)
    assert [r["family"] for r in rows] == list(families)
    for row in rows:
        assert row["starts"] == 2 and 0 <= row["on_aim"] <= row["within"] <= 2
        # Go-Explore's explorations run 10 presses, so a run may pass the budget by fewer than 10.
        assert all(run["explored"] < 3000 + 10 for run in row["runs"])
    assert all(run["on_aim"] == (run["aim_distance"] == 0) for row in rows for run in row["runs"])
    table = ablation.markdown(rows, 3000)
    assert table.count("\n") == len(families) + 1 and "random launchpad" in table


def test_the_held_out_starts_are_apart_from_every_training_seed():
    from agents import starts

    seeds = {starts.held_out_seed(f, i) for f in range(len(starts.FAMILIES)) for i in range(24)}
    assert len(seeds) == len(starts.FAMILIES) * 24  # one seed a start
    low, high = starts.TRAINING_SEEDS
    assert not any(low <= seed < high for seed in seeds) and min(seeds) >= starts.HELD_OUT_SEEDS


def test_held_aim_is_the_bar_the_network_holds(small_env):
    class NoOp:
        def predict(self, obs, deterministic=True):
            return small_env.action_space.n - 1, None

    aim = ablation.held_aim(NoOp(), small_env, starts=3, presses=2, seed_base=7)
    starts = []
    for i in range(3):
        small_env.reset(seed=7 + i)
        starts.append(small_env.unwrapped.words.copy())
    # The no-op holds each start: the aim is one of them.
    assert aim.dtype == starts[0].dtype and any(np.array_equal(aim, words) for words in starts)


def test_fit_rows_play_the_network_from_its_training_starts_and_held_out_ones(small_env):
    import torch

    class Linear:
        """A stand-in Q-network: one linear layer over the observation."""

        def __init__(self):
            torch.manual_seed(0)
            n_obs = int(np.prod(small_env.observation_space.shape))
            self.q_net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(n_obs, small_env.action_space.n))
            self.policy = self

        def predict(self, obs, deterministic=True):
            with torch.no_grad():
                return int(self.q_net(torch.as_tensor(obs[None], dtype=torch.float32)).argmax()), None

    description = {"args": {"families": ["triad", "random launchpad"], "seed": 0, "discover_starts": 1,
                            "demo_starts": 4}}
    rows = ablation.fit_rows(Linear(), small_env, description, ("triad", "random launchpad", "empty launchpad"),
                             starts_per_family=2, presses=3)
    assert [len(r["trained"]) for r in rows] == [2, 2, 0] and all(len(r["held_out"]) == 2 for r in rows)
    assert all(r["q_gap"] >= 0 for r in rows)
    assert ablation.fit_markdown(rows, presses=3).count("\n") == 4
