"""The reward the learner sees, and the VecEnv wrapper that hands it to SB3 (the logs keep the env's own).

The env's reward is ``-d(s')``, minus the distance of the bar after a press to its nearest corpus bar.
:class:`LearnerReward` turns the distances before and after a press into what the learner trains on
(``Preset.reward_scale``, ``center_reward``, ``reward_shaping``); :class:`LearnerRewardVecEnv` applies it
to each step and, for the reward head, adds the learner's reward of every action from the env's lookahead.
"""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.vec_env import VecEnvWrapper

from agents.dqn.presets import Preset
from agents.dqn.reward_head import ACTION_REWARDS_INFO
from agents.dqn.sb3_vec_env import LaunchpadSB3VecEnv


class LearnerReward:
    """The learner's reward from the distance before a press and the distance after it (``Preset.reward_scale``,
    ``center_reward``, ``reward_shaping``); the env's own reward is ``-after``.

    With ``shaping="improvement"`` it is ``scale * (before - after)``, the distance the press took off
    (negative when it made the bar worse). That is potential-based shaping (Ng, Harada and Russell 1999)
    with potential ``Phi(s) = -d(s) / (1 - gamma)``: ``-d(s') + gamma Phi(s') - Phi(s) = (d(s) - d(s')) /
    (1 - gamma)``, here multiplied by ``1 - gamma``. Neither the shaping nor a positive scale changes which
    policy is optimal for the discounted reward; what changes is what the network must learn: every "hold"
    action is worth exactly 0 in every state, instead of a value near ``-d(s) / (1 - gamma)`` that differs from
    state to state by thousands. Episodes end by truncation only, so SB3 bootstraps through their last step
    and the argument holds to the end of every episode. Otherwise it is ``scale * (offset - after)``.
    """

    def __init__(self, scale: float = 1.0, offset: float = 0.0, shaping: str = "none"):
        self.scale, self.offset, self.shaping = scale, offset, shaping

    @classmethod
    def of_preset(cls, preset: Preset, silent_distance: int) -> LearnerReward:
        """The preset's learner reward; ``silent_distance`` (the corpus's distance of the empty bar) is the
        offset ``center_reward`` adds."""
        return cls(preset.reward_scale, silent_distance if preset.center_reward else 0.0, preset.reward_shaping)

    @property
    def is_env_reward(self) -> bool:
        """Whether this is the env's own reward, ``-after``, so the learner needs no wrapper."""
        return self.scale == 1.0 and self.offset == 0.0 and self.shaping == "none"

    def __call__(self, before, after):
        if self.shaping == "improvement":
            return (np.asarray(before) - np.asarray(after)) * self.scale
        return (self.offset - np.asarray(after)) * self.scale


class LearnerRewardVecEnv(VecEnvWrapper):
    """The learner sees :class:`LearnerReward` of each step's distances; the Monitor below still logs the env's
    true rewards.

    With ``action_rewards=True`` each step's info also carries ``info["action_rewards"]``, ``(n_actions,)``
    float32: the learner's reward of every action from the state the step started in, from the env's one-step
    lookahead (``distances_after_each_action``), for :class:`agents.dqn.reward_head.ActionRewardReplayBuffer`.
    The lookahead is asked for once per env step, after it, for the state the next press starts from.
    """

    def __init__(self, venv, learner_reward: LearnerReward, action_rewards: bool = False):
        super().__init__(venv)
        self.learner_reward, self.action_rewards = learner_reward, action_rewards
        self._distance = np.zeros(self.num_envs)
        self._lookahead: np.ndarray | None = None

    def reset(self):
        obs = self.venv.reset()
        # (Read from the innermost VecEnv: each wrapper between holds an empty reset_infos of its own.)
        self._distance = _distances(self.unwrapped.reset_infos)
        if self.action_rewards:
            self._lookahead = self._distances_after_each_action()
        return obs

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        after = _distances(infos)
        rewards = self.learner_reward(self._distance, after).astype(np.float32)
        if self.action_rewards:
            every = self.learner_reward(self._distance[:, None], self._lookahead).astype(np.float32)
            for info, row in zip(infos, every, strict=True):
                info[ACTION_REWARDS_INFO] = row
        self._distance = after
        if dones.any():
            # An ended env has already started its next episode: its next press starts from the reset state.
            self._distance = np.where(dones, _distances(self.unwrapped.reset_infos), after)
        if self.action_rewards:
            self._lookahead = self._distances_after_each_action()
        return obs, rewards, dones, infos

    def _distances_after_each_action(self) -> np.ndarray:
        """``(num_envs, n_actions)``: each env's ``"nearest"`` distance after each action from where it is now."""
        if isinstance(self.unwrapped, LaunchpadSB3VecEnv):
            return self.unwrapped.distances_after_each_action()
        return np.stack(self.venv.env_method("distances_after_each_action"))


def _distances(infos) -> np.ndarray:
    return np.array([info["distance"] for info in infos], dtype=np.float64)
