"""The dj agent's training: the follower's walk as a set of right presses, the set loss, and the one command."""

import json

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids)
from agents.imitation import dj_policy, dj_teacher
from agents.planners.follower import Follower

DJ = "gym_launchpad/LaunchpadDJ-v0"


def test_observations_pack_exactly_and_the_labels_are_the_walks_presses():
    env = gym.make(DJ)
    teacher = Follower(env)
    obs, labels = dj_teacher.play_round(env, teacher, None, 1.0, [3], bars=2, rng=np.random.default_rng(0))
    assert obs.dtype == np.uint8 and len(obs) == len(labels) == 2 * 24
    first, _ = env.reset(seed=3)
    np.testing.assert_array_equal(dj_teacher.unpack(obs[0]), first)
    # Each label is the walk still to go: one press shorter after each press, then the no-op alone.
    walk = labels.sum(axis=1)
    noop = env.unwrapped.launchpad.noop_action
    for press in range(1, 24):
        if labels[press - 1, noop]:
            assert labels[press, noop] and walk[press] == 1
        else:
            assert walk[press] == walk[press - 1] - 1 or labels[press, noop]


def test_the_set_loss_is_the_log_probability_of_any_right_press():
    torch = pytest.importorskip("torch")
    logits = torch.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    mask = torch.tensor([[True, False, True], [True, True, True]])
    probabilities = torch.softmax(logits, dim=1)
    expected = -(torch.log(probabilities[0, 0] + probabilities[0, 2]) + 0.0) / 2
    assert torch.isclose(dj_teacher.set_loss(logits, mask), expected)


@pytest.mark.slow
def test_the_training_command_runs_at_a_tiny_budget_and_its_weights_play(tmp_path, capsys):
    pytest.importorskip("torch")
    from agents.__main__ import main

    out = tmp_path / "dj.safetensors"
    assert main(["dj-train", "--rounds", "1", "--first-songs", "1", "--songs", "1", "--bars", "4", "--steps", "5",
                 "--hidden", "16", "--out", str(out)]) == 0
    assert "round 1:" in capsys.readouterr().out
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["teacher"] == "agents.planners.follower.Follower" and description["presses_per_bar"] == 24
    env = gym.make(DJ)
    policy = dj_policy.load(out, env)
    obs, _ = env.reset(seed=0)
    assert env.action_space.contains(int(policy.predict(obs)[0]))


def test_the_walk_head_walks_to_the_bar_its_network_chooses_from_the_last_bar_line(tmp_path):
    from agents.planners.hopper import TargetTable

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
