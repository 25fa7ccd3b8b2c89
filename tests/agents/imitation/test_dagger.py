"""The one imitation loop: a student caught in a loop is walked on by its teacher (each state kept once), and the
dj agent's configuration trains at a tiny size into weights its loader reads."""

import numpy as np

from agents.dqn.presets import get_preset
from agents.imitation import composer, dagger


def test_a_student_that_toggles_one_pad_forever_is_taken_over_and_each_state_is_kept_once():
    corpus = get_preset(composer.PRESET_NAME).load_corpus()
    args = composer.ComposerArgs(envs=1, take_over=True)
    task, _, _ = composer.configuration(args, corpus)
    envs = [task.make_env()]
    teachers = [task.make_teacher(envs[0])]
    pad = corpus.spec.toggle_action(0, 0)

    def stubborn(observations):
        return np.full(len(observations), pad)

    data = dagger.gather(envs, teachers, task, np.random.default_rng(0), 1, 1, stubborn, take_over=True)
    assert len({o.tobytes() for o in data.observations}) == len(data)  # no state twice
    # The teacher presses at every state the student comes back to: the walk goes on, two states a teacher's press.
    assert len(data) > 10 and len(set(data.labels[::2].tolist())) == len(data) // 2
    without = dagger.gather(envs, teachers, task, np.random.default_rng(0), 1, 1, stubborn)
    assert len({o.tobytes() for o in without.observations}) == 2 < len(without)  # a loop of two states
