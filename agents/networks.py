"""The paper's Q-networks for SB3's DQN, and a DQN that can train with the paper's loss and clipping.

- ``linear``: one fully connected layer from the observation to the 313 Q-values (``net_arch=[]``).
- ``mlp``: fc 1024 -> relu -> fc 512 -> relu -> fc 313 (paper section 2.3.1).
- ``rowwise``: the authors' actual network: one 1024-unit layer applied to every pitch row with shared
  weights (:class:`RowwiseExtractor`), flattened, then fc 512 -> relu -> fc 313. It reads the
  ``onehot`` observation, ``(N, B + 1 + 2**B)``: one row of features per pitch.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from gymnasium.error import DependencyNotInstalled

try:
    import torch as th
    from stable_baselines3 import DQN
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor, FlattenExtractor
    from stable_baselines3.common.vec_env import VecEnvWrapper
    from stable_baselines3.dqn.policies import DQNPolicy
    from torch import nn
    from torch.nn import functional as F
except ImportError as error:
    raise DependencyNotInstalled(
        f"the agents need torch and stable-baselines3 ({error}): pip install gym_launchpad[agents]"
    ) from error

from agents.presets import Preset

#: Hidden layers of the paper's multilayer Q-network, and of the head on top of the rowwise layer.
MLP_ARCH = [1024, 512]
ROWWISE_UNITS = 1024
ROWWISE_HEAD = [512]


class RowwiseExtractor(BaseFeaturesExtractor):
    """One linear layer + ReLU applied to each pitch row with shared weights, then flattened.

    ``observation_space`` is ``MultiBinary((N, F))``; the features are ``N * units``.
    """

    def __init__(self, observation_space: spaces.Space, units: int = ROWWISE_UNITS):
        shape = observation_space.shape
        if len(shape) != 2:
            raise ValueError(
                f"the rowwise network needs one feature row per pitch, an observation of shape (N, F); got {shape}. "
                "Use obs_mode='onehot' (or 'roll')."
            )
        super().__init__(observation_space, features_dim=shape[0] * units)
        self.row = nn.Linear(shape[1], units)

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return F.relu(self.row(observations)).flatten(start_dim=1)


def policy_kwargs(preset: Preset) -> dict:
    """SB3 ``policy_kwargs`` for the preset's network."""
    if preset.network == "linear":
        return {"net_arch": [], "features_extractor_class": FlattenExtractor}
    if preset.network == "mlp":
        return {"net_arch": list(MLP_ARCH), "features_extractor_class": FlattenExtractor}
    return {"net_arch": list(ROWWISE_HEAD), "features_extractor_class": RowwiseExtractor}


def linear_schedule(start: float, end: float):
    """SB3 schedule from ``start`` (progress_remaining = 1) to ``end`` (progress_remaining = 0)."""

    def schedule(progress_remaining: float) -> float:
        return end + (start - end) * progress_remaining

    return schedule


class LaunchpadDQN(DQN):
    """SB3's DQN with a choice of TD loss (``"huber"``, SB3's, or ``"mse"``, the paper's) and of gradient
    clipping (``"global"`` norm over all parameters, SB3's, or ``"per_tensor"``, the authors').

    With the defaults it trains exactly as :class:`stable_baselines3.DQN` (a test checks the parameters
    agree). ``train`` follows SB3's ``DQN.train`` step for step, because SB3 fixes the loss inside it.
    """

    def __init__(self, *args, loss: str = "huber", grad_clip: str = "global", **kwargs):
        self.loss, self.grad_clip = loss, grad_clip
        super().__init__(*args, **kwargs)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        loss_fn = F.mse_loss if self.loss == "mse" else F.smooth_l1_loss
        losses = []
        for _ in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
            with th.no_grad():
                next_q_values = self.q_net_target(replay_data.next_observations).max(dim=1)[0].reshape(-1, 1)
                target_q_values = replay_data.rewards + (1 - replay_data.dones) * discounts * next_q_values
            current_q_values = th.gather(self.q_net(replay_data.observations), dim=1,
                                         index=replay_data.actions.long())
            loss = loss_fn(current_q_values, target_q_values)
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            if self.grad_clip == "per_tensor":
                for parameter in self.policy.parameters():
                    th.nn.utils.clip_grad_norm_(parameter, self.max_grad_norm)
            else:
                th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", np.mean(losses))


class ScaledRewardVecEnv(VecEnvWrapper):
    """The learner sees ``scale * (reward + offset)`` (``Preset.reward_scale`` and ``center_reward``); the
    Monitor below logs the true rewards."""

    def __init__(self, venv, scale: float, offset: float = 0.0):
        super().__init__(venv)
        self.scale, self.offset = scale, offset

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        return obs, (rewards + self.offset) * self.scale, dones, infos


def build_policy(preset: Preset, observation_space: spaces.Space, action_space: spaces.Discrete) -> DQNPolicy:
    """A fresh DQN policy for ``preset`` (weights to be loaded), on the CPU, in evaluation mode."""
    policy = DQNPolicy(observation_space, action_space, lr_schedule=lambda _: 0.0, **policy_kwargs(preset))
    policy.set_training_mode(False)
    return policy
