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
        kwargs = {"net_arch": [], "features_extractor_class": FlattenExtractor}
    elif preset.network == "mlp":
        kwargs = {"net_arch": list(MLP_ARCH), "features_extractor_class": FlattenExtractor}
    else:
        kwargs = {"net_arch": list(ROWWISE_HEAD), "features_extractor_class": RowwiseExtractor}
    return {**kwargs, "gamma": preset.gamma} if preset.reward_head else kwargs


def policy_class(preset: Preset) -> type[DQNPolicy]:
    """SB3's ``DQNPolicy``, or with ``reward_head`` :class:`agents.reward_head.RewardHeadDQNPolicy`."""
    if preset.reward_head:
        from agents.reward_head import RewardHeadDQNPolicy

        return RewardHeadDQNPolicy
    return DQNPolicy


def linear_schedule(start: float, end: float):
    """SB3 schedule from ``start`` (progress_remaining = 1) to ``end`` (progress_remaining = 0)."""

    def schedule(progress_remaining: float) -> float:
        return end + (start - end) * progress_remaining

    return schedule


class LaunchpadDQN(DQN):
    """SB3's DQN with a choice of TD loss (``"huber"``, SB3's, or ``"mse"``, the paper's), of gradient
    clipping (``"global"`` norm over all parameters, SB3's, or ``"per_tensor"``, the authors'), and optionally
    the double-DQN target (van Hasselt et al. 2016: the online network picks the next action, the target
    network values it), which damps the overestimation that the max over 313 actions, most of them
    equivalent "hold" presses in any state, brings.

    With the defaults it trains exactly as :class:`stable_baselines3.DQN` (a test checks the parameters
    agree). ``train`` follows SB3's ``DQN.train`` step for step, because SB3 fixes the loss inside it.
    """

    def __init__(self, *args, loss: str = "huber", grad_clip: str = "global", double_q: bool = False, **kwargs):
        self.loss, self.grad_clip, self.double_q = loss, grad_clip, double_q
        super().__init__(*args, **kwargs)

    def next_state_values(self, next_observations: th.Tensor) -> th.Tensor:
        """The bootstrap value of each next state, shape ``(batch, 1)``: the target network's best Q-value, or
        with ``double_q`` the target network's value of the online network's best action."""
        target_q_values = self.q_net_target(next_observations)
        if self.double_q:
            return th.gather(target_q_values, dim=1, index=self.q_net(next_observations).argmax(dim=1, keepdim=True))
        return target_q_values.max(dim=1)[0].reshape(-1, 1)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        loss_fn = F.mse_loss if self.loss == "mse" else F.smooth_l1_loss
        losses = []
        for _ in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
            with th.no_grad():
                next_q_values = self.next_state_values(replay_data.next_observations)
            if hasattr(replay_data, "action_rewards"):
                # Reward head: every action's reward by regression; the continuation of the taken action by TD.
                rewards, continuations = self.q_net.heads(replay_data.observations)
                current = th.gather(continuations, dim=1, index=replay_data.actions.long())
                loss = loss_fn(current, (1 - replay_data.dones) * next_q_values) + F.mse_loss(
                    rewards, replay_data.action_rewards)
            else:
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
    true rewards."""

    def __init__(self, venv, learner_reward: LearnerReward):
        super().__init__(venv)
        self.learner_reward = learner_reward
        self._distance = np.zeros(self.num_envs)

    def reset(self):
        obs = self.venv.reset()
        # (Read from the innermost VecEnv: each wrapper between holds an empty reset_infos of its own.)
        self._distance = _distances(self.unwrapped.reset_infos)
        return obs

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        after = _distances(infos)
        rewards = self.learner_reward(self._distance, after).astype(np.float32)
        self._distance = after
        if dones.any():
            # An ended env has already started its next episode: its next press starts from the reset state.
            self._distance = np.where(dones, _distances(self.unwrapped.reset_infos), after)
        return obs, rewards, dones, infos


def _distances(infos) -> np.ndarray:
    return np.array([info["distance"] for info in infos], dtype=np.float64)


def build_policy(preset: Preset, observation_space: spaces.Space, action_space: spaces.Discrete) -> DQNPolicy:
    """A fresh DQN policy for ``preset`` (weights to be loaded), on the CPU, in evaluation mode."""
    policy = policy_class(preset)(observation_space, action_space, lr_schedule=lambda _: 0.0,
                                  **policy_kwargs(preset))
    policy.set_training_mode(False)
    return policy
