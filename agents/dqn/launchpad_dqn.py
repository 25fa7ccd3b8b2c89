"""The DQN that trains the launchpad's Q-networks: SB3's, with the paper's loss and clipping on offer, the
double-DQN target, and the reward head's split target.

:func:`new_model` builds one from a preset (:mod:`agents.dqn.presets`) for a training env.
"""

from __future__ import annotations

import numpy as np
import torch as th
from stable_baselines3 import DQN
from stable_baselines3.common.type_aliases import TrainFreq, TrainFrequencyUnit
from torch.nn import functional as F

from agents.dqn.networks import policy_class, policy_kwargs
from agents.dqn.presets import Preset
from agents.dqn.reward_head import ActionRewardReplayBuffer


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
    agree). ``train`` follows SB3's ``DQN.train`` step for step, because SB3 fixes the loss inside it; the loss of a
    batch is one hook, :meth:`batch_loss`, built from :meth:`td_targets` and :meth:`td_loss`, and a subclass
    overrides that hook (:class:`agents.explorer.self_imitation.SelfImitationDQN`), never the loop.
    """

    def __init__(self, *args, loss: str = "huber", grad_clip: str = "global", double_q: bool = False, **kwargs):
        self.loss, self.grad_clip, self.double_q = loss, grad_clip, double_q
        super().__init__(*args, **kwargs)

    def collect_rollouts(self, env, callback, train_freq, replay_buffer, *args, **kwargs):
        # SB3 collects train_freq steps at a time and so overshoots a budget that is not a multiple of it (as
        # a resumed run's is); the last rollout is cut to the steps left, so learn() ends at exactly its total.
        steps_left = (self._total_timesteps - self.num_timesteps) // env.num_envs
        if train_freq.unit == TrainFrequencyUnit.STEP and 0 < steps_left < train_freq.frequency:
            train_freq = TrainFreq(steps_left, train_freq.unit)
        return super().collect_rollouts(env, callback, train_freq, replay_buffer, *args, **kwargs)

    def next_state_values(self, next_observations: th.Tensor) -> th.Tensor:
        """The bootstrap value of each next state, shape ``(batch, 1)``: the target network's best Q-value, or
        with ``double_q`` the target network's value of the online network's best action."""
        target_q_values = self.q_net_target(next_observations)
        if self.double_q:
            return th.gather(target_q_values, dim=1, index=self.q_net(next_observations).argmax(dim=1, keepdim=True))
        return target_q_values.max(dim=1)[0].reshape(-1, 1)

    def gradient_step(self, loss: th.Tensor) -> None:
        """One optimiser step on ``loss``, its gradient clipped as the preset says (per tensor, as the authors'
        code, or over all parameters, as SB3)."""
        self.policy.optimizer.zero_grad()
        loss.backward()
        if self.grad_clip == "per_tensor":
            for parameter in self.policy.parameters():
                th.nn.utils.clip_grad_norm_(parameter, self.max_grad_norm)
        else:
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
        self.policy.optimizer.step()

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        # SB3's DQN.train, step for step, with the loss of a batch in one hook (SB3 fixes it inside train).
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses = []
        for _ in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            loss = self.batch_loss(replay_data)
            losses.append(loss.item())
            self.gradient_step(loss)
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", np.mean(losses))

    def batch_loss(self, replay_data) -> th.Tensor:
        """The loss of one gradient step on a batch of the replay buffer: the TD loss of the actions taken, or
        with the reward head the TD loss of their continuation plus the regression of every action's reward.
        Subclasses override this hook, never ``train``."""
        if hasattr(replay_data, "action_rewards"):
            # Reward head: every action's reward by regression; the continuation of the taken action by TD.
            with th.no_grad():
                next_q_values = self.next_state_values(replay_data.next_observations)
            rewards, continuations = self.q_net.heads(replay_data.observations)
            current = th.gather(continuations, dim=1, index=replay_data.actions.long())
            return self.td_loss(current, (1 - replay_data.dones) * next_q_values) + F.mse_loss(
                rewards, replay_data.action_rewards)
        target_q_values = self.td_targets(replay_data)
        current_q_values = th.gather(self.q_net(replay_data.observations), dim=1, index=replay_data.actions.long())
        return self.td_loss(current_q_values, target_q_values)

    def td_targets(self, replay_data) -> th.Tensor:
        """The TD target of each transition of a replay batch, ``r + gamma^n (1 - done) V(s')``, shape
        ``(batch, 1)``, without gradient (:meth:`next_state_values`; the buffer's discounts with ``n_steps``)."""
        discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
        with th.no_grad():
            next_q_values = self.next_state_values(replay_data.next_observations)
        return replay_data.rewards + (1 - replay_data.dones) * discounts * next_q_values

    def td_loss(self, current: th.Tensor, target: th.Tensor) -> th.Tensor:
        """The preset's TD loss between Q-values and their targets: Huber (SB3's) or squared error (the paper's)."""
        return (F.mse_loss if self.loss == "mse" else F.smooth_l1_loss)(current, target)


def dqn_kwargs(preset: Preset) -> dict:
    """The keyword arguments of :class:`LaunchpadDQN` (or a subclass) that ``preset`` sets: the policy, its
    network, the schedules, the replay buffer and every DQN setting; the one place they are read from a preset.

    With ``reward_head`` the buffer stores every action's reward (:class:`ActionRewardReplayBuffer`): the env
    must be a :class:`agents.dqn.learner_reward.LearnerRewardVecEnv` with ``action_rewards=True``.
    """
    return dict(
        policy=policy_class(preset), policy_kwargs=policy_kwargs(preset),
        learning_rate=linear_schedule(preset.learning_rate_start, preset.learning_rate_end),
        buffer_size=preset.buffer_size, learning_starts=preset.learning_starts, batch_size=preset.batch_size,
        gamma=preset.gamma, n_steps=preset.n_steps, train_freq=preset.train_freq,
        target_update_interval=preset.target_update_interval,
        exploration_fraction=preset.exploration_fraction,
        exploration_initial_eps=preset.exploration_initial_eps,
        exploration_final_eps=preset.exploration_final_eps, max_grad_norm=preset.max_grad_norm,
        loss=preset.loss, grad_clip=preset.grad_clip, double_q=preset.double_q,
        # None: SB3's own buffer.
        replay_buffer_class=ActionRewardReplayBuffer if preset.reward_head else None,
    )


def new_model(preset: Preset, env, seed: int, verbose: int = 0, model_class: type[LaunchpadDQN] = LaunchpadDQN,
              **kwargs) -> LaunchpadDQN:
    """An untrained ``model_class`` for ``env`` with every setting of ``preset`` (:func:`dqn_kwargs`), on the CPU;
    ``kwargs`` are the subclass's own (e.g. :class:`agents.explorer.self_imitation.SelfImitationDQN`'s)."""
    return model_class(env=env, **dqn_kwargs(preset), **kwargs, seed=seed, device="cpu", verbose=verbose)
