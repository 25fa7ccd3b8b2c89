"""The run folder: one name parser for checkpoints, the latest replay buffer kept, resume refused on other settings."""

import os
import time

import pytest
from test_train import TINY, _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn import train
from agents.dqn.runs import Run, checkpoint_steps, prune_replay_buffers, run_of_model
from gym_launchpad.atomic_file import STALE_SECONDS


def test_checkpoint_names_give_their_steps():
    assert checkpoint_steps("runs/x/checkpoints/dqn_300_steps.zip") == 300
    assert checkpoint_steps("dqn_replay_buffer_1200_steps.npz") == 1200
    assert checkpoint_steps("final_model.zip") == -1
    run = Run("runs/x")
    assert checkpoint_steps(run.checkpoint_model(50)) == checkpoint_steps(run.replay_buffer(50)) == 50


def test_only_the_newest_replay_buffer_is_kept(tmp_path):
    run = Run(tmp_path)
    run.checkpoints.mkdir()
    for steps in (100, 900, 1000):  # 900 < 1000 by number, not by name
        run.replay_buffer(steps).write_bytes(b"")
        run.checkpoint_model(steps).write_bytes(b"")
    # A write a kill -9 cut short, by a writer long gone (no process has PID 2**22 + 1 here).
    abandoned = run.checkpoints / ".dqn_replay_buffer_1100_steps.npz.4194305-0123abcd.tmp.npz"
    abandoned.write_bytes(b"a write a kill cut short")
    os.utime(abandoned, (time.time() - 2 * STALE_SECONDS,) * 2)
    prune_replay_buffers(run.checkpoints)
    assert sorted(p.name for p in run.checkpoints.glob("*.npz")) == ["dqn_replay_buffer_1000_steps.npz"]
    assert not list(run.checkpoints.glob(".*"))
    assert [checkpoint_steps(p) for p in run.checkpoint_models()] == [100, 900, 1000]


def test_resume_refuses_other_settings(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "100"])
    with pytest.raises(SystemExit, match="pass the same --preset"):
        _train(tmp_path, synthetic_corpus_path, "mlp", steps=200, extra=["--resume"])
    with pytest.raises(SystemExit, match="no config.json"):
        _train(tmp_path, synthetic_corpus_path, "linear", steps=200, name="nothing", extra=["--resume"])
    assert logdir.is_dir()


@pytest.mark.parametrize("config", ["[" * 200_000 + "]" * 200_000, "[1]", '{"args": {}}'])
def test_resume_over_a_config_that_is_not_one_is_one_line(tmp_path, synthetic_corpus_path, config, capsys):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "100"])
    Run(logdir).config_path.write_text(config)  # nested 200,000 deep, a JSON list, an object without a preset
    capsys.readouterr()
    argv = ["--preset", "linear", "--timesteps", "200", "--logdir", str(logdir), "--corpus", synthetic_corpus_path,
            "--resume", *TINY]
    assert train.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {Run(logdir).config_path} is not the config.json of a `python -m agents train` "
                          "run (") and err.count("\n") == 1, err


def test_a_model_knows_its_run(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "100"])
    for model in (logdir / "final_model.zip", logdir / "checkpoints" / "dqn_100_steps.zip"):
        assert run_of_model(model).path == logdir
    assert run_of_model(tmp_path / "elsewhere.zip") is None
    assert Run(logdir).preset().network == "linear"
