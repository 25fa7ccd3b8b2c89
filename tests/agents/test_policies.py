"""Any policy by name or path, and the env it plays: the evaluation's episode length, its own observation."""

import pytest

from agents import policies
from agents.dqn import train
from agents.dqn.model_files import UntrustedModelError
from agents.dqn.presets import get_preset
from agents.policies import load_policy, parse_policy
from agents.rollout import rollout
from gym_launchpad.corpus import Corpus


def test_parse_policy(tmp_path):
    assert parse_policy("greedy").kind == "baseline"
    assert parse_policy("me=noop").label == "me"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "q_net.safetensors").write_bytes(b"")
    contender = parse_policy(str(tmp_path / "run"))
    assert (contender.label, contender.kind, contender.source) == ("run", "learned", str(tmp_path / "run" /
                                                                                       "q_net.safetensors"))
    assert parse_policy("pretrained").source == parse_policy("composer").source == "composer"
    with pytest.raises(ValueError, match="is neither a registered policy"):
        parse_policy("smart")


def test_planners_parse_with_their_options_and_the_kind_every_table_shows():
    beam = parse_policy("wide=beam:width=64,depth=3")
    assert (beam.label, beam.kind, beam.source, beam.options) == ("wide", "planner", "beam", (("width", 64),
                                                                                              ("depth", 3)))
    assert parse_policy("anneal:beta_end=3.5").options == (("beta_end", 3.5),)
    assert [parse_policy(name).kind for name in ("greedy", "navigator", "pretrained", "hopper", "dj")] == [
        "baseline", "planner", "learned", "planner", "learned"]
    with pytest.raises(ValueError, match="not OPTION=VALUE with OPTION one of width, depth"):
        parse_policy("beam:height=3")
    with pytest.raises(ValueError, match="sweeps='many' is not a number"):
        parse_policy("anneal:sweeps=many")
    with pytest.raises(ValueError, match="greedy takes no options"):
        parse_policy("greedy:depth=2")


def test_a_planner_with_options_plays_the_env_it_is_loaded_with(synthetic_corpus_path):
    loaded = load_policy("beam:width=2,depth=1", synthetic_corpus_path, episode_steps=5)
    assert (loaded.policy.width, loaded.policy.depth) == (2, 1)
    assert loaded.policy.env is loaded.env.unwrapped
    assert len(rollout(loaded.env, loaded.policy, seed=0).rewards) == 5


def test_a_shipped_agent_without_weights_names_its_training_command(unship):
    unship("explorer")
    with pytest.raises(FileNotFoundError, match="explorer agent needs .* train them with `python -m x --out y`"):
        parse_policy("explorer")


def test_every_policy_plays_the_evaluations_episode_length(tmp_path, synthetic_corpus_path):
    run = tmp_path / "run"
    assert train.main(["--preset", "linear", "--timesteps", "60", "--logdir", str(run), "--corpus",
                       synthetic_corpus_path, "--set", "buffer_size=1000", "--set", "learning_starts=50",
                       "--set", "episode_steps=20", "--set", "eval_freq=1000", "--no-progress-bar"]) == 0
    corpus = get_preset("mlp").load_corpus(synthetic_corpus_path)
    for text in (str(run / "final_model.zip"), str(run), "noop"):
        loaded = load_policy(text, corpus, seed=0, episode_steps=70)
        episode = rollout(loaded.env, loaded.policy, seed=0)
        assert len(episode.rewards) == 70, text  # not the 20 bars the run trained on


def test_a_model_outside_a_run_plays_the_observation_it_reads(tmp_path, synthetic_corpus_path):
    run = tmp_path / "run"
    assert train.main(["--preset", "rowwise", "--timesteps", "60", "--logdir", str(run), "--corpus",
                       synthetic_corpus_path, "--set", "buffer_size=1000", "--set", "learning_starts=50",
                       "--set", "episode_steps=20", "--set", "eval_freq=1000", "--checkpoint-freq", "0",
                       "--no-progress-bar"]) == 0
    alone = tmp_path / "alone.zip"
    alone.write_bytes((run / "final_model.zip").read_bytes())
    with pytest.raises(UntrustedModelError, match="--trust-pickle"):
        load_policy(str(alone), synthetic_corpus_path)
    loaded = load_policy(str(alone), synthetic_corpus_path, trust_pickle=True)
    assert loaded.preset.obs_mode == "onehot" and loaded.env.observation_space.shape == (24, 71)
    assert len(rollout(loaded.env, loaded.policy, seed=0, n_steps=3).rewards) == 3


def test_the_policy_registry_names_the_dj_agents_and_refuses_sounding_corpora():
    source = policies.parse_policy("hopper")
    assert (source.kind, source.task, source.label) == ("planner", policies.DJ, "hopper")
    loaded = policies.load_policy(source, episode_steps=20)
    # The hopper plays one press a bar; the env ends the song at its 20th bar line.
    assert loaded.env.spec.id == policies.DJ and loaded.env.unwrapped.song_bars == 20
    assert loaded.env.unwrapped.presses_per_bar == 1
    follower = policies.load_policy("follower", episode_steps=20)
    assert follower.source.kind == "planner" and follower.env.unwrapped.presses_per_bar == 24
    with pytest.raises(ValueError, match="plays a corpus of onsets"):
        policies.load_policy("hopper", Corpus.default())


def test_a_dj_agents_weights_file_plays_the_dj_task_by_its_path(tmp_path):
    import shutil

    from agents.imitation.dj_policy import DJWalkPolicy
    from agents.policies import DJ, load_policy, parse_policy, shipped_weights

    shipped = shipped_weights("dj")
    copy = tmp_path / "my_dj.safetensors"
    shutil.copy(shipped, copy)
    shutil.copy(shipped.with_suffix(".json"), copy.with_suffix(".json"))
    source = parse_policy(str(copy))
    assert source.task == DJ and source.kind == "learned" and source.label == "my_dj"
    loaded = load_policy(source, episode_steps=2)
    assert isinstance(loaded.policy, DJWalkPolicy) and loaded.env.unwrapped.spec.id == DJ
    obs, _ = loaded.env.reset(seed=0)
    assert loaded.env.action_space.contains(int(loaded.policy.predict(obs)[0]))
    with pytest.raises(ValueError, match="does not play"):
        parse_policy(str(copy), task="gym_launchpad/Launchpad-v0")
