"""The dj agent's training, a configuration of the one DAgger loop: the follower labels either head, the walk
head's env walks to the chosen bar within the bar, the press head's labels are the walk's set of presses, and
the one command writes weights its loader reads."""

import json

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids)
from agents.imitation import dagger, dj, dj_policy
from agents.planners.follower import Follower
from agents.planners.hopper import TargetTable

DJ = "gym_launchpad/LaunchpadDJ-v0"


def test_the_walk_heads_steps_are_bars_that_walk_to_the_followers_choice():
    task, _, _ = dj.configuration(dj.Arguments(head="walk", bars=6))
    env = task.make_env()
    teacher = task.make_teacher(env)
    data = dagger.gather([env], [teacher], task, np.random.default_rng(0), 1, 0)
    assert len(data) == 6 and data.allowed is None
    # Replayed by hand: at each bar line the label is the follower's choice from the state the env shows, and a
    # step presses one bar of the walk to it, so the next bar line is that bar's rendering when it was in reach.
    plain = gym.make(DJ)
    obs, _ = plain.reset(seed=dj.TRAIN_SEED)
    follower, table = Follower(plain), TargetTable(plain.unwrapped.corpus, 1 << 30)
    unwrapped = plain.unwrapped
    for bar in range(6):
        np.testing.assert_array_equal(data.observations[bar], obs[dj.walk_inputs(plain)])
        state = unwrapped.state
        target = follower.choose(state.masks, state.offsets, unwrapped.heard_words, unwrapped.ages)
        assert data.labels[bar] == target
        needed = table.presses(state.masks, state.offsets)[target]
        for _ in range(24):
            walk = table.walk(target, unwrapped.state.masks, unwrapped.state.offsets)
            obs, *_, info = plain.step(min(walk) if walk else unwrapped.launchpad.noop_action)
        assert info["bar_line"]
        if needed <= 24:
            assert table.presses(unwrapped.state.masks, unwrapped.state.offsets)[target] == 0


def test_the_press_heads_labels_are_the_walks_presses_and_its_observations_pack_exactly():
    task, _, _ = dj.configuration(dj.Arguments(head="press", bars=2))
    env = task.make_env()
    data = dagger.gather([env], [task.make_teacher(env)], task, np.random.default_rng(0), 1, 0, need_action=False)
    assert data.observations.dtype == np.uint8 and len(data) == 2 * 24
    first, _ = gym.make(DJ).reset(seed=dj.TRAIN_SEED)
    np.testing.assert_array_equal(data.observations[0] / dj.PackedObservations.SCALE, first)
    labels, noop = data.allowed, env.unwrapped.launchpad.noop_action
    assert labels[np.arange(len(data)), data.labels].all()  # the label is one of the set
    # Each set is the walk still to go: one press shorter after each press, then the no-op alone.
    walk = labels.sum(axis=1)
    for press in range(1, 24):
        if labels[press - 1, noop]:
            assert labels[press, noop] and walk[press] == 1
        else:
            assert walk[press] == walk[press - 1] - 1 or labels[press, noop]


def test_the_allowed_loss_is_the_log_probability_of_any_right_press():
    torch = pytest.importorskip("torch")
    logits = torch.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    mask = torch.tensor([[True, False, True], [True, True, True]])
    probabilities = torch.softmax(logits, dim=1)
    expected = -(torch.log(probabilities[0, 0] + probabilities[0, 2]) + 0.0) / 2
    fit = dagger.Fit(epochs=1, batch_size=2, learning_rate=1e-3, action_weight=0.0)
    assert torch.isclose(dagger.imitation_loss(logits, torch.tensor([0, 0]), mask, fit), expected)


@pytest.mark.slow
@pytest.mark.parametrize("head", ["walk", "press"])
def test_the_training_command_runs_at_a_tiny_budget_and_its_weights_play(tmp_path, capsys, head):
    pytest.importorskip("torch")
    from agents.__main__ import main

    out = tmp_path / "dj.safetensors"
    assert main(["dj-train", "--head", head, "--rounds", "1", "--first-songs", "1", "--songs", "1", "--bars", "4",
                 "--steps", "5", "--hidden", "16", "--out", str(out)]) == 0
    assert '"stage": "dagger 1"' in capsys.readouterr().out
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["teacher"] == "agents.planners.follower.Follower" and description["presses_per_bar"] == 24
    assert description["dagger"]["schedule"]["rounds"] == 1 and description["head"] == head
    env = gym.make(DJ)
    policy = dj_policy.load(out, env)
    assert isinstance(policy, dj_policy.DJWalkPolicy) == (head == "walk")
    obs, _ = env.reset(seed=0)
    assert env.action_space.contains(int(policy.predict(obs)[0]))


