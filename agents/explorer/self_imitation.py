"""A DQN that also learns from its own best trajectories, as DQfD learns from demonstrations.

Hester et al. (2018, "Deep Q-learning from Demonstrations") keep demonstrations in the replay beside the
agent's experience and add a large-margin loss that ranks the demonstrated action above every other by
``margin``; n-step returns carry the reward of the end of a demonstration back to its start. Here the
demonstrations are the explorer's own: the shortened Go-Explore trajectories (:mod:`.go_explore`), held
for ``hold_steps`` presses at their end with the no-op, so the network also sees that a good bar is kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch as th

from agents.dqn.launchpad_dqn import LaunchpadDQN
from agents.dqn.learner_reward import LearnerReward


@dataclass
class Demonstrations:
    """Transitions of the explorer's trajectories as arrays, with n-step returns of the learner's reward."""

    observations: np.ndarray  # (T, obs) float32
    actions: np.ndarray  # (T,) int64
    returns: np.ndarray  # (T,) float32, n-step discounted learner reward
    next_observations: np.ndarray  # (T, obs) float32, n presses later (or at the end)
    discounts: np.ndarray  # (T,) float32, gamma ** (presses to next_observations)
    #: (T, n_actions) bool or None: the presses the margin ranks first at each transition (``any_order``: every
    #: press the rest of its way still makes); None: the demonstrated press alone.
    allowed: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.actions)

    @classmethod
    def from_trajectories(cls, env, trajectories, learner_reward: LearnerReward, gamma: float, n_steps: int,
                          hold_steps: int, aim: np.ndarray | None = None, any_order: bool = False,
                          seed: int = 0) -> Demonstrations:
        """The transitions of ``trajectories``; the learner's reward of a press is ``learner_reward`` of the env's
        distances before and after it (``info["distance"]``, to the nearest corpus bar), or with ``aim`` (a bar,
        one word per row) of the distances to that bar: the cells in which the bar differs from it.

        With ``any_order`` each transition's ``allowed`` presses are every press the rest of its way makes an odd
        number of times (:func:`remaining_presses`), where the env shows that the way's presses commute: the way
        replayed in a random order (reset, steps) ends on the same bar. Then every order of the rest of the way is
        a way of the same length to the same bar, and each of those presses starts one."""
        noop = env.action_space.n - 1
        rng = np.random.default_rng(seed)
        parts = [cls._one(env, t, learner_reward, gamma, n_steps, noop, hold_steps, aim) for t in trajectories]
        columns = [np.concatenate(arrays) for arrays in zip(*parts, strict=True)]
        if not any_order:
            return cls(*columns)
        allowed = [remaining_presses(t.actions, hold_steps, env.action_space.n, noop,
                                     commute=_commutes(env, t, rng)) for t in trajectories]
        return cls(*columns, allowed=np.concatenate(allowed))

    @staticmethod
    def _one(env, trajectory, learner_reward, gamma, n_steps, noop, hold_steps, aim=None):
        def distance(info):
            if aim is None:
                return info["distance"]
            return int(np.bitwise_count(env.unwrapped.words ^ aim).sum())

        actions = list(trajectory.actions) + [noop] * hold_steps
        obs, info = env.reset(options={"state": trajectory.start})
        observations, distances = [obs.reshape(-1)], [distance(info)]
        for action in actions:
            obs, _, _, _, info = env.step(action)
            observations.append(obs.reshape(-1))
            distances.append(distance(info))
        observations = np.asarray(observations, dtype=np.float32)
        rewards = np.asarray(learner_reward(np.array(distances[:-1]), np.array(distances[1:])), dtype=np.float64)
        steps = len(actions)
        returns, ends = np.zeros(steps), np.minimum(np.arange(steps) + n_steps, steps)
        for t in range(steps):
            returns[t] = np.sum(rewards[t:ends[t]] * gamma ** np.arange(ends[t] - t))
        return (observations[:-1], np.asarray(actions, dtype=np.int64), returns.astype(np.float32),
                observations[ends], (gamma ** (ends - np.arange(steps))).astype(np.float32))

    def extend(self, other: Demonstrations):
        if (self.allowed is None) != (other.allowed is None):
            raise ValueError("demonstrations with any_order and without it do not mix")
        for f in dataclasses.fields(self):
            if getattr(self, f.name) is not None:
                setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))

    def sample(self, batch_size: int, rng: np.random.Generator):
        """A batch: observations, actions, returns, next observations, discounts (and with ``allowed``, it too)."""
        index = rng.integers(len(self), size=batch_size)
        batch = (th.as_tensor(self.observations[index]), th.as_tensor(self.actions[index]).reshape(-1, 1),
                 th.as_tensor(self.returns[index]).reshape(-1, 1), th.as_tensor(self.next_observations[index]),
                 th.as_tensor(self.discounts[index]).reshape(-1, 1))
        return batch if self.allowed is None else (*batch, th.as_tensor(self.allowed[index]))


def remaining_presses(actions, hold_steps: int, n_actions: int, noop: int, commute: bool = True) -> np.ndarray:
    """``(len(actions) + hold_steps, n_actions)`` bool: at each press of a way, the presses the rest of it makes
    an odd number of times (the press made there always among them; with ``commute`` False, it alone); at the
    held no-ops, the no-op."""
    steps = len(actions)
    allowed = np.zeros((steps + hold_steps, n_actions), dtype=bool)
    odd = np.zeros(n_actions, dtype=bool)
    for t in reversed(range(steps)):
        odd[actions[t]] ^= True
        if commute:
            allowed[t] = odd
        allowed[t, actions[t]] = True
    allowed[steps:, noop] = True
    return allowed


def _commutes(env, trajectory, rng: np.random.Generator) -> bool:
    """Whether the way, replayed in a random order of its presses from its start, ends on the bar it ends on."""
    def final(actions):
        env.reset(options={"state": trajectory.start})
        for action in actions:
            env.step(int(action))
        return env.unwrapped.words.copy()

    return bool(np.array_equal(final(rng.permutation(trajectory.actions)), final(trajectory.actions)))


class SelfImitationDQN(LaunchpadDQN):
    """:class:`agents.dqn.launchpad_dqn.LaunchpadDQN` whose every gradient step adds a batch of its own
    demonstrations: their n-step TD error and DQfD's large-margin loss, weighted by ``margin_weight``. It overrides
    only the loss of a batch (:meth:`batch_loss`); the training loop is LaunchpadDQN's."""

    def __init__(self, *args, demonstrations: Demonstrations | None = None, demo_batch_size: int = 32,
                 margin: float = 0.8, margin_weight: float = 1.0, **kwargs):
        self.demonstrations, self.demo_batch_size = demonstrations, demo_batch_size
        self.margin, self.margin_weight = margin, margin_weight
        super().__init__(*args, **kwargs)
        self.demo_rng = np.random.default_rng(self.seed)

    def pretrain(self, gradient_steps: int) -> float:
        """DQfD's pre-training: gradient steps on the demonstrations alone; returns the last loss."""
        self.policy.set_training_mode(True)
        loss = 0.0
        for step in range(gradient_steps):
            batch_loss = self.batch_loss(None)
            self.gradient_step(batch_loss)
            loss = batch_loss.item()
            if step % self.target_update_interval == 0:
                self.q_net_target.load_state_dict(self.q_net.state_dict())
        self.q_net_target.load_state_dict(self.q_net.state_dict())
        return loss

    def batch_loss(self, replay_data) -> th.Tensor:
        """The TD loss of a replay batch (None in pre-training) and of a batch of demonstrations, through one
        forward pass, plus DQfD's large-margin loss on the demonstrations weighted by ``margin_weight``."""
        if self.demonstrations is None:
            return super().batch_loss(replay_data)
        observations, actions, targets = [], [], []
        if replay_data is not None:
            targets.append(self.td_targets(replay_data))
            observations.append(replay_data.observations)
            actions.append(replay_data.actions.long())
        demo_obs, demo_actions, returns, demo_next, demo_discounts, *allowed = self.demonstrations.sample(
            self.demo_batch_size, self.demo_rng)
        with th.no_grad():
            targets.append(returns + demo_discounts * self.next_state_values(demo_next))
        observations.append(demo_obs)
        actions.append(demo_actions)
        q_values = self.q_net(th.cat(observations))
        taken = th.gather(q_values, dim=1, index=th.cat(actions))
        loss = self.td_loss(taken, th.cat(targets))
        demo_q, demo_taken = q_values[-self.demo_batch_size:], taken[-self.demo_batch_size:]
        if allowed:
            # Every allowed press is ranked first: the best of them above every other press by the margin.
            allowed = allowed[0]
            margins = self.margin * (~allowed).to(demo_q.dtype)
            best_allowed = demo_q.masked_fill(~allowed, -th.inf).max(dim=1, keepdim=True)[0]
            return loss + self.margin_weight * ((demo_q + margins).max(dim=1, keepdim=True)[0] - best_allowed).mean()
        margins = th.full_like(demo_q, self.margin).scatter_(1, demo_actions, 0.0)
        return loss + self.margin_weight * ((demo_q + margins).max(dim=1, keepdim=True)[0] - demo_taken).mean()
