"""The composer: its training command runs end to end, and the shipped weights walk to the ceiling alone."""

from pathlib import Path

import numpy as np
import pytest

from agents import composer
from agents.pretrained import load
from agents.rollout import rollout

SHIPPED = Path(composer.__file__).resolve().parent / "pretrained" / "composer.safetensors"


def test_the_teacher_labels_the_navigators_press_and_stops_at_the_ceiling():
    from agents.presets import get_preset

    corpus = get_preset(composer.PRESET_NAME).load_corpus()
    teacher = composer.Teacher(corpus)
    state = composer._fitted_state(corpus, int(teacher.navigator.targets[0]))
    assert teacher.walk_length(state) == 0
    assert teacher.label(state) == corpus.spec.noop_action
    state.apply(corpus.spec.toggle_action(int(np.flatnonzero(corpus.bars[teacher.navigator.targets[0]])[0]), 3))
    # One toggle knocked a held note off its chord: the teacher's walk is that toggle back.
    assert teacher.walk_length(state) == 1
    assert teacher.label(state) == corpus.spec.toggle_action(
        int(np.flatnonzero(corpus.bars[teacher.navigator.targets[0]])[0]), 3)


@pytest.mark.slow
def test_training_command_runs_at_a_tiny_budget_and_loads(tmp_path):
    out = tmp_path / "composer.safetensors"
    assert composer.main(["--out", str(out), "--demos", "4", "--rounds", "1", "--dagger-episodes", "2",
                          "--epochs", "1"]) == 0
    agent = load(out)
    assert agent.description["training"]["rounds"] == 1
    env = agent.make_env()
    obs, _ = env.reset(seed=0)
    assert env.action_space.contains(int(agent.predict(obs)[0]))


def test_shipped_composer_reaches_distance_zero_from_seeded_triads():
    agent = load(SHIPPED)
    env = agent.make_env()
    assert env.unwrapped.ceiling.distance == 0
    for seed in (0, 7, 19):
        episode = rollout(env, agent, seed, n_steps=60)
        assert (episode.distances[:40] == 0).any(), (seed, episode.distances[:40])
        assert episode.distances[-1] == 0
