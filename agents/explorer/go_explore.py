"""Go-Explore's first phase on the launchpad: archive the bars found, return to them by reset, explore from there.

Ecoffet et al. (2021, "First return, then explore") cross deceptive rewards by remembering every kind of
state reached (a *cell*), going back to a promising one and exploring from it, instead of hoping a
policy's noise walks across the deception in one go. Here the deception is the barrier in front of the
near-silent bar: every path to a better bar first climbs ~+44 in distance for ~20 presses.

A cell is the bar downscaled as Go-Explore downscales a frame, to one pixel with a few intensity levels
(how many cells sound, in buckets of ``loudness_bucket``), together with its score (the distance, in
buckets of ``distance_bucket``). Keying cells by loudness keeps the louder, worse bars on the way across the
barrier in the archive; keying them by distance keeps the better bars apart from the worse ones.

It uses nothing but the env's public API: ``reset(options={"state": ...})`` to return, ``step`` to explore,
``info["distance"]`` as the score (or the distance to a bar it found before, ``aim``). It never reads the
ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trajectory:
    """Presses from a start state, and the distance of the bar after each (``distances[0]``: the start)."""

    start: object  # a LaunchpadState
    actions: list[int]
    distances: list[int]

    @property
    def final_distance(self) -> int:
        return self.distances[-1]


@dataclass
class Cell:
    """The best-known way into one cell: the state, the presses that reach it, and how often it was used."""

    state: object
    actions: list[int]
    distance: int
    chosen: int = 0
    seen: int = 0


@dataclass
class GoExplore:
    """Phase 1 of Go-Explore on one env: :meth:`run` from a start state returns the best trajectory found."""

    env: object
    loudness_bucket: int = 16
    distance_bucket: int = 4
    #: random presses per exploration from a returned-to cell.
    explore_steps: int = 10
    #: selection weight falls by e every ``temperature`` distance above the best cell's (0: no score term).
    temperature: float = 16.0
    #: whether to return to archived cells; False explores only from the start state (the ablation).
    return_to_cells: bool = True
    #: a bar found before (one word per row) to look for instead of the nearest corpus bar: the robustifying
    #: phase's goal, the best cell of an earlier run (Go-Explore's "return to a cell", from a new start).
    aim: np.ndarray | None = None
    seed: int = 0
    cells: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        self.n_actions = self.env.action_space.n

    def cell_key(self, info) -> tuple[int, int]:
        return self._key(self.score(info))

    def _key(self, score: int) -> tuple[int, int]:
        loudness = int(np.bitwise_count(self.env.unwrapped.words).sum())
        return loudness // self.loudness_bucket, score // self.distance_bucket

    def score(self, info) -> int:
        """How far the bar is from what this run looks for: the env's distance, or with ``aim`` the cells that
        differ from the aim bar."""
        if self.aim is None:
            return int(info["distance"])
        return int(np.bitwise_count(self.env.unwrapped.words ^ self.aim).sum())

    def run(self, start, max_steps: int, stop_distance: int = 0, options=()) -> Trajectory:
        """Explore from ``start`` (a LaunchpadState) for at most ``max_steps`` presses, or until a bar at
        ``stop_distance`` or nearer is found; the shortest trajectory to the nearest bar found.

        ``options`` are press sequences that worked from other starts (their trajectories' actions): each is
        played from ``start`` first and every bar on the way archived, so exploration from a new start
        begins where the old ways lead (they count against ``max_steps``)."""
        _, info = self.env.reset(options={"state": start})
        self.cells = {self.cell_key(info): Cell(start.copy(), [], self.score(info))}
        best_key = next(iter(self.cells))
        steps = 0
        for option in options:
            self.env.reset(options={"state": start})
            for i, action in enumerate(option):
                best_key = self._press(int(action), list(option[:i + 1]), best_key)
                steps += 1
        while steps < max_steps and self.cells[best_key].distance > stop_distance:
            cell = self._select() if self.return_to_cells else self.cells[next(iter(self.cells))]
            cell.chosen += 1
            self.env.reset(options={"state": cell.state})
            actions = list(cell.actions)
            for _ in range(self.explore_steps):
                actions.append(int(self.rng.integers(self.n_actions)))
                best_key = self._press(actions[-1], actions, best_key)
                steps += 1
        best = self.cells[best_key]
        return replay(self.env, start, best.actions)

    def _select(self) -> Cell:
        cells = list(self.cells.values())
        chosen = np.array([c.chosen for c in cells], dtype=float)
        seen = np.array([c.seen for c in cells], dtype=float)
        distance = np.array([c.distance for c in cells], dtype=float)
        # Go-Explore's count-based weight: cells seldom chosen or seldom seen are the frontier.
        weight = 1 / np.sqrt(chosen + 1) + 1 / np.sqrt(seen + 1)
        if self.temperature > 0:
            # Without it the archive drifts to loud bars: most random presses add sound.
            weight *= np.exp(-(distance - distance.min()) / self.temperature)
        return cells[self.rng.choice(len(cells), p=weight / weight.sum())]

    def _press(self, action: int, actions: list[int], best_key):
        """Press ``action`` (the last of ``actions``, the way from the start), archive the bar it leads to;
        the key of the best cell now."""
        _, _, _, _, info = self.env.step(action)
        key = self._archive(info, actions)
        return key if self.cells[key].distance < self.cells[best_key].distance else best_key

    def _archive(self, info, actions) -> tuple[int, int]:
        distance = self.score(info)
        key = self._key(distance)
        cell = self.cells.get(key)
        if cell is None or (distance, len(actions)) < (cell.distance, len(cell.actions)):
            counts = (cell.chosen, cell.seen) if cell is not None else (0, 0)
            self.cells[key] = Cell(self.env.unwrapped.state.copy(), list(actions), distance, *counts)
        else:
            cell.seen += 1
        return key


def replay(env, start, actions) -> Trajectory:
    """Play ``actions`` from ``start`` and record the distance after each press."""
    _, info = env.reset(options={"state": start})
    distances = [int(info["distance"])]
    for action in actions:
        _, _, _, _, info = env.step(action)
        distances.append(int(info["distance"]))
    return Trajectory(start.copy(), list(actions), distances)


def shorten(env, trajectory: Trajectory, max_passes: int = 4) -> Trajectory:
    """Drop every press whose removal leaves the final distance no worse, by replaying without it.

    Random exploration reaches good bars by long detours (offset presses on silent rows, patterns switched
    on and off again); the robustification learns from these paths, and shorter ones are easier to learn.
    """
    actions, final = list(trajectory.actions), trajectory.final_distance
    for _ in range(max_passes):
        removed = False
        for i in reversed(range(len(actions))):
            # A press alone, then a press with the next press of the same button: a pattern switched on and
            # off again is only dropped as a pair.
            for j in (i, _next_same(actions, i)):
                if j is None or j >= len(actions) or i >= len(actions):
                    continue
                candidate = [a for k, a in enumerate(actions) if k not in (i, j)]
                if replay(env, trajectory.start, candidate).final_distance <= final:
                    actions, removed = candidate, True
                    break
        if not removed:
            break
    return replay(env, trajectory.start, actions)


def _next_same(actions, i):
    return next((j for j in range(i + 1, len(actions)) if actions[j] == actions[i]), None)