def test_the_walk_head_walks_to_the_bar_its_network_chooses_from_the_last_bar_line(tmp_path):
    env = gym.make(DJ)
    unwrapped = env.unwrapped
    obs, _ = env.reset(seed=0)
    table = TargetTable(unwrapped.corpus, 1 << 30)
    presses = table.presses(unwrapped.state.masks, unwrapped.state.offsets)
    target = int(np.argmin(np.where((table.fit <= 6) & (presses > 0), presses, 1000)))
    n_bars = len(unwrapped.corpus)
    n_toggles = (env.observation_space.shape[0] - n_bars - 24) // 2
    # A network whose largest output is always the target.
    bias = np.zeros(n_bars)
    bias[target] = 1.0
    layers = [(np.zeros((n_bars, n_toggles + n_bars)), bias)]
    path = dj_policy.save(layers, tmp_path / "dj.safetensors", {"corpus_hash": unwrapped.corpus.hash, "head": "walk"})
    policy = dj_policy.load(path, env)
    assert isinstance(policy, dj_policy.DJWalkPolicy)
    needed = presses[target]
    assert 0 < needed <= 24
    for press in range(24):
        obs, *_, info = env.step(policy.predict(obs)[0])
        if press >= needed:
            assert table.presses(unwrapped.state.masks, unwrapped.state.offsets)[target] == 0
    assert info["bar_line"] and info["distance"] <= table.fit[target]


@pytest.mark.slow
def test_the_shipped_dj_agent_meets_every_target_on_a_held_out_seed(tmp_path):
    from agents.eval.song_metrics import check, song_metrics
    from agents.play import cli

    out = tmp_path / "dj.mid"
    assert cli.main(["--headless", "--agent", "dj", "--seed", "100", "--bars", "300", "--out", str(out)]) == 0
    result = song_metrics(out, with_muspy=False)  # from the MIDI file alone
    assert all(check(result).values()), result


def test_with_keep_key_the_walk_head_chooses_among_new_bars_in_the_key_a_persons_triad_sets():
    from agents import starts
    from agents.planners.keys import KeyTracker

    env = gym.make(DJ)
    unwrapped = env.unwrapped
    corpus = unwrapped.corpus
    table = TargetTable(corpus, 1 << 30)
    keeping, plain = dj_policy.BarChoices(corpus, table, True), dj_policy.BarChoices(corpus, table, False)
    tracker = KeyTracker(corpus.spec, corpus.bars, unwrapped.memory)
    inputs = dj.walk_inputs(env)
    for key in (0, 6, 21):  # C major, F# major, A minor
        state = starts.triad_in_key(unwrapped.launchpad, key, np.random.default_rng(key))
        obs, _ = env.reset(seed=key, options={"state": state})
        allowed = keeping.allowed(obs[inputs][None])[0]
        assert tracker.key(unwrapped.heard_words, unwrapped.ages) == key
        assert allowed.any() and (tracker.shares[allowed, key] >= dj_policy.KEY_SHARE).all()
        assert (unwrapped.ages[allowed] >= unwrapped.memory).all()  # new bars
        everything_new = plain.allowed(obs[inputs][None])[0]
        np.testing.assert_array_equal(everything_new, unwrapped.ages >= unwrapped.memory)
        assert allowed.sum() < everything_new.sum()


def _choices_with_walks(env):
    unwrapped = env.unwrapped
    table = TargetTable(unwrapped.corpus, 1 << 30)
    return dj_policy.BarChoices(unwrapped.corpus, table, True, unwrapped.memory), table


