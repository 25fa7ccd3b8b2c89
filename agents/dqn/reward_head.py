"""A Q-network that learns every action's immediate reward from the env's own one-step lookahead.

The launchpad is deterministic and its reward depends only on the bar after the press, so
``Q(s, a) = r(s, a) + gamma * V(s after a)`` exactly. A plain DQN learns ``Q(s, a)`` from one sampled
action per state: 1 label of 313 per transition. Here the Q-network's last layer has two heads over the
same hidden layers (``Preset.reward_head``):

- ``reward(s, .)``: the learner's reward of **every** action from ``s``, trained by regression on what the
  env computes for all 313 presses at once (:meth:`LaunchpadEnv.distances_after_each_action`, the greedy
  baseline's simulator), which :class:`agents.dqn.learner_reward.LearnerRewardVecEnv` hands over in each step's
  ``info["action_rewards"]`` and :class:`ActionRewardReplayBuffer` stores with the transition;
- ``continuation(s, .)``: ``V(s after a)``, trained by the usual TD target ``max_a' Q_target(s', a')`` on the
  action that was taken (with ``double_q``, the online network picks ``a'``).

The network's output, what the policy acts on and what is exported, is ``reward + gamma * continuation``:
Q-values like any DQN's. Not in the paper; the experiment (agents/results) shows why it is here: with one
label per transition the paper's MLP does not learn, in the budgets this machine allows, that pressing an
active pattern again removes it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.torch_layers import create_mlp
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork
from torch import nn

#: The info key that carries every action's learner reward from the state a step started in.
ACTION_REWARDS_INFO = "action_rewards"


class RewardHeadQNetwork(QNetwork):
    """SB3's ``QNetwork`` whose last layer is twice as wide: the reward head, then the continuation head."""

    def __init__(self, *args, gamma: float, **kwargs):
        super().__init__(*args, **kwargs)
        n_actions = int(self.action_space.n)
        self.q_net = nn.Sequential(*create_mlp(self.features_dim, 2 * n_actions, self.net_arch, self.activation_fn))
        # A buffer, not a float: it travels in the state_dict, so exported weights carry the gamma they need.
        self.register_buffer("gamma", th.tensor(float(gamma)))

    def heads(self, obs: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        """``(reward, continuation)``, each ``(batch, n_actions)``."""
        out = self.q_net(self.extract_features(obs, self.features_extractor))
        return out.chunk(2, dim=1)

    def forward(self, obs: th.Tensor) -> th.Tensor:
        reward, continuation = self.heads(obs)
        return reward + self.gamma * continuation

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "gamma": float(self.gamma)}


class RewardHeadDQNPolicy(DQNPolicy):
    """``DQNPolicy`` with :class:`RewardHeadQNetwork` as its online and target networks."""

    def __init__(self, *args, gamma: float = 0.99, **kwargs):
        self.gamma = gamma  # read by make_q_net, which DQNPolicy.__init__ calls
        super().__init__(*args, **kwargs)

    def make_q_net(self) -> RewardHeadQNetwork:
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return RewardHeadQNetwork(**net_args, gamma=self.gamma).to(self.device)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "gamma": self.gamma}


class ActionRewardSamples(NamedTuple):
    """SB3's ``ReplayBufferSamples`` plus every action's learner reward from each sampled state."""

    observations: th.Tensor
    actions: th.Tensor
    next_observations: th.Tensor
    dones: th.Tensor
    rewards: th.Tensor
    discounts: th.Tensor | None
    action_rewards: th.Tensor


class ActionRewardReplayBuffer(ReplayBuffer):
    """A replay buffer that also stores, for each transition, the learner's reward of every action from its
    state: ``info["action_rewards"]`` of the step, which
    :class:`agents.dqn.learner_reward.LearnerRewardVecEnv` with ``action_rewards=True`` puts there."""

    def __init__(self, buffer_size: int, observation_space: spaces.Space, action_space: spaces.Discrete,
                 *args, **kwargs):
        super().__init__(buffer_size, observation_space, action_space, *args, **kwargs)
        if self.optimize_memory_usage:
            raise ValueError("ActionRewardReplayBuffer keeps next observations apart: optimize_memory_usage=False")
        self.action_rewards = np.zeros((self.buffer_size, self.n_envs, int(action_space.n)), dtype=np.float32)

    def add(self, obs, next_obs, action, reward, done, infos) -> None:
        if any(ACTION_REWARDS_INFO not in info for info in infos):
            raise RuntimeError(f"ActionRewardReplayBuffer stores info[{ACTION_REWARDS_INFO!r}]: train on an env "
                               "wrapped in LearnerRewardVecEnv(..., action_rewards=True)")
        self.action_rewards[self.pos] = np.stack([info[ACTION_REWARDS_INFO] for info in infos])
        super().add(obs, next_obs, action, reward, done, infos)

    def _get_samples(self, batch_inds: np.ndarray, env=None) -> ActionRewardSamples:
        # SB3's own sampling draws the env index inside; draw it here so the action rewards match.
        env_indices = np.random.randint(0, high=self.n_envs, size=(len(batch_inds),))
        dones = self.dones[batch_inds, env_indices] * (1 - self.timeouts[batch_inds, env_indices])
        data = (
            self._normalize_obs(self.observations[batch_inds, env_indices, :], env),
            self.actions[batch_inds, env_indices, :],
            self._normalize_obs(self.next_observations[batch_inds, env_indices, :], env),
            dones.reshape(-1, 1),
            self._normalize_reward(self.rewards[batch_inds, env_indices].reshape(-1, 1), env),
        )
        tensors = tuple(map(self.to_torch, data))
        return ActionRewardSamples(*tensors, None, self.to_torch(self.action_rewards[batch_inds, env_indices]))
