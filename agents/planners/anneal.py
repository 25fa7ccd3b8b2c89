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

#: The options of ``anneal:...``; the bounds keep one search within a few seconds and its memory small here.
OPTIONS = {"sweeps": Option(int, 1, 2000, "more sweeps take more than a few seconds and their record grows"),
           "beta_start": Option(float, 0.0, 1000.0), "beta_end": Option(float, 0.0, 1000.0)}


class Annealer(Planner):
    """Anneal in a simulator from the current state, walk to the nearest bar visited, stay there."""

    name = "anneal"

    def __init__(self, env, seed: int | None = None, sweeps: int = 100, beta_start: float = 0.05,
                 beta_end: float = 2.0):
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


def make(env, seed=None, sweeps: int = 100, beta_start: float = 0.05, beta_end: float = 2.0) -> Annealer:
    """The annealing planner for ``env``; ``seed`` seeds its Metropolis draws."""
    return Annealer(env, seed=seed, sweeps=sweeps, beta_start=beta_start, beta_end=beta_end)
