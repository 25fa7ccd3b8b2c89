"""The paper's Q-networks as SB3 DQN policies, one per ``Preset.network``.

- ``linear``: one fully connected layer from the observation to the 313 Q-values (``net_arch=[]``).
- ``mlp``: fc 1024 -> relu -> fc 512 -> relu -> fc 313 (paper section 2.3.1).
- ``rowwise``: the authors' actual network: one 1024-unit layer applied to every pitch row with shared
  weights (:class:`RowwiseExtractor`), flattened, then fc 512 -> relu -> fc 313. It reads the
  ``onehot`` observation, ``(N, B + 1 + 2**B)``: one row of features per pitch.

With ``Preset.reward_head`` the network's last layer is doubled (:mod:`agents.dqn.reward_head`). With
``Preset.dueling`` the last layer is split in two (:class:`DuelingQNetwork`, Wang et al. 2016): a state's value
and each action's advantage over the mean action.
"""

from __future__ import annotations

import torch as th
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor, FlattenExtractor, create_mlp
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork
from torch import nn
from torch.nn import functional as F

from agents.dqn.presets import Preset
from agents.dqn.reward_head import RewardHeadDQNPolicy
from gym_launchpad.launchpad import LaunchpadSpec

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


class DuelingQNetwork(QNetwork):
    """SB3's ``QNetwork`` with a dueling head (Wang et al. 2016, "Dueling Network Architectures"): the hidden
    layers (none for ``linear``), then one unit for the state's value ``V(s)`` and one per action for its advantage
    ``A(s, a)``; ``Q(s, a) = V(s) + A(s, a) - mean_a A(s, a)``.

    Far from a good bar every press is worth about the same large value and one press differs from another by
    less than 1: in a plain Q-network each action's output must learn that value on its own (a linear one from
    that action's transitions alone), and the error of it drowns the differences. Here the value is one output
    that every transition trains, and the advantages carry only the differences."""

    def __init__(self, *args, rows: tuple[int, ...] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.q_net  # SB3's one head: replaced by the body and the two heads below
        hidden = create_mlp(self.features_dim, -1, self.net_arch, self.activation_fn)
        width = self.net_arch[-1] if self.net_arch else self.features_dim
        self.body = nn.Sequential(*hidden)
        self.value = nn.Linear(width, 1)
        self.advantage = nn.Linear(width, int(self.action_space.n))
        self.rows = rows
        if rows is not None:
            # Row advantages (``Preset.row_advantage``): each press's advantage reads only the observation bits
            # of the row it edits (rows[i]: the row of action i, and of observation bit i; -1: none, the no-op).
            rows_ = th.as_tensor(rows)
            if self.net_arch or len(rows_) != self.advantage.out_features or width != len(rows_) - 1:
                raise ValueError("row advantages need the linear network on the toggles: one observation bit per "
                                 "press, the no-op last")
            mask = (rows_[:, None] == rows_[None, :-1]) & (rows_[:, None] >= 0)
            self.register_buffer("mask", mask.float(), persistent=False)
            with th.no_grad():
                self.advantage.weight.mul_(self.mask)

    def forward(self, obs: th.Tensor) -> th.Tensor:
        hidden = self.body(self.extract_features(obs, self.features_extractor))
        if self.rows is None:
            advantage = self.advantage(hidden)
        else:
            advantage = F.linear(hidden, self.advantage.weight * self.mask, self.advantage.bias)
        return self.value(hidden) + advantage - advantage.mean(dim=1, keepdim=True)

    def _get_constructor_parameters(self) -> dict:
        return {**super()._get_constructor_parameters(), "rows": self.rows}


class DuelingDQNPolicy(DQNPolicy):
    """``DQNPolicy`` with :class:`DuelingQNetwork` as its online and target networks."""

    def __init__(self, *args, rows: tuple[int, ...] | None = None, **kwargs):
        self.rows = rows  # read by make_q_net, which DQNPolicy.__init__ calls
        super().__init__(*args, **kwargs)

    def make_q_net(self) -> DuelingQNetwork:
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return DuelingQNetwork(**net_args, rows=self.rows).to(self.device)

    def _get_constructor_parameters(self) -> dict:
        return {**super()._get_constructor_parameters(), "rows": self.rows}


def action_rows(preset: Preset) -> tuple[int, ...]:
    """The row each press of the preset's launchpad edits (the no-op: -1); on the toggles observation bit ``i``
    belongs to the row of press ``i``."""
    spec = LaunchpadSpec(**{k: v for k, v in preset.env_kwargs.items() if k in ("n_notes", "bar_bits", "low_note")})
    rows = spec.action_note.astype(int).copy()
    rows[-1] = -1
    return tuple(int(r) for r in rows)


def policy_kwargs(preset: Preset) -> dict:
    """SB3 ``policy_kwargs`` for the preset's network."""
    if preset.network == "linear":
        kwargs = {"net_arch": [], "features_extractor_class": FlattenExtractor}
    elif preset.network == "mlp":
        kwargs = {"net_arch": list(MLP_ARCH), "features_extractor_class": FlattenExtractor}
    else:
        kwargs = {"net_arch": list(ROWWISE_HEAD), "features_extractor_class": RowwiseExtractor}
    if preset.row_advantage:
        kwargs["rows"] = action_rows(preset)
    return {**kwargs, "gamma": preset.gamma} if preset.reward_head else kwargs


def policy_class(preset: Preset) -> type[DQNPolicy]:
    """SB3's ``DQNPolicy``, or with ``reward_head`` :class:`agents.dqn.reward_head.RewardHeadDQNPolicy`, or with
    ``dueling`` :class:`DuelingDQNPolicy`."""
    if preset.dueling:
        return DuelingDQNPolicy
    return RewardHeadDQNPolicy if preset.reward_head else DQNPolicy


def build_policy(preset: Preset, observation_space: spaces.Space, action_space: spaces.Discrete) -> DQNPolicy:
    """A fresh DQN policy for ``preset`` (weights to be loaded), on the CPU, in evaluation mode."""
    policy = policy_class(preset)(observation_space, action_space, lr_schedule=lambda _: 0.0,
                                  **policy_kwargs(preset))
    policy.set_training_mode(False)
    return policy
