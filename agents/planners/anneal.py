"""The paper's MCMC annealing (section 5.2) used as a planner: search in a simulator, then walk there.

From the env's state, a Metropolis walk runs in a second env: it sweeps the presses in order and takes
each with probability ``min(1, exp(-beta * (d' - d)))``, ``d`` the distance to the corpus, as the
paper's exploration does; ``beta`` rises geometrically from ``beta_start`` to ``beta_end`` over
``sweeps`` sweeps, so the walk roams first and settles at the end. The nearest bar it visits becomes the
target, and the planner walks there with the fewest presses, nearest-first
(:class:`agents.planners.walk.Walk`). At the target, or when the annealing found nothing nearer, it
presses the no-op, and anneals again only from a state it has not annealed from.
"""

from __future__ import annotations

import numpy as np

from agents.planners.planner import Option, Planner, state_key
from agents.planners.walk import PressLookahead, Walk, next_press, undo_table

#: The annealer's defaults. One search is ``sweeps`` sweeps of the 312 presses in a simulator; its betas are
#: one float a sweep.
DEFAULT_SWEEPS, DEFAULT_BETA_START, DEFAULT_BETA_END = 100, 0.05, 2.0
#: The most sweeps a search may take: it keeps one search (the first press, and the first after
#: reaching each target) under about 3 s here, measured on the shipped corpus with 2 busy cores:
#: 400 sweeps took 1.9 s at beta 1000 (every rejected press is undone: the slowest), 1.3-1.4 s at the
#: defaults' betas; 800 sweeps took 2.8 s and 5.8 s. The betas and the search hold no more memory at the bound
#: (the process peaked at 397 MiB, as at 100 sweeps).
MAX_SWEEPS = 400
#: The options of ``anneal:...``.
OPTIONS = {"sweeps": Option(int, 1, MAX_SWEEPS, "400 sweeps took up to 1.9 s a press here"),
           "beta_start": Option(float, 0.001, 1000.0), "beta_end": Option(float, 0.001, 1000.0)}


def check(options: dict) -> None:
    """One ValueError when ``beta_start`` (given or its default) is above ``beta_end``: beta only rises."""
    start, end = options.get("beta_start", DEFAULT_BETA_START), options.get("beta_end", DEFAULT_BETA_END)
    if start > end:
        raise ValueError(f"anneal options beta_start={start:g}, beta_end={end:g}: beta rises over the sweeps, so "
                         "beta_start is at most beta_end (defaults 0.05 and 2)")


class Annealer(Planner):
    """Anneal in a simulator from the current state, walk to the nearest bar visited, stay there."""

    name = "anneal"

    def __init__(self, env, seed: int | None = None, sweeps: int = DEFAULT_SWEEPS,
                 beta_start: float = DEFAULT_BETA_START, beta_end: float = DEFAULT_BETA_END):
        super().__init__(env)
        if sweeps < 1 or not 0 < beta_start <= beta_end:
            raise ValueError(f"annealing needs sweeps >= 1 and 0 < beta_start <= beta_end; got sweeps={sweeps}, "
                             f"beta_start={beta_start}, beta_end={beta_end}")
        self.sweeps, self.beta_start, self.beta_end = int(sweeps), float(beta_start), float(beta_end)
        self.rng = np.random.default_rng(seed)
        self.sim = self.simulator()
        self.lookahead = PressLookahead(self.simulator())
        self._undo = undo_table(self.spec)
        self._walk: Walk | None = None
        self._annealed: set[bytes] = set()

    def act(self) -> int:
        state = self.env.state
        if self._walk is not None:
            presses = self._walk.presses(state.masks, state.offsets)
            if len(presses):
                return next_press(self.lookahead, state, presses)
            self._walk = None
        key = state_key(state)
        if key in self._annealed:
            return self.noop_action
        self._annealed.add(key)
        words = self.anneal(state)
        if words is None:
            return self.noop_action
        self._walk = Walk(self.spec, words)
        return next_press(self.lookahead, state, self._walk.presses(state.masks, state.offsets))

    def anneal(self, state) -> np.ndarray | None:
        """The bar (words) of the nearest state the annealing visits from ``state``; None if none is nearer."""
        sim, undo = self.sim, self._undo
        distance = start = sim.reset(options={"state": state})[1]["distance"]
        best, best_words = start, None
        presses = np.arange(self.spec.n_actions - 1)
        betas = np.geomspace(self.beta_start, self.beta_end, self.sweeps)
        for beta in betas:
            uniforms = self.rng.random(len(presses))
            for action, u in zip(presses, uniforms, strict=True):
                proposed = sim.step(action)[4]["distance"]
                # Compare in log space so a large beta never overflows exp().
                if proposed <= distance or np.log(u) < -beta * (proposed - distance):
                    distance = proposed
                    if distance < best:
                        best, best_words = distance, sim.words.copy()
                else:
                    for back in undo[action]:
                        sim.step(back)
        return best_words


def make(env, seed=None, sweeps: int = DEFAULT_SWEEPS, beta_start: float = DEFAULT_BETA_START,
         beta_end: float = DEFAULT_BETA_END) -> Annealer:
    """The annealing planner for ``env``; ``seed`` seeds its Metropolis draws."""
    return Annealer(env, seed=seed, sweeps=sweeps, beta_start=beta_start, beta_end=beta_end)
