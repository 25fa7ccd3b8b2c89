"""Baseline policies, with the ``predict`` signature of SB3 models so evaluation treats every policy alike.

- :class:`RandomPolicy`: a uniformly random button every step.
- :class:`NoopPolicy`: the no-op every step, so the reset state is held for the whole episode.
- :class:`GreedyPolicy`: one-step lookahead over all actions, using the env as a simulator
  (:meth:`LaunchpadEnv.distances_after_each_action`). It picks an action whose resulting bar is nearest
  to the corpus; ties go to the no-op (so it stops pressing once no single press helps), then to the
  lowest action index (so it is deterministic).

``predict(obs, state=None, episode_start=None, deterministic=True) -> (actions, state)`` accepts one
observation or a batch (leading axis), like :meth:`stable_baselines3.common.base_class.BaseAlgorithm.predict`.
The greedy policy reads the env's current state rather than ``obs``, so it serves one env at a time.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

BASELINES = ("random", "noop", "greedy")


class _Baseline:
    """What every baseline shares: the action space and the batch handling of ``predict``."""

    name = "baseline"

    def __init__(self, action_space: spaces.Discrete, observation_space: spaces.Space):
        self.action_space = action_space
        self.observation_space = observation_space

    def _n_obs(self, obs) -> int | None:
        """How many observations ``obs`` holds, or None for a single unbatched one."""
        obs = np.asarray(obs)
        if obs.shape == self.observation_space.shape:
            return None
        return obs.shape[0]

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        n = self._n_obs(obs)
        actions = np.array([self._act() for _ in range(1 if n is None else n)], dtype=np.int64)
        return (actions[0] if n is None else actions), state

    def _act(self) -> int:
        raise NotImplementedError


class RandomPolicy(_Baseline):
    """A uniformly random action every step, from its own seeded generator."""

    name = "random"

    def __init__(self, action_space, observation_space, seed: int | None = None):
        super().__init__(action_space, observation_space)
        self.rng = np.random.default_rng(seed)

    def _act(self) -> int:
        return int(self.rng.integers(self.action_space.n))


class NoopPolicy(_Baseline):
    """The no-op every step: the reset state, held."""

    name = "noop"

    def __init__(self, action_space, observation_space, noop_action: int):
        super().__init__(action_space, observation_space)
        self.noop_action = int(noop_action)

    def _act(self) -> int:
        return self.noop_action


class GreedyPolicy(_Baseline):
    """One-step lookahead: the action whose bar is nearest to the corpus; ties to the no-op, then lowest index.

    ``env`` is the (possibly wrapped) LaunchpadEnv this policy plays; its state, not ``obs``, decides.
    """

    name = "greedy"

    def __init__(self, env):
        super().__init__(env.action_space, env.observation_space)
        self.env = env.unwrapped
        self.noop_action = self.env.launchpad.noop_action
        self._last = (None, None)  # (state key, action): once greedy settles, the state stops changing

    def _act(self) -> int:
        state = self.env.state
        key = state.masks.tobytes() + state.offsets.tobytes()
        if key != self._last[0]:
            self._last = (key, greedy_action(self.env.distances_after_each_action(), self.noop_action))
        return self._last[1]

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        n = self._n_obs(obs)
        if n is not None and n != 1:
            raise ValueError(f"GreedyPolicy plans on one env's state; got a batch of {n} observations")
        return super().predict(obs, state, episode_start, deterministic)


def greedy_action(distances: np.ndarray, noop_action: int) -> int:
    """The greedy choice among per-action distances: the no-op if it is among the best, else the first best."""
    best = distances.min()
    if distances[noop_action] == best:
        return int(noop_action)
    return int(np.argmin(distances))


def make_baseline(name: str, env, seed: int | None = None):
    """The baseline called ``name`` (one of :data:`BASELINES`) for ``env``."""
    if name == "random":
        return RandomPolicy(env.action_space, env.observation_space, seed=seed)
    if name == "noop":
        return NoopPolicy(env.action_space, env.observation_space, env.unwrapped.launchpad.noop_action)
    if name == "greedy":
        return GreedyPolicy(env)
    raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
