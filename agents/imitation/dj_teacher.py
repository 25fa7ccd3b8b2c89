"""The dj agent's teacher and labels: the follower planner, its walk as a set of right presses, and the loss.

The follower (:mod:`agents.planners.follower`) chooses a target at each bar line from what the DJ observation
shows (the heard bar's state, the ages, the phase), then walks to it; the presses of the walk can be made in
any order. So a label is the *set* of the walk's presses (the no-op alone once the walk is done), and the
network is trained to put its probability on the set (:func:`set_loss`: minus the log of the probability
of pressing any of them), not on one arbitrary order of it.

Observations are stored as uint8 hundredths (toggles and the phase are 0 or 1, an age is a whole number of
bars over the memory of 100), so a song of 7,200 presses takes 15 MB rather than 58.
"""

from __future__ import annotations

import numpy as np

from agents.planners.follower import Follower

#: Observations are stored as round(obs * SCALE) in uint8: exact for the DJ observation (ages are bars / 100).
SCALE = 100


def pack(obs: np.ndarray) -> np.ndarray:
    """An observation (or a batch) as uint8 hundredths."""
    return np.rint(np.asarray(obs, dtype=np.float32) * SCALE).astype(np.uint8)


def unpack(packed: np.ndarray) -> np.ndarray:
    """:func:`pack`'s observations as float32."""
    return packed.astype(np.float32) / SCALE


def play_round(env, teacher: Follower, network, beta: float, seeds, bars: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Songs of ``bars`` bars from ``reset(seed)`` for each of ``seeds``: at every press the observation
    (:func:`pack` ed) and the teacher's set of right presses (a ``(n_actions,)`` bool mask). The network
    presses (None: the teacher), except where the teacher takes a press with probability ``beta``."""
    presses_per_bar = env.unwrapped.presses_per_bar
    n_actions = env.action_space.n
    observations, labels = [], []
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        for _ in range(bars * presses_per_bar):
            right = teacher.presses()
            mask = np.zeros(n_actions, dtype=bool)
            mask[right] = True
            observations.append(pack(obs))
            labels.append(mask)
            own = network is not None and rng.random() >= beta
            action = int(network.predict(obs)[0]) if own else int(right[0])
            obs, *_ = env.step(action)
    return np.array(observations, dtype=np.uint8), np.array(labels, dtype=bool)


def set_loss(logits, mask):
    """Minus the log probability (softmax of ``logits``) of the presses in ``mask``, averaged over a batch
    (torch tensors)."""
    import torch as th

    chosen = logits.masked_fill(~mask, float("-inf"))
    return (th.logsumexp(logits, dim=1) - th.logsumexp(chosen, dim=1)).mean()


def play_bars(env, teacher: Follower, network, beta: float, seeds, bars: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """For the ``"walk"`` head: songs of ``bars`` bars from ``reset(seed)`` for each of ``seeds``; at every bar
    line the network's inputs (the heard bar's toggles and the ages, :func:`pack` ed) and the follower's
    target. Each bar walks to the network's target (None: the follower's), except where the follower's is
    taken with probability ``beta``."""
    unwrapped = env.unwrapped
    n_toggles = (env.observation_space.shape[0] - len(unwrapped.corpus) - unwrapped.presses_per_bar) // 2
    inputs, targets = [], []
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        for _ in range(bars):
            state = unwrapped.state
            expert = teacher.choose(state.masks, state.offsets, unwrapped.heard_words, unwrapped.ages)
            inputs.append(pack(obs[n_toggles:2 * n_toggles + len(unwrapped.corpus)]))
            targets.append(expert)
            own = network is not None and rng.random() >= beta
            target = int(network.targets(obs[None])[0]) if own else expert
            for _ in range(unwrapped.presses_per_bar):
                walk = teacher.table.walk(target, unwrapped.state.masks, unwrapped.state.offsets)
                obs, *_ = env.step(int(min(walk)) if walk else int(unwrapped.launchpad.noop_action))
    return np.array(inputs, dtype=np.uint8), np.array(targets, dtype=np.int64)
