"""What every planner shares: it plays one env, reads that env's state, and answers SB3's ``predict``.

A planner decides from the launchpad's state, not from ``obs``: it uses the env as a simulator (its
one-step lookahead, or a second env reset to a state), so every table labels it ``planner = True``.
"""

from __future__ import annotations

import numpy as np

from gym_launchpad.launchpad import LaunchpadState


def state_key(state: LaunchpadState) -> bytes:
    """A hashable key of a state: planners cache what they decided for the state they decided it in."""
    return state.masks.tobytes() + state.offsets.tobytes()


class Planner:
    """A policy that acts by planning in ``env`` (possibly wrapped), one env at a time.

    Subclasses implement :meth:`act`: the action for the env's current state.
    """

    name = "planner"
    #: Planners use the simulator to act; tables label them apart from policies that read only ``obs``.
    planner = True

    def __init__(self, env):
        self.env = env.unwrapped
        self.action_space = env.action_space
        self.observation_space = env.observation_space
        self.spec = self.env.launchpad
        self.noop_action = self.spec.noop_action

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        if obs.shape != self.observation_space.shape and obs.shape[0] != 1:
            raise ValueError(f"{type(self).__name__} plans on one env's state; got a batch of {obs.shape[0]} "
                             "observations")
        action = np.int64(self.act())
        return (action if obs.shape == self.observation_space.shape else np.array([action])), state

    def act(self) -> int:
        raise NotImplementedError

    def simulator(self):
        """A second env on the same corpus, with the ``"nearest"`` reward, to try presses in without
        touching the env being played."""
        import gymnasium as gym

        spec = self.spec
        return gym.make("gym_launchpad/Launchpad-v0", corpus=self.env.corpus, n_notes=spec.n_notes,
                        bar_bits=spec.bar_bits, low_note=spec.low_note, init="empty").unwrapped
