"""The planners reach the exact ceiling where brute force knows it, and the navigator walks straight there."""

import re
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents.planners.navigator import Navigator
from agents.planners.walk import PressLookahead
from agents.policies import LAUNCHPAD, REGISTRY, load_policy, names, parse_policy
from gym_launchpad import Corpus, LaunchpadSpec
from gym_launchpad.reward import brute_force_best_distance

#: Options that let each planner see the whole of a tiny launchpad.
TINY_OPTIONS = {"beam": {"width": 64, "depth": 6}, "anneal": {"sweeps": 60}, "navigator": {}}


def tiny_env(spec: LaunchpadSpec, corpus_seed: int):
    """A launchpad small enough to enumerate, on a corpus of 6 random bars."""
    rng = np.random.default_rng(corpus_seed)
    corpus = Corpus.from_bars(spec, rng.random((6, spec.n_notes, spec.steps)) < 0.4)
    return gym.make("gym_launchpad/Launchpad-v0", corpus=corpus, init="random", n_notes=spec.n_notes,
                    bar_bits=spec.bar_bits, low_note=spec.low_note, max_episode_steps=200)


def play(env, policy, seed: int, presses: int) -> list[int]:
    """The distance after reset and after each of ``presses`` steps."""
    obs, info = env.reset(seed=seed)
    distances = [info["distance"]]
    for _ in range(presses):
        action, _ = policy.predict(obs)
        obs, _, _, _, info = env.step(action)
        distances.append(info["distance"])
    return distances


@pytest.mark.parametrize("name", names("planner", LAUNCHPAD))
@pytest.mark.parametrize("spec, corpus_seed", [(LaunchpadSpec(2, 2, 60), 0), (LaunchpadSpec(3, 2, 60), 1),
                                               (LaunchpadSpec(2, 3, 60), 2)])
def test_each_planner_reaches_the_brute_force_ceiling(name, spec, corpus_seed):
    env = tiny_env(spec, corpus_seed)
    truth = brute_force_best_distance(env.unwrapped.corpus)
    assert env.unwrapped.ceiling.distance == truth
    policy = REGISTRY[name].make(env, seed=0, **TINY_OPTIONS[name])
    for seed in range(3):
        distances = play(env, policy, seed, presses=40)
        assert distances[-1] == truth, (name, seed, distances)


def test_navigator_reaches_distance_zero_from_seeded_triads_on_the_shipped_corpus():
    env = gym.make("gym_launchpad/Launchpad-v0")
    navigator = REGISTRY["navigator"].make(env, None)
    assert env.unwrapped.ceiling.distance == 0
    for seed in range(5):
        distances = play(env, navigator, seed, presses=40)
        assert 0 in distances[:31], (seed, distances)
        assert distances[-1] == 0
        assert navigator.predict(env.unwrapped._observation())[0] == navigator.noop_action


def test_navigator_keeps_its_target_along_its_walk():
    env = gym.make("gym_launchpad/Launchpad-v0", init="random")
    navigator = Navigator(env)
    obs, _ = env.reset(seed=4)
    start = navigator.walk(env.unwrapped.state)
    lengths = [navigator.walk_lengths(env.unwrapped.state).min()]
    while lengths[-1] > 0:
        assert navigator.walk(env.unwrapped.state) is start
        obs, *_ = env.step(navigator.predict(obs)[0])
        lengths.append(navigator.walk_lengths(env.unwrapped.state).min())
    # Every press is one press of the shortest walk: the remaining walk shrinks by exactly one each time.
    assert np.array_equal(np.diff(lengths), -np.ones(len(lengths) - 1))


def test_press_lookahead_agrees_with_the_envs_full_lookahead():
    env = gym.make("gym_launchpad/Launchpad-v0", init="random").unwrapped
    env.reset(seed=7)
    navigator = Navigator(env)
    presses = np.arange(env.launchpad.n_actions - 1)
    full = env.distances_after_each_action()
    assert np.array_equal(PressLookahead(navigator.simulator()).distances(env.state, presses), full[:-1])


