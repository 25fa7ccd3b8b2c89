"""MCMC exploration then greedy exploitation (paper section 5.2, second scheme)."""

import numpy as np
import pytest

from agents.toy.mcmc import beta_curve, mcmc_explore
from agents.toy.study import DEFAULT_BETAS, interior_peak


# --- MCMC exploration --------------------------------------------------------------------------------
def test_mcmc_at_beta_zero_accepts_every_move_so_ignores_its_random_stream(toy_table):
    q1, visits1 = mcmc_explore(toy_table, 0.0, 40, np.random.default_rng(1))
    q2, visits2 = mcmc_explore(toy_table, 0.0, 40, np.random.default_rng(2))
    assert np.array_equal(q1, q2) and np.array_equal(visits1, visits2)
    assert visits1.sum() == 40 * toy_table.n_actions
    # Trying the actions in a fixed order makes the walk periodic: it never sees half the states.
    _, visits = mcmc_explore(toy_table, 0.0, 400, np.random.default_rng(0))
    assert np.count_nonzero(visits) == toy_table.n_states // 2


def test_mcmc_at_large_beta_only_climbs(toy_table):
    _, visits = mcmc_explore(toy_table, 1e3, 100, np.random.default_rng(0))
    visited = np.flatnonzero(visits)
    assert (toy_table.reward[visited] >= toy_table.reward[0]).all()
    assert toy_table.reward[visited].max() == toy_table.reward.max()


def test_mcmc_refuses_negative_beta(toy_table):
    with pytest.raises(ValueError, match="beta"):
        mcmc_explore(toy_table, -0.1, 1, np.random.default_rng(0))


@pytest.mark.slow
def test_beta_curve_peaks_in_the_interior_with_the_papers_protocol(toy_table):
    curve = beta_curve(toy_table, DEFAULT_BETAS, n_sweeps=400, repeats=16, seed=0)
    peak = interior_peak(curve)
    assert peak["interior"], peak
    assert 0 < peak["best_beta"] < DEFAULT_BETAS[-1]
    best = int(np.argmax(curve.mean))
    for end in (0, -1):
        assert curve.mean[best] - curve.mean[end] > curve.sem[best] + curve.sem[end]
