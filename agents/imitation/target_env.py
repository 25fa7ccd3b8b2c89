"""The walk heads' env: an action chooses a target bar, a step walks toward it.

A walk head (the dj agent's ``"walk"`` head, :class:`agents.imitation.dj_policy.DJWalkPolicy`) is a network that
chooses which bar to play next; its presses are a shortest walk there, the instrument's arithmetic
(:class:`agents.planners.hopper.TargetTable`), no simulator. To imitate a teacher that chooses targets, the
student and the teacher must act in the same units, so :func:`agents.imitation.dagger.train` plays this wrapper:
its action is a target (an index into the table's targets) and a step presses ``presses_per_step`` presses of
the walk to it, the lowest action first, then the no-op once there: the press the walk head itself makes.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class TargetWalkEnv(gym.Wrapper):
    """``env`` (a launchpad env, possibly wrapped) stepped by targets of ``table``; ``inputs`` (a slice of the
    observation, None: all of it) is what the network reads. Rewards add up over a step's presses; the info is
    the last press's."""

    def __init__(self, env: gym.Env, table, presses_per_step: int, inputs: slice | None = None):
        super().__init__(env)
        if presses_per_step < 1:
            raise ValueError(f"presses_per_step must be at least 1, got {presses_per_step}")
        self.table, self.presses_per_step, self.inputs = table, presses_per_step, inputs
        self.action_space = gym.spaces.Discrete(len(table.targets))
        box = env.observation_space
        if inputs is not None:
            box = gym.spaces.Box(box.low[inputs], box.high[inputs], dtype=box.dtype)
        self.observation_space = box

    def observation(self, obs: np.ndarray) -> np.ndarray:
        return obs if self.inputs is None else obs[self.inputs]

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self.observation(obs), info

    def press(self, target: int) -> int:
        """The walk head's press toward ``target`` from the launchpad's state: the lowest of a shortest walk."""
        state = self.env.unwrapped.state
        return self.table.first_press(int(target), state.masks, state.offsets)

    def step(self, target):
        total = 0.0
        for _ in range(self.presses_per_step):
            obs, reward, terminated, truncated, info = self.env.step(self.press(target))
            total += float(reward)
            if terminated or truncated:
                break
        return self.observation(obs), total, terminated, truncated, info
