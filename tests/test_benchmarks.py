"""Every benchmark runs at its smoke size, so none of them rots; the figures themselves are not asserted."""

import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from gym_launchpad.midi import write_midi

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # the scripts import each other by name, as when run alone

import _common  # noqa: E402
import bandwidth  # noqa: E402
import env_step  # noqa: E402
import repeat_cap  # noqa: E402
import reward_kernel  # noqa: E402
import vector_env  # noqa: E402


def check_rows(rows, expected):
    assert len(rows) == expected
    for row in rows:
        assert row.figures and row.question
        if row.question.endswith(", share"):  # a part of a whole: may round to nothing at a smoke size
            assert 0 <= row.ratio <= 1, row
        else:
            assert math.isfinite(row.ratio) and row.ratio > 0, row
        assert row.met == (_common.check(row.ratio, row.target) if row.target else None)
        assert row.markdown().startswith(f"| {row.question} |")


@pytest.mark.parametrize("module, rows", [(env_step, 2), (reward_kernel, 2), (vector_env, 4 + len(vector_env.PARTS)),
                                          (bandwidth, 2)])
def test_benchmark_runs_at_smoke_size(module, rows):
    check_rows(module.run(quick=True), rows)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_vector_breakdown_names_every_part_of_the_step(backend, monkeypatch):
    monkeypatch.setenv("GYM_LAUNCHPAD_KERNEL", backend)
    parts, whole, kernel = vector_env.breakdown(num_envs=8, steps=5, rounds=2)
    assert list(parts) == list(vector_env.PARTS) and kernel == backend
    # Every part the step runs was clocked (a method the step stopped calling would read 0).
    assert all(parts[part] > 0 for part in ("actions", "kernel", "observation", "info", "autoreset"))
    assert parts["argmin"] >= 0 and parts["rest"] >= 0 and whole == pytest.approx(sum(parts.values()))


@pytest.mark.slow
def test_train_throughput_runs_the_train_command_at_smoke_size():
    pytest.importorskip("stable_baselines3")
    import train_throughput

    rows = train_throughput.run(steps=64)
    assert [row.question for row in rows] == [f"python -m agents train, {preset}, --n-envs 16 / 1"
                                              for preset in train_throughput.PRESETS]
    check_rows(rows, 2)


@pytest.mark.slow
def test_dqn_share_runs_at_smoke_size():
    pytest.importorskip("stable_baselines3")
    import dqn_share

    rows = dqn_share.run(steps=200)
    assert [row.question for row in rows] == [f"DQN training, {name}, env share" for name in dqn_share.NETWORKS]
    for row in rows:
        assert 0 < row.ratio < 1 and row.met == (row.ratio <= 0.02)


@pytest.mark.slow
def test_main_prints_one_table_with_the_corpus_build(capsys):
    if not (BENCHMARKS / "_fetched" / "debian_midi").is_dir() and not shutil.which("apt-get"):
        pytest.skip("the corpus build benchmark fetches Debian's MIDI files with apt-get")
    from benchmarks.__main__ import main

    assert main(["--quick", "--skip", "env_step", "reward_kernel", "bandwidth", "dqn_share", "train_throughput"]) == 0
    out = capsys.readouterr().out
    assert "| question | figures | ratio | target | |" in out
    assert "| vector env, 8 envs, native / sync |" in out  # --quick steps 8 envs
    corpus_row = next(line for line in out.splitlines() if line.startswith("| corpus build"))
    assert "symusic" in corpus_row and "pretty_midi" in corpus_row and "nan" not in corpus_row


def test_synthetic_corpus_is_sparse_and_distinct():
    corpus = _common.synthetic_corpus(2000, seed=1)
    assert len(corpus) == 2000 and corpus.total_count == 2000
    density = sum(int(w).bit_count() for w in corpus.bars.ravel()) / corpus.bars.size / corpus.spec.steps
    assert 0.1 < density < 0.15


def test_targets_read_both_ways():
    assert _common.check(1.4, "<= 1.5x") and not _common.check(1.6, "<= 1.5x")
    assert _common.check(120, ">= 100x") and not _common.check(99, ">= 100x")


def test_repeat_cap_runs_at_smoke_size(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for song in range(2):
        bars = np.zeros((20, repeat_cap.SPEC.n_notes), dtype=np.uint64)
        for bar in bars:
            bar[rng.choice(repeat_cap.SPEC.n_notes, size=3, replace=False)] = np.uint64(2**64 - 1)
        write_midi(bars, tmp_path / f"song{song}.mid", repeat_cap.SPEC)
    repeat_cap.main(["--midi", str(tmp_path), "--quick", "--workers", "1"])
    printed = capsys.readouterr().out
    assert "2 real files, tracks merged: the most copies of one bar in a file is 1" in printed
    assert "with it, no cap: 440 bars with repeats" in printed and "with it, cap 128: 168 bars" in printed
