"""Tabular Q-learning on small launchpads (paper section 5.2), on the env itself.

The paper writes the update for a deterministic MDP with a reward per state ``R(s)`` and transitions
``T(s, a)``::

    Q(s, a) = (1 - alpha) Q(s, a) + alpha (R(s) + gamma max_a' Q(T(s, a), a'))

``LaunchpadEnv`` pays the reward of the state *after* the action: step ``t`` returns ``R(s_{t+1})``.
The learner here uses the paper's form as written: ``R(s_t)`` is the reward of the step that entered
``s_t`` (or, right after a reset, minus ``info["distance"]``). Both forms have the same greedy policy:
the paper's fixed point is ``Q_paper(s, a) = R(s) + gamma Q_env(s, a)`` with ``Q_env`` the usual
Gymnasium one, and ``R(s)`` does not depend on ``a``. The paper's form is kept because its Q-table is
the one the paper's heat map shows: an entry is 0 exactly when the agent is already at the best
reward and the action keeps it there for ever.

States are table rows through the one state encoder, :attr:`gym_launchpad.LaunchpadState.index`,
which the env reports as ``info["state_index"]`` for launchpads of at most 2**16 states.

For studies that try many actions without committing (:mod:`agents.toy.mcmc`), :class:`TransitionTable`
records ``T(s, a)`` and ``R(s)`` by querying the env once per (state, action): the dynamics stay the
env's, only cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gym_launchpad.envs import LaunchpadEnv
from gym_launchpad.envs.pipeline import MAX_INDEXED_STATES
from gym_launchpad.launchpad import LaunchpadState

#: The paper's learning rate and discount.
ALPHA, GAMMA = 0.5, 0.999


def launchpad_of(env) -> LaunchpadEnv:
    """The ``LaunchpadEnv`` under any wrappers, checked small enough for a table."""
    base = env.unwrapped
    if not isinstance(base, LaunchpadEnv):
        raise TypeError(f"tabular learners need a LaunchpadEnv (wrapped or not), got {type(base).__name__}")
    n_states = base.launchpad.n_states
    if n_states > MAX_INDEXED_STATES:
        raise ValueError(
            f"{base.launchpad} has 2**{n_states.bit_length() - 1} states; a Q-table needs at most "
            f"2**16 (e.g. n_notes=1..3 with bar_bits=2): use a small launchpad or a function approximator"
        )
    return base


def q_update(q: np.ndarray, s: int, a: int, reward_s: float, s_next: int, alpha: float, gamma: float) -> None:
    """The paper's update of ``q[s, a]`` in place, ``reward_s`` being ``R(s)``."""
    q[s, a] = (1 - alpha) * q[s, a] + alpha * (reward_s + gamma * q[s_next].max())


def glie_epsilon(t: int) -> float:
    """The paper's GLIE schedule, ``epsilon_t = 1 / t`` for the 1-based step ``t``."""
    return 1.0 / t


@dataclass
class QLearningRun:
    """What one run of :func:`q_learning` did, step by step (``rewards[t]`` is the env's reward of step
    ``t``, i.e. ``R(states[t + 1])`` except across a reset; ``resets`` are the steps after which the env was
    reset)."""

    q: np.ndarray
    states: np.ndarray  # (n_steps + 1,) state index before each step, and the last one
    actions: np.ndarray  # (n_steps,)
    rewards: np.ndarray  # (n_steps,)
    resets: list[int] = field(default_factory=list)