def test_after_a_persons_triad_with_no_near_bar_keeping_its_key_the_walk_head_walks_two_bars_that_keep_it():
    from agents import starts
    from agents.planners.follower import first_bar_keeps

    env = gym.make(DJ)
    unwrapped = env.unwrapped
    choices, table = _choices_with_walks(env)
    tracker, key = choices.tracker, 16  # E minor: its near bars in the key read as G major once played
    rng = np.random.default_rng(590_016)
    obs, _ = env.reset(seed=int(rng.integers(2**31)), options={"state": starts.triad_in_key(unwrapped.launchpad, key,
                                                                                               rng)})
    masks, offsets, ages = unwrapped.state.masks, unwrapped.state.offsets, unwrapped.ages
    presses = table.presses(masks, offsets)
    in_key = tracker.shares[:, key] >= dj_policy.KEY_SHARE
    keeps = tracker.keys_after(np.arange(len(ages)), ages) == key
    near = (table.fit <= unwrapped.arrival_radius) & (presses <= unwrapped.presses_per_bar)
    assert tracker.key(unwrapped.heard_words, ages) == key and not (near & in_key & keeps).any()
    allowed = choices.allowed(obs[dj.walk_inputs(env)][None])[0]
    # Not a near bar in the key that leaves it (what it chose before), but a walk of two bars that keeps it.
    assert allowed.any() and not (allowed & near).any()
    assert (in_key & keeps)[allowed].all() and (presses[allowed] <= 2 * unwrapped.presses_per_bar).all()
    assert all(first_bar_keeps(tracker, table, int(bar), masks, offsets, ages, key, unwrapped.presses_per_bar)
               for bar in np.flatnonzero(allowed))


def test_a_replay_that_keeps_the_key_comes_before_a_new_bar_in_the_key_that_leaves_it():
    from agents import starts

    env = gym.make(DJ)
    unwrapped = env.unwrapped
    choices, table = _choices_with_walks(env)
    tracker = choices.tracker
    env.reset(seed=3, options={"state": starts.triad_in_key(unwrapped.launchpad, 0, np.random.default_rng(0))})
    masks, offsets = unwrapped.state.masks, unwrapped.state.offsets
    # Every bar in C major has been played in the memory, one a bar line, but those that leave the key are new.
    in_c = np.flatnonzero(tracker.shares[:, 0] >= dj_policy.KEY_SHARE)
    ages = np.full(len(unwrapped.corpus), unwrapped.memory)
    ages[in_c] = np.minimum(np.arange(len(in_c)), unwrapped.memory - 1)
    leaving = in_c[tracker.keys_after(in_c, ages) != 0]
    ages[leaving] = unwrapped.memory
    assert tracker.key(unwrapped.heard_words, ages) == 0
    presses = table.presses(masks, offsets)
    near = (table.fit <= unwrapped.arrival_radius) & (presses <= unwrapped.presses_per_bar)
    new_leaving = near & (ages == unwrapped.memory) & (tracker.shares[:, 0] >= dj_policy.KEY_SHARE)
    assert new_leaving.any() and not (tracker.keys_after(np.flatnonzero(new_leaving), ages) == 0).any()
    obs = unwrapped._observation().copy()
    inputs = obs[dj.walk_inputs(env)]
    n_toggles = inputs.shape[0] - len(ages)
    inputs[n_toggles:] = ages / unwrapped.memory  # as the env shows the ages
    allowed = choices.allowed(inputs[None])[0]
    assert allowed.any() and not (allowed & new_leaving).any()
    # Replays, none of the last LOOP_AGE bar lines, and of those that keep the key the longest unplayed.
    assert ((ages[allowed] >= dj_policy.LOOP_AGE) & (ages[allowed] < unwrapped.memory)).all()
    assert (tracker.keys_after(np.flatnonzero(allowed), ages) == 0).all()
    replays = near & (tracker.shares[:, 0] >= dj_policy.KEY_SHARE) & (ages >= dj_policy.LOOP_AGE)
    replays &= (ages < unwrapped.memory) & (tracker.keys_after(np.arange(len(ages)), ages) == 0)
    assert (ages[allowed] == ages[replays].max()).all()


def test_far_from_every_bar_the_walk_head_walks_toward_the_nearest_new_bars():
    from agents import starts

    env = gym.make(DJ)
    unwrapped = env.unwrapped
    choices, table = _choices_with_walks(env)
    corpus = unwrapped.corpus
    state = starts.FAMILIES["random launchpad"].state(corpus, np.random.default_rng(6), np.array([], dtype=np.int64))
    obs, _ = env.reset(seed=6, options={"state": state})
    presses = table.presses(unwrapped.state.masks, unwrapped.state.offsets)
    assert presses.min() > unwrapped.presses_per_bar  # no bar within reach: the follower's last resort
    allowed = choices.allowed(obs[dj.walk_inputs(env)][None])[0]
    np.testing.assert_array_equal(np.flatnonzero(allowed), np.flatnonzero(presses == presses.min()))
