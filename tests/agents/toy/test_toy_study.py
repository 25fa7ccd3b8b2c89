"""The toy study: both learners on a second small launchpad, and the ``toy-study`` command."""

import json

import numpy as np
import pytest

from agents.toy import study
from agents.toy.mcmc import beta_curve
from agents.toy.study import DEFAULT_BETAS, interior_peak
from agents.toy.tabular import TransitionTable, q_learning


# --- the learners are generic: a second small launchpad ---------------------------------------------
@pytest.mark.slow
def test_learners_work_on_a_two_note_launchpad(two_note_env):
    env = two_note_env(3000)
    table = TransitionTable.from_env(env)
    assert (table.n_states, table.n_actions) == (1024, 11)
    best = table.reward.max()
    run = q_learning(env, 30000, seed=0)
    early, late = run.rewards[:3000], run.rewards[15000:]
    assert (early == best).mean() < 0.05
    assert (late == best).mean() > 0.5
    segments = np.split(run.rewards, [r for r in run.resets if r < len(run.rewards)])
    assert all((segment == best).any() for segment in segments[5:])
    # 32 times the states of the toy need more sweeps than the paper's 400 to find the best bar.
    curve = beta_curve(table, [0.0, 0.3, 1e3], n_sweeps=8000, repeats=4, seed=0)
    assert interior_peak(curve)["interior"], curve.as_dict()


# --- the command -------------------------------------------------------------------------------------
def test_toy_study_command_writes_the_three_figures_and_their_numbers(tmp_path, capsys):
    out = tmp_path / "toy"
    code = study.main(["--out", str(out), "--seeds", "2", "--steps", "1000", "--sweeps", "20", "50",
                       "--repeats", "2"])
    assert code == 0
    for name in ("fig8_reward.png", "fig9_qtable.png", "fig10_beta.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "toy_study.json").read_text())
    assert summary["n_states"] == 32 and summary["n_actions"] == 6
    assert summary["q_learning"]["replacements"] == 2 * 1
    assert [c["n_sweeps"] for c in summary["mcmc"]["curves"]] == [20, 50]
    assert len(summary["mcmc"]["curves"][0]["mean"]) == len(DEFAULT_BETAS)
    assert "Q-learning: learned within 1000 steps" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--repeats", "1"], ["--steps", "0"], ["--sweeps", "x"]])
def test_toy_study_command_rejects_bad_arguments(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        study.main(["--out", str(tmp_path), *argv])
    assert exit_info.value.code == 2
    assert "error: argument" in capsys.readouterr().err
