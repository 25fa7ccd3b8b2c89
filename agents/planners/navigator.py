"""The navigator: walk to the corpus bar that is cheapest to reach among those the ceiling is made of.

``reward.best_row_fits`` gives, for every row of every corpus bar, the nearest row the launchpad can
play; a bar whose rows' misses add up to the ceiling is a *target*, and playing its nearest rows puts the
bar at the ceiling. From the env's state the navigator counts, for every target, the presses of the
shortest walk there (:class:`agents.planners.walk.Walk`), takes the cheapest (ties to the lowest corpus
index), and presses the walk's next button, the one after which the bar is nearest to the corpus. At the target it
presses the no-op.

The choice is a function of the state alone, and it holds along the walk: a press of the chosen walk
takes its target one press nearer and any other target at most one, so the chosen one stays cheapest
and wins its ties the same way. A policy that imitates the navigator therefore never sees it change its
mind, which is what makes it a good teacher (:mod:`agents.imitation.composer`).
"""

from __future__ import annotations

import numpy as np

from agents.planners.planner import Option, Planner
from agents.planners.walk import PressLookahead, Walk, next_press, row_press_costs
from gym_launchpad.reward import best_row_fits

#: The options of ``navigator:...``: at least one target to walk to. Measured on corpora of random playable bars
#: (every one at the ceiling; the shipped corpus has 24) with 2 busy cores: 4096 targets took 0.08 s a press,
#: 16384 0.4-0.6 s (5 s to load, 650 MiB), 65536 0.9-1.5 s (9 s to load, 1.4 GiB).
OPTIONS = {"max_targets": Option(int, 1, 16384, "16384 targets took 0.6 s a press and 650 MiB here")}


def bar_misses(corpus) -> np.ndarray:
    """``(K,)``: the cells each corpus bar misses at its best launchpad rendering (the sum of its rows' nearest
    playable rows); the least of them is the ceiling's distance."""
    values, inverse = np.unique(corpus.bars, return_inverse=True)
    return best_row_fits(corpus.spec, values)[0][inverse.reshape(corpus.bars.shape)].sum(axis=1)


def ceiling_bars(corpus) -> np.ndarray:
    """Indices of the corpus bars whose nearest playable rows add up to the ceiling, in corpus order."""
    misses = bar_misses(corpus)
    return np.flatnonzero(misses == misses.min())


class Navigator(Planner):
    """Walks to the cheapest-to-reach bar at the ceiling and stays there.

    ``max_targets`` bounds how many of the ceiling's bars it considers (the first in corpus order); on the
    shipped corpus all 24 are.
    """

    name = "navigator"

    def __init__(self, env, max_targets: int = 256):
        super().__init__(env)
        self.targets = ceiling_bars(self.env.corpus)[:max_targets]
        self.walks = [Walk(self.spec, self.env.corpus.bars[i]) for i in self.targets]
        self.lookahead = PressLookahead(self.simulator())
        # Every target's options in one (targets, N, P) array, padded with a column that costs more than any
        # walk, so the presses to every target are counted in one gather.
        width = max(len(options) for walk in self.walks for options in walk.options)
        pad = (1 << self.spec.n_patterns) * self.spec.steps
        self._options = np.full((len(self.walks), self.spec.n_notes, width), pad)
        for t, walk in enumerate(self.walks):
            for n, options in enumerate(walk.options):
                self._options[t, n, :len(options)] = options
        self._rows = np.arange(self.spec.n_notes)[None, :, None]

    def walk_lengths(self, state, costs: np.ndarray | None = None) -> np.ndarray:
        """Presses from ``state`` to each target: ``(len(targets),)``; ``costs`` as :func:`row_press_costs`."""
        costs = row_press_costs(self.spec, state.masks, state.offsets) if costs is None else costs
        padded = np.concatenate([costs, np.full((len(costs), 1), np.iinfo(costs.dtype).max, costs.dtype)], axis=1)
        return padded[self._rows, self._options].min(axis=-1).sum(axis=-1, dtype=np.int64)

    def walk(self, state, costs: np.ndarray | None = None) -> Walk:
        """The walk ``state`` takes: to the nearest target in presses, ties to the first in corpus order."""
        return self.walks[int(np.argmin(self.walk_lengths(state, costs)))]

    def act(self) -> int:
        state = self.env.state
        costs = row_press_costs(self.spec, state.masks, state.offsets)
        return next_press(self.lookahead, state, self.walk(state, costs).presses(state.masks, state.offsets, costs))


def make(env, seed=None, max_targets: int = 256) -> Navigator:
    """The navigator for ``env`` (it is deterministic: ``seed`` is accepted for the registry and unused)."""
    return Navigator(env, max_targets=max_targets)
