"""The explorer's training command at a tiny budget: explore, robustify, export weights pretrained.load() reads."""

import json
import shlex

import numpy as np
import pytest

from agents.dqn import export as pretrained
from agents.explorer.train import EXPLORER_MLP_PRESET, _family_start, main, parse_args


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


def one_short_round(corpus: str, starts: int) -> list[str]:
    """The training command's arguments for a run of seconds: ``starts`` demonstration and correction starts, one
    round of a few steps."""
    return ["--corpus", corpus, "--discover-starts", "1", "--explore-steps", "2000", "--demo-starts", str(starts),
            "--spread-steps", "300", "--knocked-starts", "0", "--rounds", "1", "--round-starts", str(starts),
            "--round-steps", "10", "--correction-states", "1", "--pretrain-steps", "10"]


@pytest.mark.slow
def test_training_from_start_families_records_its_aim_and_command(tmp_path, synthetic_corpus_path):
    out = tmp_path / "explorer.safetensors"
    families = ["triad", "random launchpad", "ceiling bar + 5 presses"]
    assert main([*one_short_round(synthetic_corpus_path, 3), "--families", *families, "--out", str(out)]) == 0
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["selection_families"] == families
    assert np.asarray(description["aim"]).shape == (24,)
    # The command it records is one that parses back to the same arguments.
    assert parse_args(shlex.split(description["command"])[3:]).families == tuple(families)


def test_family_starts_are_seeded_and_triads_are_the_envs_reset(synthetic_corpus_path):
    env = EXPLORER_MLP_PRESET.make_env(EXPLORER_MLP_PRESET.load_corpus(synthetic_corpus_path))
    args = parse_args([])
    env.reset(seed=5)
    assert _family_start(env, args, "triad", 5) == env.unwrapped.state
    first, again = (_family_start(env, args, "corpus bar + 20 presses", 7) for _ in range(2))
    assert first == again and first != _family_start(env, args, "corpus bar + 20 presses", 8)
    assert int(np.count_nonzero(_family_start(env, args, "random launchpad", 7).masks)) > 3


@pytest.mark.slow
def test_dueling_head_and_the_aims_reward_are_options(tmp_path, synthetic_corpus_path):
    out = tmp_path / "explorer.safetensors"
    assert main([*one_short_round(synthetic_corpus_path, 2), "--network", "linear", "--dueling", "--row-advantage",
                 "--aim-reward", "--any-order", "--out", str(out)]) == 0
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["preset"]["dueling"] and description["args"]["aim_reward"]
    assert parse_args(shlex.split(description["command"])[3:]).dueling
    agent = pretrained.load(out, corpus=synthetic_corpus_path)
    assert agent.preset.dueling
    with pytest.raises(SystemExit, match="drop one of them"):
        main(["--corpus", synthetic_corpus_path, "--aim-reward", "--timesteps", "10", "--out", str(out)])


def test_ways_are_written_once_and_read_back_by_a_run_with_the_same_exploration(tmp_path, synthetic_corpus_path):
    from agents.explorer.train import EXPLORER_PRESET, _explore_or_read

    corpus = EXPLORER_PRESET.load_corpus(synthetic_corpus_path)
    env = EXPLORER_PRESET.make_env(corpus)
    ways = tmp_path / "ways.npz"
    small = ["--discover-starts", "1", "--explore-steps", "500", "--demo-starts", "1", "--spread-steps", "100",
             "--knocked-starts", "0", "--ways", str(ways)]
    first = _explore_or_read(env, parse_args(small), deadline=float("inf"))
    assert ways.is_file()
    again = _explore_or_read(env, parse_args([*small, "--dueling", "--margin-weight", "5"]), float("inf"))
    assert [t.actions for t in again] == [t.actions for t in first]
    assert [t.distances for t in again] == [t.distances for t in first]
    assert all(a.start == b.start for a, b in zip(again, first, strict=True))
    # Another exploration (here another seed) does not read them: it explores again and writes its own.
    other = _explore_or_read(env, parse_args([*small, "--seed", "1"]), float("inf"))
    assert len(other) >= 1
    with np.load(ways) as saved:
        assert '"seed": 1' in str(saved["key"])
