"""The composer: its teacher's labels, its training command end to end, and the shipped weights walking to the
ceiling alone, in the env and in a song read back from MIDI."""

import numpy as np
import pytest

from agents import starts
from agents.dqn.export import load
from agents.imitation import composer
from agents.planners.navigator import Navigator
from agents.play import cli
from agents.policies import load_policy
from agents.rollout import rollout
from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.reward import bar_distances


@pytest.fixture(scope="module")
def teacher():
    from agents.dqn.presets import get_preset

    corpus = get_preset(composer.PRESET_NAME).load_corpus()
    return composer.Teacher(corpus)


def test_the_teacher_labels_the_navigators_press_and_stops_at_the_ceiling(teacher):
    corpus, target = teacher.env.corpus, int(teacher.navigator.targets[0])
    state = starts.fitted_state(corpus, target)
    assert teacher.walk_length(state) == 0
    action, allowed = teacher.label(state)
    assert action == corpus.spec.noop_action and np.flatnonzero(allowed).tolist() == [action]
    knocked = corpus.spec.toggle_action(int(np.flatnonzero(corpus.bars[target])[0]), 3)
    state.apply(knocked)
    # One toggle knocked a held note off its chord: the teacher's walk is that toggle back, and nothing else is.
    assert teacher.walk_length(state) == 1
    action, allowed = teacher.label(state)
    assert action == knocked and np.flatnonzero(allowed).tolist() == [knocked]


def test_every_allowed_press_shortens_the_walk_and_the_navigators_press_is_one(teacher):
    env = composer.Teacher(teacher.env.corpus).env  # an env to draw starts in, apart from the teacher's own
    for seed, init in ((0, "triad"), (1, "random"), (2, "empty")):
        env.reset(seed=seed, options={"init": init})
        state = env.state
        action, allowed = teacher.label(state)
        assert allowed[action] and not allowed[state.spec.noop_action]
        length = teacher.walk_length(state)
        for press in np.flatnonzero(allowed):
            after = state.copy()
            after.apply(int(press))
            assert teacher.walk_length(after) == length - 1, (init, press)


def test_the_labels_are_those_of_every_nearest_targets_walk_and_the_navigators_own_press(teacher):
    from agents import starts
    from agents.planners.navigator import ceiling_bars
    from agents.planners.walk import row_press_costs

    navigator, corpus = teacher.navigator, teacher.env.corpus
    env = composer.Teacher(corpus).env
    rng = np.random.default_rng(1)
    for family in starts.FAMILIES.values():
        for _ in range(4):
            state = family.state(corpus, rng, ceiling_bars(corpus))
            costs = row_press_costs(navigator.spec, state.masks, state.offsets)
            lengths = navigator.walk_lengths(state, costs)
            expected = np.zeros(navigator.spec.n_actions, dtype=bool)
            for target in np.flatnonzero(lengths == lengths.min()):
                expected[navigator.walks[target].presses(state.masks, state.offsets, costs)] = True
            if lengths.min() == 0:
                expected[corpus.spec.noop_action] = True
            action, allowed = teacher.label(state)
            assert (allowed == expected).all(), family.name
            env.reset(options={"state": state})
            assert action == Navigator(env).act()
            assert allowed[teacher.label(state, need_action=False)[0]]


@pytest.mark.slow
def test_training_command_runs_at_a_tiny_budget_and_loads(tmp_path, capsys):
    from agents.__main__ import main

    out = tmp_path / "composer.safetensors"
    assert main(["imitate", "--head", "press", "--out", str(out), "--demos", "4", "--rounds", "1",
                 "--dagger-episodes", "2", "--epochs", "1", "--envs", "2"]) == 0
    assert '"stage": "dagger 1"' in capsys.readouterr().out
    agent = load(out)
    assert agent.description["training"]["rounds"] == 1
    assert agent.description["command"].startswith("python -m agents imitate")
    env = agent.make_env()
    obs, _ = env.reset(seed=0)
    assert env.action_space.contains(int(agent.predict(obs)[0]))


def test_shipped_composer_reaches_distance_zero_from_seeded_triads():
    loaded = load_policy("composer")
    env = loaded.env
    assert env.unwrapped.ceiling.distance == 0
    for seed in (0, 7, 19):
        episode = rollout(env, loaded.policy, seed, n_steps=60)
        assert (episode.distances[:40] == 0).any(), (seed, episode.distances[:40])
        assert episode.distances[-1] == 0


@pytest.mark.slow
def test_the_pretrained_agents_song_stays_at_the_corpus_read_back_from_midi(tmp_path):
    out = tmp_path / "song.mid"
    assert cli.main(["--headless", "--agent", "pretrained", "--seed", "11", "--bars", "300", "--out", str(out)]) == 0
    corpus = load_policy("composer").env.unwrapped.corpus
    found = read_midi_bars(out, corpus.spec, fold=False)
    bars = np.zeros((300, corpus.spec.n_notes), dtype=np.uint64)  # bars the file leaves silent stay silent
    bars[found.bar_number] = found.words
    distances = [bar_distances(corpus.bars, bar).min() for bar in bars[60:]]
    assert np.mean(distances) <= 3, np.mean(distances)
