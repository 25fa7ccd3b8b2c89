"""``python -m agents jam``: the start families, the recovery counts, the key fit, the table at a tiny size, and the
shipped composer's recovery on held-out starts."""

import json

import numpy as np
import pytest

from agents import starts
from agents.__main__ import main
from agents.eval import jam
from agents.planners.navigator import ceiling_bars
from agents.policies import load_policy


def test_a_triad_in_a_key_is_its_tonic_third_and_fifth_as_the_reset_builds_them():
    env = load_policy("noop").env.unwrapped
    spec = env.launchpad
    for key in range(starts.N_KEYS):
        state = starts.triad_in_key(spec, key, np.random.default_rng(key))
        rows = np.flatnonzero(state.masks)
        assert len(rows) == 3 and spec.pitches[rows[0]] % 12 == key % 12
        assert (rows - rows[0]).tolist() == ([0, 3, 7] if key >= 12 else [0, 4, 7])
        assert all(bin(int(m)).count("1") == 1 for m in state.masks[rows])  # one pattern a row, as reset draws
        in_scale = starts.key_scale(key)
        assert in_scale[spec.pitches[rows] % 12].all() and in_scale.sum() == 7
    assert starts.key_scale(12 + 9)[(9 + 11) % 12]  # A harmonic minor has G#


def test_start_families_are_seeded_and_knock_the_bar_off_its_corpus_bar():
    env = load_policy("noop").env.unwrapped
    corpus, ceiling = env.corpus, ceiling_bars(env.corpus)
    for family in starts.FAMILIES.values():
        a = family.state(corpus, np.random.default_rng(3), ceiling)
        b = family.state(corpus, np.random.default_rng(3), ceiling)
        assert (a.masks == b.masks).all() and (a.offsets == b.offsets).all(), family.name
    fitted = starts.fitted_state(corpus, int(ceiling[0]))
    env.reset(options={"state": fitted})
    assert env.distances_after_each_action()[env.launchpad.noop_action] == env.ceiling.distance
    knocked = starts.knock(fitted, 5, np.random.default_rng(0))
    assert (knocked.masks != fitted.masks).any() or (knocked.offsets != fitted.offsets).any()


def test_recoveries_count_presses_back_to_the_ceiling_after_each_random_press_from_it():
    distances = np.array([5, 0, 0, 3, 2, 0, 0, 4, 4, 0])
    # Random presses at steps 3 (from 0: back at step 5, 2 presses) and 7 (back at 9: 2 presses); one at step 4
    # would interrupt the first, so it is not counted.
    assert jam.recoveries(distances, [3, 7], 0) == [2, 2]
    assert jam.recoveries(distances, [3, 4, 7], 0) == [2]
    assert jam.recoveries(distances, [0], 0) == []


def test_jam_prints_every_family_and_the_key_fit_at_a_tiny_size(tmp_path, capsys):
    assert main(["jam", "--agent", "navigator", "--starts", "2", "--bars", "4", "--fit-bars", "2",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("navigator (planner)")
    for family in starts.FAMILIES:
        assert f"| {family} | " in out
    assert "random press on 5% of bars" in out and "random press on 20% of bars" in out
    result = json.loads((tmp_path / "jam.json").read_text())
    assert len(result["rows"]) == len(starts.FAMILIES) + len(jam.SCHEDULES)
    assert len(result["key_fit"]) == 24 and 0 <= result["keys_fit"] <= 24
    assert (tmp_path / "jam.md").read_text() == out


@pytest.mark.slow
def test_the_shipped_composer_recovers_from_a_ceiling_bar_and_5_random_presses_on_held_out_seeds():
    # The shipped composer's row (agents/results/README.md): 14 of 20 (the composer before it: 3 of 20).
    args = jam.JamArgs(agent="pretrained")
    loaded = load_policy(args.agent, episode_steps=args.bars + 1)
    env = loaded.env.unwrapped
    name = "ceiling bar + 5 presses"
    row = jam.family_row(loaded, list(starts.FAMILIES).index(name), starts.FAMILIES[name], args,
                         ceiling_bars(env.corpus), env.ceiling.distance)
    assert row.starts == 20 and row.reached >= 14, row
