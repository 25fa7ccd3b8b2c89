"""The explorer's training command at a tiny budget: explore, robustify, export weights pretrained.load() reads."""

import json

import pytest

from agents.dqn import export as pretrained
from agents.explorer.train import main


@pytest.mark.slow
def test_training_command_writes_loadable_weights(tmp_path, synthetic_corpus_path):
    out = tmp_path / "explorer.safetensors"
    assert main(["--corpus", synthetic_corpus_path, "--timesteps", "1200", "--discover-starts", "2",
                 "--explore-steps", "3000", "--demo-starts", "2", "--spread-steps", "500", "--knocked-starts", "2",
                 "--rounds", "1", "--round-starts", "2", "--round-steps", "20", "--pretrain-steps", "20",
                 "--eval-freq", "600", "--out", str(out)]) == 0
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["agent"] == "explorer" and description["timesteps"] >= 1200
    assert description["trajectories"]["count"] >= 1 and len(description["corrections"]) == 1
    assert description["command"].startswith("python -m agents.explorer")
    agent = pretrained.load(out, corpus=synthetic_corpus_path)
    env = agent.make_env(synthetic_corpus_path)
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs)
    assert env.action_space.contains(int(action))
