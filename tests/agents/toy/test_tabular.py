"""Tabular Q-learning (paper section 5.2): the state encoder it tables states by, the transition table
(the env's own dynamics), and the learner."""

import gymnasium as gym
import numpy as np
import pytest

from agents.toy.study import TOY_ID, q_learning_trial
from agents.toy.tabular import TransitionTable, q_learning
from gym_launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.envs import LaunchpadEnv


# --- the state encoder -----------------------------------------------------------------------------
@pytest.mark.parametrize("n_notes, bar_bits", [(1, 2), (2, 2), (1, 3)])
def test_state_index_enumerates_every_state_once(n_notes, bar_bits):
    spec = LaunchpadSpec(n_notes, bar_bits, 60)
    assert spec.n_states == 2 ** (n_notes * (2 * bar_bits + 1))
    states = [LaunchpadState.from_index(spec, i) for i in range(spec.n_states)]
    assert [s.index for s in states] == list(range(spec.n_states))
    distinct = {(tuple(s.masks), tuple(s.offsets)) for s in states}
    assert len(distinct) == spec.n_states


def test_state_index_is_the_toggles_observation_read_as_binary():
    spec = LaunchpadSpec()
    env = LaunchpadEnv(corpus=np.zeros((1, 24, 64), dtype=bool), init="random")
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        expected = sum(int(bit) << i for i, bit in enumerate(obs))
        assert env.state.index == expected
        assert LaunchpadState.from_index(spec, expected) == env.state


def test_toggle_action_flips_its_bit_of_the_index():
    spec = LaunchpadSpec(2, 2, 60)
    state = LaunchpadState.from_index(spec, 0b1011001110)
    for action in range(spec.n_toggle_actions):
        pressed = state.copy()
        pressed.apply(action)
        assert pressed.index == state.index ^ (1 << action)


@pytest.mark.parametrize("bad", [-1, 32, 2.0, True, "3"])
def test_from_index_rejects_what_is_not_a_state(bad):
    with pytest.raises(ValueError, match="state index"):
        LaunchpadState.from_index(LaunchpadSpec(1, 2, 60), bad)


def test_env_reports_state_index_only_for_small_launchpads(toy_env):
    _, info = toy_env.reset(seed=3)
    assert info["state_index"] == toy_env.unwrapped.state.index
    _, _, _, _, info = toy_env.step(4)
    assert info["state_index"] == toy_env.unwrapped.state.index
    big = LaunchpadEnv(corpus=np.zeros((1, 24, 64), dtype=bool))
    assert "state_index" not in big.reset(seed=0)[1]


# --- the transition table is the env's dynamics -------------------------------------------------------
@pytest.mark.parametrize("launchpad", ["toy", "two-note"])
def test_transition_table_agrees_with_stepping_the_env(launchpad, two_note_env):
    env = gym.make(TOY_ID) if launchpad == "toy" else two_note_env(100)
    table = TransitionTable.from_env(env)
    spec = env.unwrapped.launchpad
    assert table.next_state.shape == (spec.n_states, spec.n_actions)
    assert table.reward.max() == -env.unwrapped.ceiling.distance
    rng = np.random.default_rng(0)
    for s, a in zip(rng.integers(spec.n_states, size=50), rng.integers(spec.n_actions, size=50), strict=True):
        env.reset(options={"state": LaunchpadState.from_index(spec, int(s))})
        _, reward, _, _, info = env.step(int(a))
        assert info["state_index"] == table.next_state[s, a]
        assert reward == table.reward[info["state_index"]] == -info["distance"]


def test_toy_table_has_the_papers_sizes_and_two_best_states(toy_table):
    assert (toy_table.n_states, toy_table.n_actions) == (32, 6)
    best = np.flatnonzero(toy_table.reward == 0)
    bars = {tuple(LaunchpadState.from_index(LaunchpadSpec(1, 2, 60), int(s)).roll()[0].astype(int)) for s in best}
    assert len(best) == 2 and bars == {(1, 0, 1, 1)}


def test_tabular_learners_refuse_what_they_cannot_table():
    with pytest.raises(ValueError, match="2\\*\\*16"):
        TransitionTable.from_env(LaunchpadEnv(corpus=np.zeros((1, 24, 64), dtype=bool)))
    with pytest.raises(ValueError, match="reward_mode='nearest'"):
        TransitionTable.from_env(gym.make(TOY_ID, reward_mode="sampled"))
    with pytest.raises(TypeError, match="LaunchpadEnv"):
        q_learning(gym.make("CartPole-v1"), 10)


# --- Q-learning --------------------------------------------------------------------------------------
def test_q_learning_is_a_function_of_its_seed(toy_env):
    first, second = q_learning(toy_env, 800, seed=7), q_learning(toy_env, 800, seed=7)
    assert np.array_equal(first.q, second.q) and np.array_equal(first.rewards, second.rewards)
    assert not np.array_equal(first.rewards, q_learning(toy_env, 800, seed=8).rewards)
    assert first.resets == [500]


def test_q_learning_never_raises_q_above_zero_and_keeps_true_zeros(toy_env, toy_table):
    run = q_learning(toy_env, 300, seed=0)
    assert (run.q <= 0).all()
    assert (run.q[toy_table.optimal_q() == 0] == 0).all()


@pytest.mark.slow
def test_q_learning_learns_the_toy_and_recovers_from_replacements(toy_env, toy_table):
    trials = [q_learning_trial(toy_env, toy_table, 5000, seed) for seed in range(20)]
    learned = [t.learned_step for t in trials]
    assert sum(s is not None and s <= 1000 for s in learned) >= 18, learned
    # Replacements after the first are the ones made after learning; the first segment is the learning.
    recoveries = [r for t in trials for r in t.recovery_steps[1:]]
    assert len(recoveries) == 20 * 9
    assert sum(r is not None and r <= 200 for r in recoveries) >= 0.9 * len(recoveries), recoveries
    # The heat map: every entry whose true value is below 0 has been learnt away from its initial 0.
    assert all(t.zeros_are_true_zeros for t in trials)


def test_papers_update_and_the_envs_reward_agree_on_the_greedy_policy(toy_table):
    # The paper bootstraps on R(s), the state acted in; the env pays R(T(s, a)), the state arrived in.
    gamma, r, t = 0.999, toy_table.reward, toy_table.next_state
    q_env = np.zeros(t.shape)
    for _ in range(20000):
        q_env = r[t] + gamma * q_env.max(axis=1)[t]
    q_paper = toy_table.optimal_q(gamma)
    np.testing.assert_allclose(q_paper, r[:, None] + gamma * q_env, atol=1e-6)
    assert np.array_equal(q_paper.argmax(axis=1), q_env.argmax(axis=1))
