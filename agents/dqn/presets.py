"""The paper's DQN settings as presets: one per Q-network, every field overridable.

Paper section 2.3 and the authors' code give: replay buffer 1e6, gamma 0.99, batch 32, a gradient step
every 4 env steps, target network update every 1000 steps, Adam, gradient clipping at 10, learning
starts after 500 steps, episodes of 1000 bars, evaluation every 250k steps over 10 episodes with
epsilon 0.05; learning rate decayed linearly 2.5e-3 -> 5e-4 (linear) or 2.5e-4 -> 5e-5 (multilayer),
epsilon decayed linearly 0.1 -> 1e-4 (linear) or 0.2 -> 0.01 (multilayer). The paper does not say over
how many steps the decays run; here both run over the whole training budget.

Where SB3 differs from the paper (see ``agents/README.md``): SB3's DQN minimises the Huber loss and
clips the global gradient norm; the paper minimises the squared TD error and the authors clipped each
tensor's norm. ``loss="mse"`` and ``grad_clip="per_tensor"`` give the paper's choices
(:class:`agents.dqn.LaunchpadDQN`).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field

import gymnasium as gym

import gym_launchpad  # noqa: F401  (registers the env ids)
from gym_launchpad.corpus import resolve_corpus
from gym_launchpad.launchpad import LaunchpadSpec

LOSSES = ("huber", "mse")
REWARD_SHAPINGS = ("none", "improvement")
GRAD_CLIPS = ("global", "per_tensor")


@dataclass(frozen=True)
class Preset:
    """Everything that defines a DQN run except its length, seed and where it logs."""

    #: Q-network: "linear" (one fc layer), "mlp" (1024-512) or "rowwise" (the authors' shared-row layer).
    network: str
    #: observation the network reads (see LaunchpadEnv): "toggles" (state bits, 312) or "onehot" (24 x 71).
    obs_mode: str
    #: learning rate at the start and at the end of training, decayed linearly in between.
    learning_rate_start: float
    learning_rate_end: float
    #: epsilon-greedy exploration at the start and at the end, decayed linearly over ``exploration_fraction``.
    exploration_initial_eps: float
    exploration_final_eps: float
    exploration_fraction: float = 1.0
    buffer_size: int = 1_000_000
    gamma: float = 0.99
    batch_size: int = 32
    #: env steps between gradient steps.
    train_freq: int = 4
    #: env steps between target network updates.
    target_update_interval: int = 1000
    learning_starts: int = 500
    #: gradient norm clip, and whether it applies to all parameters together (SB3) or per tensor (the paper).
    max_grad_norm: float = 10.0
    grad_clip: str = "global"
    #: TD loss: "huber" (SB3's default) or "mse" (the paper's).
    loss: str = "huber"
    #: bars per episode (the env's time limit).
    episode_steps: int = 1000
    #: env steps between evaluations, episodes per evaluation, and the epsilon the evaluation acts with.
    eval_freq: int = 250_000
    eval_episodes: int = 10
    eval_epsilon: float = 0.05
    #: multiplies the rewards the learner sees (not the logged or evaluated ones); 1.0 is the paper. The
    #: paper's rewards are about -100 per step, so Q-values near -1e4 must be learned from zero; a scale of
    #: 0.01 is a common remedy, offered to test that, and labelled wherever it is used.
    reward_scale: float = 1.0
    #: adds the corpus's silence distance (the distance of the empty bar) to every reward the learner sees,
    #: before the scale, so the empty bar scores 0. Episodes end by truncation, never in a terminal state, so
    #: a constant shift moves every Q-value by the same amount and leaves the best policy unchanged; it only
    #: spares the network from first learning Q-values near -1e4. Not in the paper.
    center_reward: bool = False
    #: "improvement": the learner's reward for a press is the distance it took off, ``d(s) - d(s')``, times
    #: ``reward_scale`` (``center_reward`` does not apply). Potential-based shaping: the optimal policy is
    #: unchanged (see :class:`agents.dqn.learner_reward.LearnerReward`). "none": the env's reward. Not in the paper.
    reward_shaping: str = "none"
    #: the double-DQN target (online network picks the next action, target network values it); the paper: False.
    double_q: bool = False
    #: n-step returns for the TD target (SB3's ``n_steps``); 1 is the paper's one-step Q-learning.
    n_steps: int = 1
    #: the Q-network's last layer gets a second head that learns every action's immediate reward from the
    #: env's one-step lookahead, beside the continuation value learned by TD (:mod:`agents.dqn.reward_head`).
    #: Needs an observation that shows the state ("toggles" or "onehot") and the "nearest" reward. Not in
    #: the paper.
    reward_head: bool = False
    #: a dueling head (:class:`agents.dqn.networks.DuelingQNetwork`): the network's last layer split into the
    #: state's value and each action's advantage (Wang et al. 2016). Not in the paper.
    dueling: bool = False
    #: with ``dueling``, on the linear network and the toggles: each press's advantage reads only the bits of the
    #: row it edits (a press changes only its row, and the distance to one bar is a sum over rows). Not in the paper.
    row_advantage: bool = False
    #: env keyword arguments beyond obs_mode (e.g. reward_mode="sampled" for the paper's K=1000 draw).
    env_kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.network not in NETWORKS:
            raise ValueError(f"unknown network {self.network!r}; choose one of {', '.join(NETWORKS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.reward_shaping not in REWARD_SHAPINGS:
            raise ValueError(f"unknown reward_shaping {self.reward_shaping!r}; "
                             f"choose one of {', '.join(REWARD_SHAPINGS)}")
        if self.reward_shaping != "none" and self.center_reward:
            raise ValueError("center_reward shifts the env's reward; with reward_shaping it has no meaning: "
                             "drop one of them")
        if self.n_steps < 1:
            raise ValueError(f"n_steps must be at least 1, got {self.n_steps}")
        if self.reward_head:
            self._check_reward_head()
            if self.dueling:
                raise ValueError("reward_head and dueling each replace the network's last layer: drop one of them")
        if self.row_advantage and not (self.dueling and self.network == "linear" and self.obs_mode == "toggles"):
            raise ValueError("row_advantage is a dueling head's on the linear network reading the toggles: set "
                             "dueling, network 'linear' and obs_mode 'toggles', or drop row_advantage")
        if self.grad_clip not in GRAD_CLIPS:
            raise ValueError(f"unknown grad_clip {self.grad_clip!r}; choose one of {', '.join(GRAD_CLIPS)}")
        if "obs_mode" in self.env_kwargs:
            raise ValueError("set the observation with Preset.obs_mode, not env_kwargs['obs_mode']")

    def _check_reward_head(self):
        if self.n_steps != 1:
            raise ValueError("reward_head splits the one-step target r + gamma * V(s'): it needs n_steps=1")
        if self.obs_mode not in ("toggles", "onehot"):
            # The head learns r(s, .) as a function of the observation: it must tell the states apart.
            raise ValueError(f"reward_head learns each state's lookahead: obs_mode {self.obs_mode!r} shows only "
                             "the bar, which several states play; use 'toggles' or 'onehot'")
        if self.env_kwargs.get("reward_mode", "nearest") != "nearest":
            raise ValueError("reward_head learns the deterministic 'nearest' reward; the 'sampled' reward of a "
                             "press is a random draw that no lookahead knows: drop one of them")

    def replace(self, **changes) -> Preset:
        """A copy with some fields changed; unknown names are refused, naming the known ones."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown preset field(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def load_corpus(self, corpus=None):
        """The corpus for ``corpus`` (None: the shipped one; a path; a Corpus), loaded once for many envs."""
        spec_kwargs = {k: self.env_kwargs[k] for k in ("n_notes", "bar_bits", "low_note") if k in self.env_kwargs}
        return resolve_corpus(corpus, LaunchpadSpec(**spec_kwargs))

    def make_env(self, corpus=None, **kwargs):
        """``gym.make("gym_launchpad/Launchpad-v0")`` with this preset's observation, episode length and env
        arguments (``kwargs`` added, e.g. ``render_mode``)."""
        return gym.make("gym_launchpad/Launchpad-v0", max_episode_steps=self.episode_steps, corpus=corpus,
                        obs_mode=self.obs_mode, **self.env_kwargs, **kwargs)


