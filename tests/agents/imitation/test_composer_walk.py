"""The composer's walk head: its targets are the navigator's, its teacher labels the nearest of them, its weights
act from the observation alone as the MLP and the walk they hold, and are refused in one WeightsError for another
corpus, head or shape; the registry loads them and labels them "(walk head)"."""

import json

import numpy as np
import pytest

from agents import starts
from agents.dqn.presets import get_preset
from agents.imitation import composer, composer_walk
from agents.imitation.target_env import TargetWalkEnv
from agents.planners.navigator import Navigator, ceiling_bars
from agents.policies import load_policy
from agents.weights import WeightsError
from gym_launchpad.corpus import Corpus
from gym_launchpad.observation import states_from_observations


@pytest.fixture(scope="module")
def corpus():
    return get_preset(composer.PRESET_NAME).load_corpus()


@pytest.fixture(scope="module")
def table(corpus):
    return composer_walk.ceiling_table(corpus)


def _layers(corpus, table, seed=0, hidden=8):
    rng = np.random.default_rng(seed)
    n_in = corpus.spec.n_notes * (2 * corpus.spec.bar_bits + 1)
    n_out = len(table.targets)
    return [(rng.normal(size=(hidden, n_in)), rng.normal(size=hidden)),
            (rng.normal(size=(n_out, hidden)), rng.normal(size=n_out))]


def _description(corpus, table):
    return {"head": "walk", "task": composer_walk.TASK, "corpus_hash": corpus.hash, "spec": corpus.spec.as_dict(),
            "targets": table.targets.tolist()}


def test_the_targets_are_the_navigators_and_the_teacher_labels_the_nearest(corpus, table):
    assert np.array_equal(table.targets, ceiling_bars(corpus))
    env = TargetWalkEnv(get_preset("mlp").make_env(corpus), table, presses_per_step=1)
    navigator = Navigator(env)
    teacher = composer_walk.WalkTeacher(navigator, env)
    rng = np.random.default_rng(0)
    for family in starts.FAMILIES.values():
        state = family.state(corpus, rng, table.targets)
        env.reset(seed=0, options={"state": state})
        lengths = navigator.walk_lengths(state)
        assert np.array_equal(table.presses(state.masks, state.offsets), lengths), family.name
        target, allowed = teacher.label()
        assert target == int(np.argmin(lengths)) and np.array_equal(allowed, lengths == lengths.min())
        assert allowed[teacher.label(need_action=False)[0]]
        assert teacher.length() == lengths.min() and not teacher.arrived
        # A step toward the label is one press nearer it.
        env.step(target)
        assert navigator.walk_lengths(env.unwrapped.state)[target] == lengths[target] - 1
    env.reset(seed=0, options={"state": starts.fitted_state(corpus, int(table.targets[5]))})
    target, allowed = teacher.label()
    assert target == 5 and allowed[5]
    assert teacher.arrived and teacher.length() == 0


def test_weights_act_from_the_observation_and_are_refused_for_another_corpus_head_or_shape(tmp_path, corpus, table):
    layers = _layers(corpus, table)
    path = composer_walk.save(layers, tmp_path / "walk.safetensors", _description(corpus, table))
    policy = composer_walk.load(path, corpus)
    env = get_preset("mlp").make_env(corpus)
    obs, _ = env.reset(seed=3)
    hidden = np.maximum(obs @ layers[0][0].T.astype(np.float32) + layers[0][1].astype(np.float32), 0)
    target = int(np.argmax(hidden @ layers[1][0].T.astype(np.float32) + layers[1][1].astype(np.float32)))
    masks, offsets = states_from_observations(corpus.spec, "toggles", obs)
    press = table.first_press(target, masks, offsets)
    assert np.array_equal(masks, env.unwrapped.state.masks)
    assert int(policy.predict(obs)[0]) == press
    assert policy.predict(np.stack([obs, obs]))[0].tolist() == [press, press]
    other = Corpus.from_bars(corpus.spec, corpus.bars[:300])
    with pytest.raises(WeightsError, match="trained on corpus"):
        composer_walk.load(path, other)
    meta = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**meta, "head": "press"}))
    with pytest.raises(WeightsError, match="not a composer's walk head"):
        composer_walk.load(path, corpus)
    path.with_suffix(".json").write_text(json.dumps({**meta, "targets": meta["targets"][1:]}))
    with pytest.raises(WeightsError, match="ceiling is bars"):
        composer_walk.load(path, corpus)
    short = [layers[0], (layers[1][0][:-1], layers[1][1][:-1])]
    path = composer_walk.save(short, tmp_path / "short.safetensors", _description(corpus, table))
    with pytest.raises(WeightsError, match="layer 1"):
        composer_walk.load(path, corpus)


def test_the_registry_loads_a_walk_head_as_learned_and_labels_it(tmp_path, corpus, table):
    path = composer_walk.save(_layers(corpus, table), tmp_path / "walk.safetensors", _description(corpus, table))
    loaded = load_policy(str(path))
    assert loaded.source.kind == "learned" and loaded.label == "walk (walk head)"
    assert isinstance(loaded.policy, composer_walk.ComposerWalkPolicy)
    obs, _ = loaded.env.reset(seed=0)
    assert loaded.env.action_space.contains(int(loaded.policy.predict(obs)[0]))
    assert load_policy(f"mine={path}").label == "mine (walk head)"


@pytest.mark.slow
def test_the_walk_heads_training_command_runs_at_a_tiny_budget_and_walks_to_the_ceiling(tmp_path, capsys):
    from agents.__main__ import main
    from agents.rollout import rollout

    out = tmp_path / "walk.safetensors"
    assert main(["imitate", "--head", "walk", "--out", str(out), "--demos", "40", "--rounds", "1",
                 "--dagger-episodes", "20", "--steps", "300", "--envs", "8", "--hidden", "64"]) == 0
    assert '"stage": "dagger 1"' in capsys.readouterr().out
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["command"].startswith("python -m agents imitate")
    assert "--head walk" in description["command"] and "--hidden 64" in description["command"]
    assert description["training"]["rounds"] == 1 and description["layers"] == 2
    loaded = load_policy(str(out))
    episode = rollout(loaded.env, loaded.policy, 0, n_steps=60)
    assert episode.distances[-1] == 0, episode.distances


def test_the_shipped_composer_is_a_walk_head_trained_by_the_registrys_command_in_30_minutes():
    from agents.policies import REGISTRY, shipped_weights

    path = shipped_weights("composer")
    description = json.loads(path.with_suffix(".json").read_text())
    assert description["head"] == "walk" and path.stat().st_size < 10 * 2**20
    assert description["command"].startswith(REGISTRY["composer"].command)
    assert 0 < description["training"]["wall_clock_s"] <= 30 * 60
    loaded = load_policy("pretrained")
    assert loaded.label == "pretrained (walk head)" and loaded.source.kind == "learned"
    assert isinstance(loaded.policy, composer_walk.ComposerWalkPolicy)


def test_a_demonstrations_dataset_with_the_walk_head_is_one_error(capsys):
    from agents.__main__ import main

    assert main(["imitate", "--demos-dataset", "x/y-v0"]) == 2
    assert "--head press" in capsys.readouterr().err
