"""The hopper: a planner that walks the DJ launchpad from one corpus bar to the next, one audible press a bar.

The targets are the corpus bars a launchpad plays within the env's ``arrival_radius`` cells (a pattern is
periodic, so only some real bars are playable that closely). A row plays a word through several (mask,
offset) pairs; from a row's (mask, offset) a pair is ``popcount(mask ^ mask')`` toggles plus
``popcount((offset' - offset) mod 2**B)`` offset presses away (an offset button adds a power of two).
So the presses from the state to every target are a sum of per-row minima, computed for all targets at
once. The hopper aims at the nearest target (fewest presses) that the env has not heard as the nearest
bar in its last ``memory`` bars, and walks there: among the presses of the walk it prefers those a
listener hears (a rotated silent row is silent), then the one whose bar is nearest to the corpus (the
env's own lookahead). When it arrives it picks the next target at once, so no bar repeats.

It reads the env's state and memory, not the observation: it is a planner, and tables label it so.
"""

from __future__ import annotations

import functools

import numpy as np

from agents.planners.planner import Option
from gym_launchpad.launchpad import LaunchpadSpec, press_rows
from gym_launchpad.reward import best_row_fits


@functools.cache
def _press_tables(spec: LaunchpadSpec) -> tuple[np.ndarray, np.ndarray]:
    """``toggles[m, m']`` and ``shifts[o, o']``: presses from mask ``m`` to ``m'``, and offset ``o`` to ``o'``."""
    masks, offsets = np.arange(1 << spec.n_patterns), np.arange(spec.steps)
    toggles = np.bitwise_count(masks[:, None] ^ masks[None, :]).astype(np.int16)
    shifts = np.bitwise_count((offsets[None, :] - offsets[:, None]) % spec.steps).astype(np.int16)
    return toggles, shifts


