"""``python -m agents.song_distance``: play songs with ``python -m agents play --headless``, read their MIDI back,
and measure how near the corpus their bars are, from the file alone.

    python -m agents.song_distance --agent explorer --seeds 20 --bars 300 --out runs/songs/explorer

Each seed's song is ``OUT/seed_S.mid``, made by the play command itself. Read back as held notes, every bar
after the first ``--skip`` (the walk to a good bar) is scored against the corpus the agent was trained on: its
distance to the nearest corpus bar. A bar the file leaves silent is a silent bar, scored as one. Issue #12's
targets: the composer (``pretrained``) within 3 on average, the explorer within 15.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from agents.play import cli as play_cli
from agents.policies import load_policy, parse_policy
from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.reward import bar_distances


def song_distances(path, corpus, bars: int) -> np.ndarray:
    """The distance of each of the ``bars`` bars of the MIDI song ``path`` to its nearest ``corpus`` bar."""
    found = read_midi_bars(path, corpus.spec, fold=False)
    song = np.zeros((bars, corpus.spec.n_notes), dtype=np.uint64)  # bars the file leaves silent stay silent
    kept = found.bar_number < bars
    song[found.bar_number[kept]] = found.words[kept]
    return np.array([bar_distances(corpus.bars, bar).min() for bar in song])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.song_distance", description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="pretrained", help="the agent to play (default: pretrained)")
    parser.add_argument("--seeds", type=int, default=20, help="songs, from --seed 0, 1, ... (default: 20)")
    parser.add_argument("--bars", type=int, default=300, help="bars a song (default: 300)")
    parser.add_argument("--skip", type=int, default=60, help="first bars left out of the mean (default: 60)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the songs and song_distance.json")
    args = parser.parse_args(argv)
    if not 0 <= args.skip < args.bars:
        raise SystemExit(f"--skip {args.skip} must be at least 0 and less than --bars {args.bars}")
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = load_policy(parse_policy(args.agent)).env.unwrapped.corpus
    means = []
    print("| seed | mean distance after bar " f"{args.skip} | max |\n|---|---|---|")
    songs = play_cli.headless_songs(args.agent, args.seeds, args.bars, args.out)
    for seed, song in _until_failure(songs):
        distances = song_distances(song, corpus, args.bars)[args.skip:]
        means.append(float(distances.mean()))
        print(f"| {seed} | {means[-1]:.2f} | {int(distances.max())} |", flush=True)
    print(f"| all | {np.mean(means):.2f} | {sum(m <= 15 for m in means)}/{len(means)} songs within 15, "
          f"{sum(m <= 3 for m in means)}/{len(means)} within 3 |")
    if len(means) < args.seeds:
        return 1
    (args.out / "song_distance.json").write_text(json.dumps(
        {"agent": args.agent, "bars": args.bars, "skip": args.skip, "means": means}, indent=1) + "\n")
    return 0


def _until_failure(songs):
    try:
        yield from songs
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
