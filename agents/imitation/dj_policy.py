"""The learned dj agent: an MLP that picks a press from the DJ env's observation alone.

Two heads (``head`` in the JSON): ``"press"`` (:class:`DJPolicy`), the MLP's output is the press; ``"walk"``
(:class:`DJWalkPolicy`), the MLP reads what the observation shows of the last bar line (the heard bar's
toggles and the ages) and chooses the corpus bar to play next, and the press is one of the shortest walk
from the launchpad's toggles (also the observation's) to that bar's best launchpad rendering.

The walk head's act (a target chosen by the MLP, the press the walk's lowest) is :class:`WalkPolicy`, which the
composer's walk head (:mod:`agents.imitation.composer_walk`) shares, as it shares this file's MLP weights format
(:func:`save`, :func:`read`, :func:`checked_layers`).

The weights are plain tensors (``dj.safetensors``) beside a JSON that names the layers, the env's arguments
and the hash of the corpus they were trained on; loading reads both without unpickling and refuses weights
made for another corpus or observation. The forward pass is numpy, so playing needs no torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agents import weights
from agents.planners.follower import REPLAY_SHARE, first_bar_keeps, replays
from gym_launchpad.observation import states_from_observations

#: The command that trains the dj agent, named when its weights are refused.
RETRAIN = "retrain with `python -m agents dj-train`"
#: A bar is in a key when this share of its struck notes is in the key's scale (the follower's looser test).
KEY_SHARE = 0.8
#: The env's memory (bars) the ages count, where the weights do not name it (LaunchpadDJ-v0's default).
DEFAULT_MEMORY = 100
#: The env's arrival radius (cells) and presses a bar, where the weights do not name them (LaunchpadDJ-v0's).
DEFAULT_RADIUS, DEFAULT_PRESSES_PER_BAR = 6, 24
#: A bar the dj agent replays was last heard at least this many bar lines ago, so a loop is four bars or more (the
#: follower's :data:`agents.planners.follower.REPLAY_AGE` is 2: no A-B-A). Its songs can play only a few bars over
#: and over, which the replays' share (:func:`agents.planners.follower.replays`) does not see; with 2, from one of
#: the jam's random launchpads it read a key of few bars and looped three of them for 24 bars (30-bar songs of 10
#: random launchpads, arrivals a bar: 0.81 with 2, 0.84 with 3, 0.88 with 4; keys that fit, with the weights trained
#: before: 20 with 2 on ``dj_key_fit.py``'s draw, 19 with 3 on five draws, 18 with 4 and 17-18 with 8 on three).
LOOP_AGE = 3
#: More layers than any dj agent trained here has: a JSON asking for more is not one of ours.
MAX_LAYERS = 16


class DJPolicy:
    """An MLP (ReLU between layers) over the observation; the action is the largest output.

    ``layers`` are ``(weight (out, in), bias (out,))`` pairs, as ``torch.nn.Linear`` stores them.
    """

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], description: dict):
        self.layers = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in layers]
        self.description = description

    def logits(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float32)
        for i, (weight, bias) in enumerate(self.layers):
            x = x @ weight.T + bias
            if i < len(self.layers) - 1:
                np.maximum(x, 0.0, out=x)
        return x

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        actions = self.logits(obs.reshape(-1, obs.shape[-1])).argmax(axis=-1)
        return (actions[0] if obs.ndim == 1 else actions), state


class WalkPolicy(DJPolicy):
    """A walk head: the MLP chooses a target of ``table`` (:class:`agents.planners.hopper.TargetTable`) from each
    observation (:meth:`targets`), and the press is the lowest of the shortest walk from the observation's
    ``toggles`` (its first ``n_toggles`` numbers, decoded by
    :func:`gym_launchpad.observation.states_from_observations`) to that target, the no-op once there: the
    instrument's arithmetic, no env. The dj agent's (:class:`DJWalkPolicy`) and the composer's
    (:class:`agents.imitation.composer_walk.ComposerWalkPolicy`) differ in what the MLP reads and chooses among."""

    def __init__(self, layers, description: dict, spec, table):
        super().__init__(layers, description)
        self.spec, self.table = spec, table
        self.n_toggles = spec.n_notes * (2 * spec.bar_bits + 1)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        """The target (an index into ``table.targets``) chosen for each of a batch of observations."""
        raise NotImplementedError

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        batch = obs.reshape(-1, obs.shape[-1])
        actions = np.array([self._press(row, target) for row, target in zip(batch, self.targets(batch), strict=True)])
        return (actions[0] if obs.ndim == 1 else actions), state

    def _press(self, obs: np.ndarray, target: int) -> int:
        masks, offsets = states_from_observations(self.spec, "toggles", obs[:self.n_toggles])
        return self.table.first_press(int(target), masks, offsets)


def oldest(bars: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """Of ``bars`` (bool, one per corpus bar), those played longest ago (the largest of their ``ages``): the follower
    replays the longest unplayed bar first, so a key of few bars is replayed in its longest loop (the network, free
    to choose among every replay, picked young ones: a loop of three bars)."""
    return bars & (ages == ages[bars].max()) if bars.any() else bars


class BarChoices:
    """The corpus bars a dj walk head may choose at a bar line, from what the observation shows (the heard bar's
    toggles, then the ages: the walk head's inputs): the new ones (age 1: not played in the env's ``memory``
    bars, the bars an arrival pays for). With ``keep_key``, the follower's rules (:mod:`agents.planners.follower`)
    as tiers, in its order, the first that holds any bar; the network ranks the bars within it (the follower's
    own ranking, the chorale's next bar first, is what it imitates):

    1. new bars near (their best rendering within ``radius`` cells and a walk there of 1 to ``presses_per_bar`` presses:
       ``table``, a :class:`agents.planners.hopper.TargetTable` of every corpus bar) with at least :data:`KEY_SHARE` of
       their notes in the key the heard bar and the bars played recently are in
       (:class:`agents.planners.keys.KeyTracker`, the follower's own reading) that keep it (the key read after
       them is the same);
    2. after a bar line that played no corpus bar (a person's bar, the start): the follower's two-bar walk, new bars
       in the key that keep it beyond the bar's presses and within two bars' whose walk still reads in the key after
       its first bar (:func:`agents.planners.follower.first_bar_keeps`), so the key a person sets survives the walk;
    3. near bars in the key played before (not at the last :data:`LOOP_AGE` bar lines) that keep it, the longest
       unplayed (:func:`oldest`), while fewer than :data:`agents.planners.follower.REPLAY_SHARE` of the bar lines in
       the memory replayed;
    4. near new bars in the key that do not keep it; 5. the longest unplayed near bars in the key; 6. near new
       bars; 7. the new bars fewest presses (at least one) away, the follower's last resort.

    Tiers 2 and 3 took the dj agent from 16 to 19-20 of 24 keys (``agents/results/all_keys/dj_key_fit.py``, five
    triad draws and mid-song): without them it left a person's key in its first bars (an E minor triad read as C
    major after one corpus bar) or when the key's new bars ran out (F minor to F major)."""

    def __init__(self, corpus, table, keep_key: bool, memory: int = DEFAULT_MEMORY, radius: int = DEFAULT_RADIUS,
                 presses_per_bar: int = DEFAULT_PRESSES_PER_BAR):
        from agents.planners.keys import KeyTracker

        self.spec, self.memory, self.table = corpus.spec, int(memory), table
        self.n_toggles = self.spec.n_notes * (2 * self.spec.bar_bits + 1)
        self.tracker = KeyTracker(corpus.spec, corpus.bars, self.memory) if keep_key else None
        self.rendered = table.fit <= radius
        self.presses_per_bar = int(presses_per_bar)

    def allowed(self, inputs: np.ndarray) -> np.ndarray:
        """``(B, K)`` bool for a batch of the walk head's inputs ``(B, n_toggles + K)``."""
        toggles, ages = inputs[:, :self.n_toggles], inputs[:, self.n_toggles:]
        new = ages >= 1.0
        if self.tracker is None:
            return new | ~new.any(axis=1, keepdims=True)
        masks, offsets = states_from_observations(self.spec, "toggles", toggles)
        heard = self.spec.row_table[masks, offsets]
        bar_ages = np.minimum(np.rint(ages * self.memory), self.memory).astype(np.int64)
        everything = np.arange(new.shape[1])
        allowed = np.ones_like(new)
        for i, (words, row) in enumerate(zip(heard, bar_ages, strict=True)):
            key = self.tracker.key(words, row)
            in_key = self.tracker.shares[:, key] >= KEY_SHARE
            keeps = self.tracker.keys_after(everything, row) == key
            # Near: rendered within the radius and reachable in a bar by a walk (a bar the launchpad renders already
            # would change nothing). Nearest, the follower's last resort: the new bars fewest presses (at least 1) away.
            presses = self.table.presses(masks[i], offsets[i])
            near = self.rendered & (presses > 0) & (presses <= self.presses_per_bar)
            walked = new[i] & (presses > 0)
            nearest = walked & (presses == presses[walked].min()) if walked.any() else new[i]
            near_new, replay = new[i] & near, near & in_key & (row >= LOOP_AGE) & (row < self.memory)
            replaying = replays(row, self.memory) < REPLAY_SHARE
            tiers = [near_new & in_key & keeps, oldest(replay & keeps, row) & replaying, near_new & in_key,
                     oldest(replay, row), near_new, nearest]
            if not tiers[0].any() and not (row == 0).any():
                tiers.insert(1, self.setting_key(key, new[i] & self.rendered & in_key & keeps, presses, masks[i],
                                                 offsets[i], row))
            allowed[i] = next((tier for tier in tiers if tier.any()), allowed[i])
        return allowed

    def setting_key(self, key: int, candidates: np.ndarray, presses: np.ndarray, masks: np.ndarray,
                    offsets: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """Tier 2: the ``candidates`` more than the bar's presses away (``presses``, to each bar) and within two
        bars' whose walk still reads in ``key`` after its first bar of presses."""
        setting = candidates & (presses > self.presses_per_bar) & (presses <= 2 * self.presses_per_bar)
        for bar in np.flatnonzero(setting):
            setting[bar] = first_bar_keeps(self.tracker, self.table, int(bar), masks, offsets, ages, key,
                                           self.presses_per_bar)
        return setting


def env_setting(description: dict, name: str, least: int, default: int) -> int:
    """The env's ``name`` as the weights' JSON gives it, where it is a whole number from ``least`` to 10,000 (a JSON
    from elsewhere may say anything), else ``default``."""
    value = description.get(name)
    return value if isinstance(value, int) and least <= value <= 10_000 else default


class DJWalkPolicy(WalkPolicy):
    """The ``"walk"`` head: the MLP's largest output among the bars it may choose (:class:`BarChoices`: new, and
    in the key heard where the weights say ``"keep_key"``) is a corpus bar, chosen from the observation's heard
    bar and ages (the same all bar long, since they change only at bar lines); the press is the lowest of the
    shortest walk from the observation's toggles to that bar's best rendering, the no-op once there. The
    renderings are the corpus's (:class:`agents.planners.hopper.TargetTable`): the instrument's arithmetic, no
    env."""

    def __init__(self, layers, description: dict, corpus):
        from agents.planners.hopper import TargetTable

        super().__init__(layers, description, corpus.spec, TargetTable(corpus, 1 << 30))
        self.n_bars = len(corpus)
        self._last: tuple[np.ndarray, int] | None = None
        self.choices = BarChoices(corpus, self.table, description.get("keep_key") is True,
                                  env_setting(description, "memory", 1, DEFAULT_MEMORY),
                                  env_setting(description, "arrival_radius", 0, DEFAULT_RADIUS),
                                  env_setting(description, "presses_per_bar", 1, DEFAULT_PRESSES_PER_BAR))

    def inputs(self, obs: np.ndarray) -> np.ndarray:
        """The network's inputs of a batch of observations: the heard bar's toggles and the ages."""
        return obs[:, self.n_toggles:2 * self.n_toggles + self.n_bars]

    def targets(self, obs: np.ndarray) -> np.ndarray:
        """The corpus bar the network chooses for each of a batch of observations: its largest output among
        the bars it may choose (:class:`BarChoices`). The inputs change only at bar lines, so the choice for the
        inputs last seen is kept rather than made again at each of the bar's presses."""
        inputs = self.inputs(obs)
        if len(inputs) == 1 and self._last is not None and np.array_equal(self._last[0], inputs[0]):
            return np.array([self._last[1]])
        chosen = np.where(self.choices.allowed(inputs), self.logits(inputs), -np.inf).argmax(axis=-1)
        if len(inputs) == 1:
            self._last = (inputs[0].copy(), int(chosen[0]))
        return chosen


def mlp_layers(sizes) -> list:
    """The torch layers of an MLP of ``sizes`` (inputs, hidden widths, outputs), ReLU between them: the network this
    format holds (:func:`numpy_layers` reads it back from a ``Sequential`` of them)."""
    import torch as th

    layers: list = []
    for i in range(len(sizes) - 1):
        layers.append(th.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(th.nn.ReLU())
    return layers


def numpy_layers(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``(weight, bias)`` pairs of the ``torch.nn.Linear`` layers of ``model`` (a ``Sequential``), as numpy."""
    import torch as th

    return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
            for layer in model if isinstance(layer, th.nn.Linear)]


def save(policy_layers, path, description: dict) -> Path:
    """Write layers (numpy ``(weight, bias)`` pairs) to ``path`` (.safetensors) and ``description`` beside it."""
    tensors = {}
    for i, (weight, bias) in enumerate(policy_layers):
        tensors[f"layer{i}.weight"], tensors[f"layer{i}.bias"] = weight, bias
    return weights.write(path, tensors, {**description, "network": "mlp", "layers": len(policy_layers)})


def read(path: Path, retrain: str) -> tuple[dict, dict, int]:
    """The tensors, description and layer count of an MLP's weights at ``path``, or one
    :class:`agents.weights.WeightsError` (naming ``retrain``, the command that makes them)."""
    meta = path.with_suffix(".json")
    description = weights.read_description(meta, f": {retrain}") if meta.is_file() else {}
    n_layers = description.get("layers")
    if path.is_file() and meta.is_file() and (isinstance(n_layers, bool) or not isinstance(n_layers, int)
                                              or not 1 <= n_layers <= MAX_LAYERS):
        raise weights.WeightsError(f"{meta}: layers is {n_layers!r}, not a whole number from 1 to {MAX_LAYERS}")
    tensors, description = weights.read(path, retrain=retrain)
    return tensors, description, n_layers


def load(path, env) -> DJPolicy:
    """The policy saved at ``path`` for ``env`` (a DJ env, possibly wrapped); refused with one
    :class:`agents.weights.WeightsError` if the file is damaged or it was trained on another corpus or for
    another observation."""
    path = Path(path)
    tensors, description, n_layers = read(path, RETRAIN)
    corpus = env.unwrapped.corpus
    if description.get("corpus_hash") != corpus.hash:
        raise weights.WeightsMismatchError(
            f"{path} was trained on corpus {str(description.get('corpus_hash'))[:12]}, the env plays "
            f"{corpus.hash[:12]}: train a dj agent on this corpus (python -m agents dj-train --corpus ...)")
    n_inputs, n_actions = env.observation_space.shape[0], env.action_space.n
    if description.get("head", "press") == "walk":
        n_toggles = n_inputs - len(corpus) - env.unwrapped.presses_per_bar
        n_toggles //= 2
        return DJWalkPolicy(checked_layers(path, tensors, n_layers, n_toggles + len(corpus), len(corpus)), description,
                            corpus)
    return DJPolicy(checked_layers(path, tensors, n_layers, n_inputs, n_actions), description)


def checked_layers(path: Path, tensors: dict, n_layers: int, n_inputs: int, n_actions: int):
    """The ``(weight, bias)`` pairs of ``tensors``, checked to chain from ``n_inputs`` to ``n_actions``."""
    expected = {f"layer{i}.{part}" for i in range(n_layers) for part in ("weight", "bias")}
    if set(tensors) != expected:
        raise weights.WeightsError(f"{path} does not hold the {n_layers} layers its JSON describes: missing "
                                   f"{sorted(expected - set(tensors))}, unexpected {sorted(set(tensors) - expected)}")
    layers, width = [], n_inputs
    for i in range(n_layers):
        weight, bias = tensors[f"layer{i}.weight"], tensors[f"layer{i}.bias"]
        out = n_actions if i == n_layers - 1 else (weight.shape[0] if weight.ndim == 2 and weight.shape[0] else -1)
        if weight.shape != (out, width) or bias.shape != (out,):
            raise weights.WeightsError(
                f"{path}: layer {i} has weight {list(weight.shape)} and bias {list(bias.shape)}; after "
                f"{width} inputs it needs weight [{'outputs (at least 1)' if out < 0 else out}, {width}] and a "
                f"bias of its outputs (the env reads {n_inputs} numbers and has {n_actions} actions)")
        layers.append((weight, bias))
        width = out
    return layers