def q_learning(
    env,
    n_steps: int,
    *,
    alpha: float = ALPHA,
    gamma: float = GAMMA,
    epsilon: Callable[[int], float] = glie_epsilon,
    seed: int | None = None,
    callback: Callable[[int, np.ndarray, int], None] | None = None,
) -> QLearningRun:
    """Epsilon-greedy tabular Q-learning on a small ``LaunchpadEnv``, Q initialised to zeros.

    The run is continuing: when the env truncates (its time limit) it is reset, which for a
    ``init="random"`` env replaces the state by a random one; the update across a truncation still
    bootstraps, since a time limit is not a terminal state. Greedy ties go to the lowest action, so a
    run is a function of ``seed``. ``callback(t, q, state)`` runs after the update of step ``t``
    (1-based), with the state the agent is now in.
    """
    base = launchpad_of(env)
    rng = np.random.default_rng(seed)
    q = np.zeros((base.launchpad.n_states, base.action_space.n))
    states = np.empty(n_steps + 1, dtype=np.int64)
    actions = np.empty(n_steps, dtype=np.int64)
    rewards = np.empty(n_steps)
    _, info = env.reset(seed=seed)
    state, reward_state = info["state_index"], -float(info["distance"])
    resets = []
    for t in range(1, n_steps + 1):
        if rng.random() < epsilon(t):
            action = int(rng.integers(q.shape[1]))
        else:
            action = int(q[state].argmax())
        _, reward, terminated, truncated, info = env.step(action)
        next_state = info["state_index"]
        q_update(q, state, action, reward_state, next_state, alpha, gamma)
        states[t - 1], actions[t - 1], rewards[t - 1] = state, action, reward
        state, reward_state = next_state, float(reward)
        if terminated or truncated:
            _, info = env.reset()
            state, reward_state = info["state_index"], -float(info["distance"])
            resets.append(t)
        if callback is not None:
            callback(t, q, state)
    states[n_steps] = state
    return QLearningRun(q, states, actions, rewards, resets)


@dataclass(frozen=True)
class TransitionTable:
    """``T(s, a)`` and ``R(s)`` of a small ``LaunchpadEnv``, read off the env by stepping it.

    ``next_state[s, a]`` is the state index after action ``a`` from state ``s``; ``reward[s]`` the
    env's reward on arriving in ``s``. Only the deterministic ``reward_mode="nearest"`` has such a table.
    """

    next_state: np.ndarray  # (n_states, n_actions) int64
    reward: np.ndarray  # (n_states,) float64

    @classmethod
    def from_env(cls, env) -> TransitionTable:
        base = launchpad_of(env)
        if base.reward_mode != "nearest":
            raise ValueError(f"a transition table needs a deterministic reward (reward_mode='nearest'), "
                             f"the env has reward_mode={base.reward_mode!r}")
        spec = base.launchpad
        n_states, n_actions = spec.n_states, spec.n_actions
        next_state = np.empty((n_states, n_actions), dtype=np.int64)
        reward = np.full(n_states, np.nan)
        for s in range(n_states):
            start = LaunchpadState.from_index(spec, s)
            for a in range(n_actions):
                base.reset(options={"state": start})
                _, r, _, _, info = base.step(a)
                next_state[s, a] = info["state_index"]
                reward[info["state_index"]] = r
        # Every state is reached from itself by the no-op, so every reward was read.
        assert not np.isnan(reward).any()
        return cls(next_state, reward)

    @property
    def n_states(self) -> int:
        return self.next_state.shape[0]

    @property
    def n_actions(self) -> int:
        return self.next_state.shape[1]

    def optimal_q(self, gamma: float = GAMMA, tol: float = 1e-12) -> np.ndarray:
        """The fixed point of the paper's update, ``Q*(s, a) = R(s) + gamma max_a' Q*(T(s, a), a')``."""
        q = np.zeros(self.next_state.shape)
        while True:
            new = self.reward[:, None] + gamma * q.max(axis=1)[self.next_state]
            if np.abs(new - q).max() < tol:
                return new
            q = new

    def greedy_path(self, q: np.ndarray, start: int) -> tuple[list[int], int]:
        """Follow ``argmax q`` from ``start`` until a state repeats.

        Returns the states visited and where in that list the greedy policy's cycle begins: the
        deterministic greedy walk is eventually periodic, and its cycle is where it stays.
        """
        seen: dict[int, int] = {}
        path = []
        s = start
        while s not in seen:
            seen[s] = len(path)
            path.append(s)
            s = int(self.next_state[s, q[s].argmax()])
        return path, seen[s]

    def greedy_holds_best(self, q: np.ndarray, start: int) -> bool:
        """Whether the greedy policy from ``start`` reaches the best reward and never leaves it."""
        path, cycle = self.greedy_path(q, start)
        return bool((self.reward[path[cycle:]] == self.reward.max()).all())

    def greedy_rewards(self, q: np.ndarray, start: int, n_steps: int) -> np.ndarray:
        """The env's rewards of ``n_steps`` greedy steps from ``start`` (no learning)."""
        rewards = np.empty(n_steps)
        s = start
        for t in range(n_steps):
            s = int(self.next_state[s, q[s].argmax()])
            rewards[t] = self.reward[s]
        return rewards
