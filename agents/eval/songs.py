"""``python -m agents songs``: write an agent's seeded songs as MIDI, read the files back, and measure them.

    python -m agents songs --agent explorer --seeds 20 --bars 300 --out runs/songs/explorer
    python -m agents songs --agent hopper --seeds 20 --bars 300 --out runs/songs/hopper

Each seed's song is ``OUT/seed_S.mid``, written as ``python -m agents play --headless --agent A --seed S --bars B
--out OUT/seed_S.mid`` writes it (:func:`agents.rollout.write_song`). Everything is measured from the file
alone, read back with the corpus's kind of cells:
- on Launchpad-v0 (held notes), each bar after the first ``--skip`` is scored against the corpus the agent was
  trained on: its distance to the nearest corpus bar, a bar the file leaves silent scored as silence. Issue
  #12's targets: the composer within 3 on average, the explorer within 15;
- on LaunchpadDJ-v0 (onsets), the DJ task's front (:func:`agents.music_metrics.front_metrics`): mean distance
  after the first 30 bars, onsets a bar, bars a listener hears change, distinct nearest corpus bars per 100
  bars, against :data:`DJ_TARGETS`; the command exits 1 when a target is missed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents import music_metrics, policies
from agents.arguments import parse_dataclass
from agents.rollout import write_song
from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.reward import bar_distances

#: The DJ task's targets (issue #13) on the front: each metric, its bound and which side is good.
DJ_TARGETS = {"mean_distance": (6.0, "max"), "onsets_per_bar": (15.0, "min"), "heard_change_fraction": (0.9, "min"),
              "distinct_nearest_per_100_bars": (10.0, "min")}


@dataclass
class SongsArgs:
    """Write an agent's seeded songs as MIDI, read them back, and measure them from the files alone."""

    #: folder for the songs (seed_S.mid) and songs.json
    out: Path
    #: the agent that plays (any policy name or weights file)
    agent: str = "pretrained"
    #: songs, from --first-seed on
    seeds: int = 20
    #: the first song's seed (keep it apart from the seeds an agent was trained on)
    first_seed: int = 0
    #: bars a song
    bars: int = 300
    #: Launchpad-v0: the first bars (the walk to a good bar) left out of the mean distance
    skip: int = 60


def read_song(path, spec, bars: int, cells: str) -> np.ndarray:
    """The ``(bars, N)`` bars of the MIDI song ``path`` read back as ``cells``; bars the file leaves silent stay
    silent."""
    found = read_midi_bars(path, spec, cells=cells, fold=False)
    song = np.zeros((bars, spec.n_notes), dtype=np.uint64)
    kept = found.bar_number < bars
    song[found.bar_number[kept]] = found.words[kept]
    return song


def song_distances(song: np.ndarray, corpus) -> np.ndarray:
    """The distance of each bar of ``song`` to its nearest ``corpus`` bar, and that bar's index."""
    distances = np.array([bar_distances(corpus.bars, bar) for bar in song])
    return distances.min(axis=1), distances.argmin(axis=1)


def measure(path, corpus, bars: int, skip: int) -> dict:
    """What a listener's file says of a song: the mean distance after ``skip`` bars (and the largest), and on a
    corpus of onsets the DJ front."""
    song = read_song(path, corpus.spec, bars, corpus.cells)
    distance, nearest = song_distances(song, corpus)
    result = {"mean_distance_after_skip": float(distance[skip:].mean()), "max_distance": int(distance[skip:].max())}
    if corpus.cells == "onsets":
        result.update(music_metrics.front_metrics(song, distance, nearest, "onsets"))
    return result


def meets(values: dict) -> dict:
    """Which of :data:`DJ_TARGETS` ``values`` (a mean front) meets."""
    return {key: bool(values[key] <= bound if side == "max" else values[key] >= bound)
            for key, (bound, side) in DJ_TARGETS.items()}


def main(argv=None, prog: str = "python -m agents songs") -> int:
    args = parse_dataclass(SongsArgs, argv, prog)
    if not 0 <= args.skip < args.bars or args.seeds < 1:
        print(f"{prog}: --skip must be at least 0 and less than --bars, and --seeds at least 1", file=sys.stderr)
        return 2
    try:
        loaded = policies.load_policy(args.agent)
    except (ValueError, FileNotFoundError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    corpus = loaded.env.unwrapped.corpus
    args.out.mkdir(parents=True, exist_ok=True)
    songs = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        path = write_song(loaded.env, loaded.policy, seed, args.bars, args.out / f"seed_{seed}.mid")
        songs[seed] = measure(path, corpus, args.bars, args.skip)
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in songs[seed].items()), flush=True)
    loaded.env.close()
    mean = {key: float(np.mean([song[key] for song in songs.values()])) for key in next(iter(songs.values()))}
    within = [song["mean_distance_after_skip"] for song in songs.values()]
    print(f"{args.agent} ({loaded.source.kind}), {args.seeds} songs x {args.bars} bars, read back from their MIDI: "
          f"mean distance after bar {args.skip} {mean['mean_distance_after_skip']:.2f}; "
          f"{sum(m <= 15 for m in within)}/{len(within)} songs within 15, {sum(m <= 3 for m in within)} within 3")
    document = {"agent": args.agent, "kind": loaded.source.kind, "task": loaded.source.task, "bars": args.bars,
                "skip": args.skip, "corpus_hash": corpus.hash, "mean": mean, "songs": songs}
    code = 0
    if corpus.cells == "onsets":
        met = meets(mean)
        for key, (bound, side) in DJ_TARGETS.items():
            print(f"  {key:32s} {mean[key]:7.2f}   target {'<=' if side == 'max' else '>='} {bound:g}   "
                  f"{'met' if met[key] else 'MISSED'}")
        document["met"] = met
        code = 0 if all(met.values()) else 1
    (args.out / "songs.json").write_text(json.dumps(document, indent=2) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