@pytest.mark.parametrize("name", names("planner", LAUNCHPAD))
def test_predict_answers_like_sb3_and_refuses_a_batch(name):
    env = tiny_env(LaunchpadSpec(2, 2, 60), 0)
    obs, _ = env.reset(seed=0)
    policy = REGISTRY[name].make(env, seed=0)
    action, state = policy.predict(obs)
    assert np.ndim(action) == 0 and env.action_space.contains(int(action)) and state is None
    assert policy.predict(obs[None])[0].shape == (1,)
    with pytest.raises(ValueError, match="one env"):
        policy.predict(np.stack([obs, obs]))


#: Every hostile planner spec of issue #23, and the option each refusal names.
HOSTILE_SPECS = [
    ("beam:width=1000000000", "width=1000000000 is out of range; width is an integer from 1 to 1024"),
    ("beam:width=1e5", "width=1e5 is out of range"),
    ("beam:width=1e300", "width=1e300 is out of range"),
    ("beam:width=1e400", "width=1e400 is out of range"),
    ("beam:width=" + "9" * 5000, r"width=9{40}\.\.\. is out of range"),
    ("beam:" + "x" * 5000, r"'x{40}\.\.\.' is not OPTION=VALUE"),
    ("beam:depth=1000000", "depth=1000000 is out of range; depth is an integer from 1 to 1024"),
    ("beam:width=512", r"width=512, depth=4 \(its default\) search up to 2048 bars a press; width x depth is at most "
                       "1024"),
    ("beam:width=64,depth=64", "width x depth is at most 1024"),
    ("anneal:sweeps=1000000000", "sweeps=1000000000 is out of range; sweeps is an integer from 1 to 400"),
    ("beam:width=inf", "width='inf' is not a number"),
    ("beam:width=nan", "width='nan' is not a number"),
    ("beam:width=1_000", "width='1_000' is not a number"),
    ("navigator:max_targets=2.5", "max_targets=2.5 is not a whole number"),
    ("navigator:max_targets=0", "max_targets=0 is out of range; max_targets is an integer from 1"),
    ("navigator:max_targets=-1", "max_targets=-1 is out of range"),
    ("beam:width=1.5", "width=1.5 is not a whole number"),
    ("beam:width=2,width=3", "width is given twice"),
    ("beam:width=2,,depth=1", "'' is not OPTION=VALUE with OPTION one of width, depth"),
    ("anneal:beta_start=0", "beta_start=0 is out of range; beta_start is a number from 0.001"),
    ("anneal:beta_start=5", "beta_start=5, beta_end=2: .* beta_start is at most beta_end"),
    ("hopper:radius=65", "radius=65 is out of range; radius is an integer from 0 to 64"),
    ("hopper:novelty_weight=-1", "novelty_weight=-1 is out of range"),
]


@pytest.mark.parametrize("spec, message", HOSTILE_SPECS)
def test_every_hostile_option_is_refused_in_one_line_naming_it(spec, message):
    with pytest.raises(ValueError, match=message) as refused:
        load_policy(spec)
    assert "\n" not in str(refused.value)
    assert str(refused.value).startswith(spec.partition(":")[0] + " option")


@pytest.mark.parametrize("spec, message", HOSTILE_SPECS[::4])
def test_evaluate_refuses_a_hostile_spec_with_one_line_and_rc_2(spec, message):
    done = subprocess.run([sys.executable, "-m", "agents", "evaluate", spec, "--episodes", "1"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(f"error: {spec.partition(':')[0]} options? .*\n", done.stdout), done.stdout
    assert re.search(message, done.stdout) and not done.stderr


@pytest.mark.parametrize("name", [name for name in REGISTRY if REGISTRY[name].options])
def test_every_option_is_bounded_and_its_bounds_parse(name):
    for key, option in REGISTRY[name].options.items():
        assert option.type in (int, float) and option.low <= option.high < 1e7, (name, key)
        for value in (option.low, option.high):
            text = f"{name}:{key}={option.type(value)}"
            try:
                assert dict(parse_policy(text).options)[key] == value
            except ValueError as error:  # only a joint check may refuse a bound
                assert "options" in str(error), text
