"""MCMC exploration then greedy exploitation (paper section 5.2, second scheme).

Exploration is a Metropolis walk over states that visits a state in proportion to
``exp(beta * R(s))``: from the current state it tries the actions in order, sweeping the action space,
and moves to each tried state with probability ``min(1, exp(beta * (R(s') - R(s))))``. Every try
updates Q with the paper's rule (:func:`agents.toy.tabular.q_update`), whether the walk moves or not: a
try is one query of the simulator. ``beta = 0`` accepts every move; a large ``beta`` only climbs.
After ``n_sweeps`` sweeps the greedy policy of the learnt Q runs from the start state, without
learning, and its score is the mean reward of those greedy steps.

Trying an action without committing to it needs a simulator; here it is the env's own dynamics,
read once per (state, action) into a :class:`agents.toy.tabular.TransitionTable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.toy.tabular import ALPHA, GAMMA, TransitionTable, q_update

#: The paper's protocol: 400 sweeps of the action space, then 400 greedy steps, 16 repeats a beta.
N_SWEEPS, GREEDY_STEPS, REPEATS = 400, 400, 16


def mcmc_explore(
    table: TransitionTable,
    beta: float,
    n_sweeps: int,
    rng: np.random.Generator,
    *,
    start: int = 0,
    alpha: float = ALPHA,
    gamma: float = GAMMA,
) -> tuple[np.ndarray, np.ndarray]:
    """Explore by Metropolis moves from ``start``, learning Q; returns ``(q, visits)``.

    ``visits[s]`` counts the tries made from state ``s``.
    """
    if beta < 0:
        raise ValueError(f"beta is an inverse temperature and must be >= 0, got {beta}")
    q = np.zeros(table.next_state.shape)
    visits = np.zeros(table.n_states, dtype=np.int64)
    next_state, reward = table.next_state, table.reward
    uniforms = rng.random((n_sweeps, table.n_actions))
    s = start
    for sweep in range(n_sweeps):
        for a in range(table.n_actions):
            s_next = int(next_state[s, a])
            q_update(q, s, a, reward[s], s_next, alpha, gamma)
            visits[s] += 1
            gain = reward[s_next] - reward[s]
            # Compare in log space so a large beta never overflows exp().
            if gain >= 0 or np.log(uniforms[sweep, a]) < beta * gain:
                s = s_next
    return q, visits


@dataclass
class BetaCurve:
    """Greedy score after exploration at each beta: ``scores[i, r]`` is repeat ``r`` of ``betas[i]``;
    ``explored[i, r]`` how many distinct states that run tried actions from."""

    betas: np.ndarray
    n_sweeps: int
    scores: np.ndarray
    explored: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.scores.mean(axis=1)

    @property
    def sem(self) -> np.ndarray:
        """Standard error of the mean over repeats (sample standard deviation / sqrt(repeats))."""
        return self.scores.std(axis=1, ddof=1) / np.sqrt(self.scores.shape[1])

    def as_dict(self) -> dict:
        return {"n_sweeps": self.n_sweeps, "betas": self.betas.tolist(), "mean": self.mean.tolist(),
                "sem": self.sem.tolist(), "explored_states_mean": self.explored.mean(axis=1).tolist()}


def beta_curve(
    table: TransitionTable,
    betas,
    n_sweeps: int = N_SWEEPS,
    repeats: int = REPEATS,
    seed: int = 0,
    *,
    start: int = 0,
    greedy_steps: int = GREEDY_STEPS,
) -> BetaCurve:
    """Explore ``n_sweeps`` sweeps from ``start`` at every beta, ``repeats`` times each (every run from its
    own seeded stream); score each run by the mean reward of ``greedy_steps`` greedy steps from ``start``."""
    betas = np.asarray(betas, dtype=float)
    streams = iter(np.random.SeedSequence(seed).spawn(len(betas) * repeats))
    scores = np.empty((len(betas), repeats))
    explored = np.empty((len(betas), repeats), dtype=np.int64)
    for i, beta in enumerate(betas):
        for r in range(repeats):
            q, visits = mcmc_explore(table, beta, n_sweeps, np.random.default_rng(next(streams)), start=start)
            scores[i, r] = table.greedy_rewards(q, start, greedy_steps).mean()
            explored[i, r] = np.count_nonzero(visits)
    return BetaCurve(betas, n_sweeps, scores, explored)
