"""The dj agent's teacher: the follower planner, as a :class:`agents.imitation.dagger.Teacher` for either head.

The follower (:mod:`agents.planners.follower`) chooses a target at each bar line from what the DJ observation
shows (the heard bar's state, the ages, the phase), then walks to it. So it labels:

- for the ``"walk"`` head (:class:`TargetTeacher`, played through :class:`agents.imitation.target_env.TargetWalkEnv`,
  a step = a bar): the target it chooses at the bar line;
- for the ``"press"`` head (:class:`PressTeacher`, a step = a press): the presses of its walk, which can be
  made in any order, so the label is the *set* of them (the no-op alone once the walk is done) and the network is
  trained to put its probability on the set (dagger's allowed-set loss), not on one arbitrary order of it.
"""

from __future__ import annotations

import numpy as np

from agents.planners.follower import Follower


class TargetTeacher:
    """The follower's target at the bar line of its env (a :class:`~agents.imitation.target_env.TargetWalkEnv`
    over LaunchpadDJ-v0)."""

    def __init__(self, env):
        self.env = env.unwrapped
        self.follower = Follower(self.env)

    def label(self, need_action: bool = True) -> tuple[int, None]:
        env = self.env
        state = env.state
        return self.follower.choose(state.masks, state.offsets, env.heard_words, env.ages), None

    def length(self) -> None:
        return None


class PressTeacher:
    """The follower's walk presses in its env's state: its own (the lowest, or without ``need_action`` one drawn
    at random) and the set of them."""

    def __init__(self, env, seed=0):
        self.follower = Follower(env)
        self.n_actions = env.action_space.n
        self.rng = np.random.default_rng(seed)

    def label(self, need_action: bool = True) -> tuple[int, np.ndarray]:
        right = self.follower.presses()
        allowed = np.zeros(self.n_actions, dtype=bool)
        allowed[right] = True
        return int(right[0] if need_action else self.rng.choice(right)), allowed

    def length(self) -> None:
        return None
