"""``python -m agents demo``: the README's main job, in well under a minute.

It makes ``gym_launchpad/Launchpad-v0`` on the shipped corpus, plays the ``greedy`` and ``random``
baselines (:mod:`agents.baselines`) for ``--bars`` steps from one seeded reset, prints each one's mean
reward per step beside the exact ceiling (the best reward anywhere in the state space), and writes
``OUT/greedy.txt``, the launchpad greedy ends on, as ANSI text. On the shipped corpus the pretrained agent
(the composer, :mod:`agents.imitation.composer`) then plays ``--song-bars`` bars from the same reset, written as
``OUT/pretrained.mid`` and rendered to ``OUT/pretrained.wav``. Then it evaluates the shipped agents,
the planners and the baselines on a few seeded episodes and printing the table (``python -m agents
evaluate`` with ``--episodes`` and ``--steps`` below), then writes the 32-bar song of play's default agent,
the DJ task's best mover, to ``OUT/dj.mid`` and ``OUT/dj.wav`` (``python -m agents play``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import gymnasium as gym

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents import policies
from agents.baselines import make_baseline
from agents.eval import evaluate
from agents.policies import PRETRAINED, load_policy
from agents.rollout import rollout, write_song
from gym_launchpad.midi import render_audio


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agents demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo"), help="folder for greedy.txt (default: demo)")
    parser.add_argument("--corpus", default=None, help="corpus .npz (default: the shipped Bach chorales)")
    parser.add_argument("--bars", type=int, default=64, help="steps (bars) each policy plays (default: 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shared reset (default: 0)")
    parser.add_argument("--song-bars", type=int, default=32, help="bars of the pretrained agent's song (default: 32)")
    parser.add_argument("--episodes", type=int, default=3, help="episodes of the closing evaluation (default: 3)")
    parser.add_argument("--steps", type=int, default=300, help="bars per evaluation episode (default: 300)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.bars < 1 or args.song_bars < 1:
        raise SystemExit(f"--bars and --song-bars must be >= 1, got {args.bars} and {args.song_bars}")
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=args.corpus, render_mode="ansi")
    corpus = env.unwrapped.corpus
    print(f"corpus: {corpus!r}")
    print(f"ceiling: the best bar anywhere in the state space is at distance {env.unwrapped.ceiling.distance} "
          f"(reward {-env.unwrapped.ceiling.distance} per step)")
    print(f"{args.bars} bars from reset(seed={args.seed}):")
    for name in ("greedy", "random"):
        episode = rollout(env, make_baseline(name, env, seed=args.seed), seed=args.seed, n_steps=args.bars)
        print(f"  {name:<7} mean reward per step {episode.rewards.mean():8.2f}   final distance "
              f"{episode.distances[-1]:4d}   (ceiling {episode.best_distance})")
        if name == "greedy":
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / "greedy.txt"
            path.write_text(env.render())
            print(f"    wrote {path}: the launchpad greedy ends on")
    env.close()
    if args.corpus is None and "composer" in policies.shipped_names():
        write_composer_song(args.out, args.seed, args.song_bars)
    print(f"\nevaluation of the shipped agents, the planners and the baselines ({args.episodes} episodes x "
          f"{args.steps} bars):")
    command = ["--episodes", str(args.episodes), "--steps", str(args.steps), "--seed", str(args.seed)]
    code = evaluate.main(command + (["--corpus", args.corpus] if args.corpus else []))
    name = policies.PLAY_DEFAULTS[0]
    print(f"\nthe song of play's default agent, {name}, the best mover (LaunchpadDJ-v0, 32 bars):")
    loaded = load_policy(name, seed=args.seed)
    midi = write_song(loaded.env, loaded.policy, args.seed, 32, args.out / "dj.mid")
    loaded.env.close()
    print(f"    wrote {midi}")
    render_song(midi)
    return code


def render_song(midi: Path) -> None:
    """``midi`` rendered beside it as ``.wav``; what went wrong, in one line, when it cannot be."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            audio = render_audio(midi, midi.with_suffix(".wav"))
    except (FileNotFoundError, RuntimeError, ValueError) as error:
        print(f"    no audio: {error}")
        return
    print(f"    wrote {audio.path} ({audio.seconds:.1f} s, {audio.backend})"
          + "".join(f"; {w.message}" for w in caught))


def write_composer_song(out: Path, seed: int, bars: int) -> None:
    """The composer's ``bars`` bars from ``reset(seed=seed)``, as ``play --headless`` writes them:
    ``out/pretrained.mid`` and ``.wav``."""
    loaded = load_policy(PRETRAINED, seed=seed)
    midi = write_song(loaded.env, loaded.policy, seed, bars, out / "pretrained.mid")
    loaded.env.close()
    print(f"the composer's song: {bars} bars from reset(seed={seed})")
    print(f"    wrote {midi}")
    render_song(midi)
