"""Start training episodes near the end of the explorer's best trajectories, and move the start back.

Salimans and Chen (2018, "Learning Montezuma's Revenge from a Single Demonstration"), the robustification
of Go-Explore: an episode that starts a few presses before a good bar needs only a few right presses to
earn its reward, which epsilon-greedy finds; once the agent reaches the trajectory's final distance (within
``tolerance``, at any press: epsilon-greedy noise may undo it by the episode's end) from ``success_rate`` of
the starts at one point, the start moves ``step_back`` presses
earlier, until episodes start where the trajectory did. ``fresh_fraction`` of the episodes start from the
env's own start distribution (a random triad), the states the agent is judged from; that share grows with
the curriculum's progress, up to ``fresh_fraction_end``. A fresh episode that ends within
``self_imitation_tolerance`` of the trajectories' best is handed to ``on_success`` (self-imitation: the
agent's own good episodes join its demonstrations, Oh et al. 2018).
"""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np

from agents.explorer.go_explore import Trajectory


class BackwardCurriculum(gym.Wrapper):
    """Resets to states along ``trajectories`` (a backward curriculum per trajectory) or to a fresh start.

    A curriculum episode lasts the presses left in its trajectory plus ``slack``; a fresh one ``fresh_steps``.
    """

    def __init__(self, env, trajectories: list[Trajectory], fresh_fraction: float = 0.2,
                 fresh_fraction_end: float = 0.6, fresh_steps: int = 100, slack: int = 20, step_back: int = 2,
                 jitter: int = 2, window: int = 8, success_rate: float = 0.6, tolerance: int = 2, seed: int = 0,
                 on_success=None, self_imitation_tolerance: int = 8):
        super().__init__(env)
        self.on_success = on_success
        best = min((t.final_distance for t in trajectories), default=0)
        self.fresh_target = best + self_imitation_tolerance
        self.paths = [self._states(t) for t in trajectories]
        self.targets = [t.final_distance + tolerance for t in trajectories]
        # Each trajectory's curriculum starts at its last state: hold the good bar.
        self.starts = [len(states) - 1 for states in self.paths]
        self.outcomes = [deque(maxlen=window) for _ in trajectories]
        self.fresh_fraction, self.fresh_fraction_end = fresh_fraction, fresh_fraction_end
        self.fresh_steps = fresh_steps
        self.slack, self.step_back, self.jitter, self.success_rate = slack, step_back, jitter, success_rate
        self.rng = np.random.default_rng(seed)
        self._episode = None  # (trajectory index or None, the press limit)
        self._presses, self._nearest = 0, None
        self._fresh_start, self._actions = None, []

    def _states(self, trajectory: Trajectory) -> list:
        self.env.reset(options={"state": trajectory.start})
        states = [trajectory.start.copy()]
        for action in trajectory.actions:
            self.env.step(action)
            states.append(self.env.unwrapped.state.copy())
        return states

    @property
    def progress(self) -> float:
        """How far back the starts have moved, from 0 (at the trajectories' ends) to 1 (at their starts)."""
        if not self.paths:
            return 1.0
        moved = [1 - start / max(len(path) - 1, 1) for start, path in zip(self.starts, self.paths, strict=True)]
        return float(np.mean(moved))

    def reset(self, *, seed=None, options=None):
        self._presses, self._nearest = 0, None
        fresh = self.fresh_fraction + (self.fresh_fraction_end - self.fresh_fraction) * self.progress
        if options or self.rng.random() < fresh or not self.paths:
            self._episode = (None, self.fresh_steps)
            result = self.env.reset(seed=seed, options=options)
            self._fresh_start, self._actions = self.env.unwrapped.state.copy(), []
            return result
        k = int(self.rng.integers(len(self.paths)))
        start = max(0, self.starts[k] - int(self.rng.integers(self.jitter + 1)))
        self._episode = (k, len(self.paths[k]) - 1 - start + self.slack)
        return self.env.reset(seed=seed, options={"state": self.paths[k][start]})

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._presses += 1
        self._nearest = info["distance"] if self._nearest is None else min(self._nearest, info["distance"])
        k, limit = self._episode
        if k is None:
            self._actions.append(int(action))
        if self._presses >= limit:
            truncated = True
            if k is not None:
                self._judge(k, self._nearest <= self.targets[k])
            elif self.on_success is not None and info["distance"] <= self.fresh_target:
                self.on_success(Trajectory(self._fresh_start, list(self._actions), [info["distance"]]))
        return obs, reward, terminated, truncated, info

    def _judge(self, k: int, success: bool):
        outcomes = self.outcomes[k]
        outcomes.append(success)
        if self.starts[k] > 0 and len(outcomes) == outcomes.maxlen and np.mean(outcomes) >= self.success_rate:
            self.starts[k] = max(0, self.starts[k] - self.step_back)
            outcomes.clear()
