"""``python -m agents demo``: the README's main job, in well under a minute.

It makes ``gym_launchpad/Launchpad-v0`` on the shipped corpus, plays the ``greedy`` and ``random`` baselines
(:mod:`agents.baselines`) for ``--bars`` steps from one seeded reset, prints each one's mean reward per step beside
the exact ceiling (the best reward anywhere in the state space), and writes ``OUT/greedy.txt``, the launchpad greedy
ends on, as plain text. Then come the songs, ``--song-bars`` bars each from the same reset, written as ``python -m
agents play --headless`` writes them (:func:`agents.rollout.write_song`) and rendered to WAV:

- ``OUT/dj.mid`` and ``.wav``, the demo's song: play's default agent (the first of
  :data:`agents.policies.PLAY_DEFAULTS`, the best music the project makes) on its task, LaunchpadDJ-v0;
- ``OUT/pretrained.mid`` and ``.wav``, the composer's song on Launchpad-v0 (on the shipped corpus): it walks to a
  corpus bar and holds it, so it is written for an organ (:data:`HELD_PROGRAM`), whose held notes sound as long as
  they are held where a piano's fade out within a few bars.

Last, it evaluates the shipped agents, the planners and the baselines of both tasks on a few seeded episodes and
prints one table per task with a legend (``python -m agents evaluate --tasks Launchpad-v0 LaunchpadDJ-v0`` with
``--episodes`` and ``--steps`` below).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import torch

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents import policies
from agents.arguments import parse_dataclass
from agents.baselines import make_baseline
from agents.eval import evaluate, songs
from agents.policies import PRETRAINED, load_policy
from agents.rollout import rollout, write_song
from gym_launchpad.midi import render_audio

#: The General MIDI program of the composer's song: drawbar organ. The composer's notes are sounding cells held up
#: to the whole song; a piano's fade to silence within a few bars, an organ's sound while they are held.
HELD_PROGRAM = 16


@dataclass
class DemoArgs:
    """The README's main job: the baselines against the exact ceiling, the songs of the best agents, and a table
    per task of every kind of policy."""

    #: folder for greedy.txt and the songs
    out: Path = Path("demo")
    #: corpus .npz (default: the shipped Bach chorales)
    corpus: str | None = None
    #: steps (bars) each baseline plays
    bars: int = 64
    #: seed of the shared reset
    seed: int = 0
    #: bars of each song
    song_bars: int = 32
    #: episodes of the closing evaluation
    episodes: int = 3
    #: bars per evaluation episode (a DJ bar is 24 presses: 100 bars keep the demo near a minute here)
    steps: int = 100
    #: torch threads of the learned agents: on a small shared CPU more threads are slower (as for train)
    threads: int = 1


def main(argv: list[str]) -> int:
    args = parse_dataclass(DemoArgs, argv, "python -m agents demo")
    torch.set_num_threads(args.threads)
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
    wavs = [write_demo_song(policies.PLAY_DEFAULTS[0], args.out / "dj.mid", args.seed, args.song_bars,
                            "the demo's song: play's default agent")]
    if args.corpus is None and "composer" in policies.shipped_names():
        wavs.append(write_demo_song(PRETRAINED, args.out / "pretrained.mid", args.seed, args.song_bars,
                                    "the composer's song, for organ", program=HELD_PROGRAM))
    tasks = ["Launchpad-v0"] + (["LaunchpadDJ-v0"] if args.corpus is None else [])
    print(f"\nevaluation of the shipped agents, the planners and the baselines of {' and '.join(tasks)} "
          f"({args.episodes} episodes x {args.steps} bars each); learned agents press a random button in 5% of bars "
          "(epsilon 0.05, the paper's evaluation), so they may end farther from the corpus than in their songs:")
    command = ["--episodes", str(args.episodes), "--steps", str(args.steps), "--seed", str(args.seed),
               "--tasks", *tasks]
    code = evaluate.main(command + (["--corpus", args.corpus] if args.corpus else []))
    heard = [str(wav) for wav in wavs if wav is not None]
    if heard:
        print(f"listen: {', '.join(heard)}")
    return code


def write_demo_song(name: str, midi: Path, seed: int, bars: int, title: str, **midi_options) -> Path | None:
    """Agent ``name``'s ``bars`` bars from ``reset(seed=seed)`` on its own task and corpus, written to ``midi`` as
    ``python -m agents play --headless --agent NAME --seed SEED --bars BARS`` writes it (``midi_options``: its other
    options, e.g. ``program``), its final distance read back from the file, and the WAV beside it (None when there
    is none)."""
    midi.parent.mkdir(parents=True, exist_ok=True)
    loaded = load_policy(name, seed=seed)
    write_song(loaded.env, loaded.policy, seed, bars, midi, **midi_options)
    corpus = loaded.env.unwrapped.corpus
    loaded.env.close()
    distances, _ = songs.song_distances(songs.read_song(midi, corpus.spec, bars, corpus.cells), corpus)
    options = "".join(f" --{key} {value}" for key, value in midi_options.items())
    called = name if loaded.source.source == name else f"{name} (the {loaded.source.source})"
    print(f"\n{title}, {called}, {loaded.source.kind}, on {loaded.source.task.split('/')[-1]}, {bars} bars from "
          f"reset(seed={seed}), no random presses: distance {distances[-1]} at the last bar, "
          f"{distances.mean():.1f} on average\n    (`python -m agents play --headless --agent {name} --seed {seed} "
          f"--bars {bars}{options} --out {midi.name}` writes the same file)")
    print(f"    wrote {midi}")
    return render_song(midi)


def render_song(midi: Path) -> Path | None:
    """``midi`` rendered beside it as ``.wav`` (its path); what went wrong, in one line, when it cannot be."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            audio = render_audio(midi, midi.with_suffix(".wav"))
    except (FileNotFoundError, RuntimeError, ValueError) as error:
        print(f"    no audio: {error}")
        return None
    print(f"    wrote {audio.path} ({audio.seconds:.1f} s, {audio.backend})"
          + "".join(f"; {w.message}" for w in caught))
    return audio.path