#: The Q-networks :mod:`agents.dqn.networks` builds.
NETWORKS = ("linear", "mlp", "rowwise")

PRESETS: dict[str, Preset] = {
    "linear": Preset(network="linear", obs_mode="toggles", learning_rate_start=2.5e-3, learning_rate_end=5e-4,
                     exploration_initial_eps=0.1, exploration_final_eps=1e-4),
    "mlp": Preset(network="mlp", obs_mode="toggles", learning_rate_start=2.5e-4, learning_rate_end=5e-5,
                  exploration_initial_eps=0.2, exploration_final_eps=0.01),
    # The authors' network reads their 24 x 71 one-hot input; it trains with the multilayer settings.
    "rowwise": Preset(network="rowwise", obs_mode="onehot", learning_rate_start=2.5e-4, learning_rate_end=5e-5,
                      exploration_initial_eps=0.2, exploration_final_eps=0.01),
}


def get_preset(name: str, **overrides) -> Preset:
    """The preset called ``name`` with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]


def parse_overrides(items: list[str]) -> dict:
    """``["key=value", ...]`` (``--set``) -> preset overrides, each value parsed as the field's type."""
    fields = {f.name: f for f in dataclasses.fields(Preset)}
    hints = typing.get_type_hints(Preset)
    overrides = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, got {item!r}")
        if key not in fields:
            raise ValueError(f"--set {key}: unknown preset field; known: {', '.join(sorted(fields))}")
        hint = hints[key]
        if hint is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError(f"--set {key}: expected true or false, got {text!r}")
            overrides[key] = text.lower() == "true"
        else:
            overrides[key] = json.loads(text) if hint is dict else hint(text)
    return overrides