class TargetTable:
    """Every target bar of a corpus with the (mask, offset) pairs that play each of its rows best.

    ``targets`` are the corpus bars within ``radius`` cells of a playable bar. Each distinct row word of
    them has its best pairs (flat ``mask * 2**B + offset``); :meth:`presses` gives the presses from a
    state to every target, :meth:`walk` the presses to one.
    """

    def __init__(self, corpus, radius: int):
        spec = self.spec = corpus.spec
        words, inverse = np.unique(corpus.bars, return_inverse=True)
        inverse = inverse.reshape(corpus.bars.shape)
        cost, _, _ = best_row_fits(spec, words)
        fit = cost[inverse].sum(axis=1)
        self.targets = np.flatnonzero(fit <= radius)
        if not len(self.targets):
            raise ValueError(f"no corpus bar is playable within {radius} cells: the hopper has nowhere to go")
        self.fit = fit[self.targets]
        self.word_index = inverse[self.targets]  # (T, N) index into words
        misses = np.bitwise_count(spec.row_table[None] ^ words[:, None, None]).reshape(len(words), -1)
        best = misses == misses.min(axis=1, keepdims=True)
        # Pairs of all words in one flat array, cut by word: a minimum per word is one reduceat.
        self._pairs = np.flatnonzero(best.reshape(-1)) % best.shape[1]
        self._starts = np.searchsorted(np.flatnonzero(best.reshape(-1)), np.arange(len(words)) * best.shape[1])
        self._word_pairs = np.split(self._pairs, self._starts[1:])
        self.columns = np.ascontiguousarray(corpus.bars.T)  # (N, K): row n of every corpus bar

    def row_costs(self, masks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``(N, W)``: presses from each row's (mask, offset) to the nearest best pair of every word."""
        toggles, shifts = _press_tables(self.spec)
        costs = (toggles[masks][:, :, None] + shifts[offsets][:, None, :]).reshape(len(masks), -1)
        return np.minimum.reduceat(costs[:, self._pairs], self._starts, axis=1)

    def presses(self, masks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``(T,)`` presses from the state to each target."""
        per_word = self.row_costs(masks, offsets)
        return per_word[np.arange(self.spec.n_notes), self.word_index].sum(axis=1)

    def walk(self, target: int, masks: np.ndarray, offsets: np.ndarray) -> list[int]:
        """The actions of a shortest walk from the state to target ``target`` (an index into ``targets``)."""
        spec = self.spec
        toggles, shifts = _press_tables(spec)
        actions = []
        for n in range(spec.n_notes):
            pairs = self._word_pairs[self.word_index[target, n]]
            end_masks, end_offsets = np.divmod(pairs, spec.steps)
            end = np.argmin(toggles[masks[n], end_masks] + shifts[offsets[n], end_offsets])
            flips, shift = masks[n] ^ end_masks[end], (end_offsets[end] - offsets[n]) % spec.steps
            actions += [spec.toggle_action(n, k) for k in range(spec.n_patterns) if flips >> k & 1]
            actions += [spec.offset_action(n, j) for j in range(spec.bar_bits) if shift >> j & 1]
        return actions

    def first_press(self, target: int, masks: np.ndarray, offsets: np.ndarray) -> int:
        """The walk heads' press toward target ``target``: the lowest action of :meth:`walk`, the no-op there."""
        walk = self.walk(target, masks, offsets)
        return int(min(walk)) if walk else int(self.spec.noop_action)


def ordered_walk(spec: LaunchpadSpec, columns: np.ndarray, masks, offsets, walk):
    """Press ``walk`` from the state in the hopper's order, yielding ``(action, distance, nearest corpus bar)``
    after each press: audible presses first (a rotated silent row is silent), then the one whose bar is
    nearest to the corpus ``columns`` ``(N, K)``, then the lowest action."""
    masks, offsets = np.array(masks), np.array(offsets)
    words = spec.row_table[masks, offsets]
    distances = np.bitwise_count(columns ^ words[:, None]).sum(axis=0, dtype=np.int64)
    remaining = np.array(walk, dtype=np.int64)
    while len(remaining):
        rows = spec.action_note[remaining]
        masks_after, offsets_after = press_rows(spec, remaining, masks[rows], offsets[rows])
        new = spec.row_table[masks_after, offsets_after]
        change = (np.bitwise_count(columns[rows] ^ new[:, None]).astype(np.int64)
                  - np.bitwise_count(columns[rows] ^ words[rows][:, None]))
        after = distances + change
        best = after.min(axis=1)
        j = np.lexsort((remaining, best, new == words[rows]))[0]
        row = rows[j]
        masks[row], offsets[row], words[row] = masks_after[j], offsets_after[j], new[j]
        distances = after[j]
        yield int(remaining[j]), int(best[j]), int(distances.argmin())
        remaining = np.delete(remaining, j)


#: Targets: corpus bars a launchpad plays within this many cells. Wider than the env's arrival radius: more
#: targets make shorter hops, and the walk's cost keeps the song near the corpus anyway.
DEFAULT_RADIUS = 4
#: A corpus bar heard for the first time is worth this many cells of distance (measured: with 40, 20 seeded
#: songs of 300 bars keep a mean distance under 6 and more than 10 distinct nearest bars per 100 bars).
DEFAULT_NOVELTY_WEIGHT = 40.0


class Hopper:
    """The hopper planner on a :class:`~gym_launchpad.envs.LaunchpadDJEnv` (possibly wrapped).

    ``radius`` picks the targets (:class:`TargetTable`), ``novelty_weight`` how a walk is chosen
    (:meth:`_walk_cost`). Answers SB3's ``predict``.
    """

    name = "hopper"
    #: It reads the env's state and memory rather than the observation.

    #: Of the fresh targets fewest presses away, this many are walked in simulation to choose the next one.
    CANDIDATES = 12

    def __init__(self, env, radius: int = DEFAULT_RADIUS, novelty_weight: float = DEFAULT_NOVELTY_WEIGHT):
        self.env = env.unwrapped
        self.action_space, self.observation_space = env.action_space, env.observation_space
        self.table = TargetTable(self.env.corpus, radius)
        self.novelty_weight = novelty_weight
        self.target: int | None = None
        self._new_episode()

    def _new_episode(self):
        # The bar each target was last arrived at in this episode (-1: never): the hopper prefers targets it
        # has not played at all, so a song of T bars keeps finding new music, not only the env's memory.
        self.arrived = np.full(len(self.table.targets), -1, dtype=np.int64)
        self.heard = np.zeros(len(self.env.corpus), dtype=bool)  # corpus bars that were the nearest one
        self.target, self._bars = None, 0

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        action = np.int64(self.act())
        return (action if obs.shape == self.observation_space.shape else np.array([action])), state

    def act(self) -> int:
        env, table = self.env, self.table
        if env.bars < self._bars or env.bars == 0:
            self._new_episode()
        self._bars = env.bars
        masks, offsets = env.state.masks, env.state.offsets
        self.heard[np.bitwise_count(table.columns ^ env.words[:, None]).sum(axis=0).argmin()] = True
        presses = table.presses(masks, offsets)
        self.arrived[presses == 0] = env.bars
        if self.target is None or presses[self.target] == 0:
            self.target = self._next_target(presses)
        walk = table.walk(self.target, masks, offsets)
        if not walk:
            return int(env.launchpad.noop_action)
        return next(ordered_walk(env.launchpad, table.columns, masks, offsets, walk))[0]

    def _next_target(self, presses: np.ndarray) -> int:
        # The targets played longest ago (never, while there are such), other than the one here.
        away = np.flatnonzero(presses > 0)
        last = self.arrived[away]
        candidates = away[last == last.min()]
        # The few fewest presses away (then best fit, then corpus order), walked in simulation; the cheapest
        # walk (_walk_cost) wins.
        order = np.lexsort((candidates, self.table.fit[candidates], presses[candidates]))
        candidates = candidates[order[:self.CANDIDATES]]
        spec, state, table = self.env.launchpad, self.env.state, self.table
        costs = [self._walk_cost(list(ordered_walk(spec, table.columns, state.masks, state.offsets,
                                                   table.walk(c, state.masks, state.offsets))))
                 for c in candidates]
        return int(candidates[int(np.argmin(costs))])

    def _walk_cost(self, walk) -> float:
        """Per bar of a walk: its distance, less ``novelty_weight`` for each corpus bar it makes the nearest
        one for the first time in the episode (the two figures a listener's song is measured by)."""
        _, distances, nearest = np.array(walk).T
        new = len(np.setdiff1d(nearest, np.flatnonzero(self.heard)))
        return (distances.sum() - self.novelty_weight * new) / len(distances)


#: The options of ``hopper:...``. The target table grows with the radius; on the shipped onsets a press took
#: 0.04 s at radius 64, as at 0 (measured with 2 busy cores); the weight costs nothing.
OPTIONS = {"radius": Option(int, 0, 64, "a press took 0.04 s at 64 here; the target table grows with it"),
           "novelty_weight": Option(float, 0.0, 1e6)}


def make(env, seed=None, radius: int = DEFAULT_RADIUS, novelty_weight: float = DEFAULT_NOVELTY_WEIGHT) -> Hopper:
    """The hopper for ``env`` (deterministic: ``seed`` is accepted for the registry and unused)."""
    return Hopper(env, radius=radius, novelty_weight=novelty_weight)
