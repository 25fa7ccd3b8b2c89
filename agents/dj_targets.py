"""``python -m agents.dj_targets``: play songs with ``python -m agents play --headless``, read their MIDI back,
and measure the DJ task's targets on what was written.

    python -m agents.dj_targets --agent hopper --seeds 20 --bars 300 --out runs/dj_targets/hopper

Each seed's song is ``OUT/seed_S.mid``, made by the play command itself. Read back as onsets, every bar is
scored against the onset corpus: the mean distance after the first 30 bars, onsets per bar, the fraction of
bars a listener hears change, and distinct nearest corpus bars per 100 bars. The targets (issue #13): at most
6, at least 15, at least 0.9 and at least 10, as means over the seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from agents import music_metrics
from agents.play import cli as play_cli
from gym_launchpad.corpus import Corpus
from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.reward import bar_distances

#: The targets of the shipped dj agent (or the best planner): each metric, its bound and which side is good.
TARGETS = {"mean_distance": (6.0, "max"), "onsets_per_bar": (15.0, "min"), "heard_change_fraction": (0.9, "min"),
           "distinct_nearest_per_100_bars": (10.0, "min")}


def song_front(path, corpus: Corpus) -> dict:
    """The front metrics of a MIDI song, read back as bars of onsets and scored against ``corpus``."""
    song = read_midi_bars(path, corpus.spec, cells="onsets")
    bars = np.zeros((int(song.bar_number.max()) + 1, corpus.spec.n_notes), dtype=np.uint64)
    bars[song.bar_number] = song.words
    distances = np.array([bar_distances(corpus.bars, bar) for bar in bars])
    front = music_metrics.front_metrics(bars, distances.min(axis=1), distances.argmin(axis=1), "onsets")
    return {"bars": len(bars), **front}


def meets(front: dict) -> dict:
    """Which targets a (mean) front meets."""
    return {key: bool(front[key] <= bound if side == "max" else front[key] >= bound)
            for key, (bound, side) in TARGETS.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.dj_targets", description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="dj", help="the agent to play (default: dj)")
    parser.add_argument("--seeds", type=int, default=20, help="songs, from --seed 0, 1, ... (default: 20)")
    parser.add_argument("--bars", type=int, default=300, help="bars a song (default: 300)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the songs and targets.json")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = Corpus.onsets()
    fronts = []
    try:
        songs = list(play_cli.headless_songs(args.agent, args.seeds, args.bars, args.out))
    except RuntimeError as error:
        print(f"targets: {error}", file=sys.stderr)
        return 1
    for seed, song in songs:
        fronts.append(song_front(song, corpus))
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in fronts[-1].items()), flush=True)
    mean = {key: float(np.mean([f[key] for f in fronts])) for key in TARGETS}
    met = meets(mean)
    print(f"{args.agent}, {args.seeds} songs x {args.bars} bars, read back from their MIDI:")
    for key, (bound, side) in TARGETS.items():
        print(f"  {key:32s} {mean[key]:7.2f}   target {'<=' if side == 'max' else '>='} {bound:g}   "
              f"{'met' if met[key] else 'MISSED'}")
    document = {"agent": args.agent, "seeds": args.seeds, "bars": args.bars, "mean": mean, "met": met,
                "songs": fronts, "corpus_hash": corpus.hash}
    (args.out / "targets.json").write_text(json.dumps(document, indent=2) + "\n")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
