"""Does one file of one repeated bar take over the ``sampled`` reward, without and with the cap on repeats?

Builds a corpus of Debian's ``simutrans-data`` and ``mma`` MIDI files (fetched by ``fetch_debian_midi.py``)
plus one hostile file made here (one bar of 24 struck notes, 4,000 times: it passes the caps on bars and
notes), once with no cap on repeats (``--max-repeats-per-file 0``) and once with the default, and prints for
each: the hostile bar's share of the ``sampled`` reward's draws, and the mean ``sampled`` reward (1000 bars
drawn a step) of a bar of the real music played exactly (its best is 0: the bar itself is drawn). It also
prints how often a bar repeats within one real file, the figure the default cap is chosen above.

    python benchmarks/repeat_cap.py [--midi DIR] [--bars 300] [--draws 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from fetch_debian_midi import fetch

from gym_launchpad.corpus.build import FileLimits, build_from_midi, count_repeats, find_midi_files, read_midi_bars
from gym_launchpad.corpus.quantize import DEFAULT_MIN_CELLS, DEFAULT_MIN_PITCHES
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi import write_midi
from gym_launchpad.reward import DEFAULT_SAMPLE_SIZE, DistanceTracker

SPEC = LaunchpadSpec()
HOSTILE = "hostile.mid"
HOSTILE_BARS = 4_000


def hostile_file(path: Path, copies: int = HOSTILE_BARS) -> Path:
    """One bar repeated ``copies`` times: C, E and G struck on every eighth note, 24 notes a bar."""
    bar = np.zeros(SPEC.n_notes, dtype=np.uint64)
    eighths = sum(1 << step for step in range(SPEC.steps) if step % 8 < 7)
    for pitch in (60, 64, 67):
        bar[pitch - SPEC.low_note] = eighths
    return write_midi(np.tile(bar, (copies, 1)), path, SPEC)


def most_repeats_in_a_file(folder, per_track: bool) -> list[int]:
    """The most copies of one kept bar in each real file, files that keep no bar left out."""
    most = []
    for path, _ in find_midi_files(folder):
        try:
            bars = read_midi_bars(path, SPEC, min_cells=DEFAULT_MIN_CELLS, min_pitches=DEFAULT_MIN_PITCHES,
                                  per_track=per_track)
        except Exception:  # noqa: BLE001 - a file that cannot be read has no repeats
            continue
        if len(bars.words):
            most.append(int(count_repeats(bars)[1].max()))
    return most


def measure(paths, max_repeats: int, real_bars: np.ndarray, draws: int, workers: int) -> dict:
    """The hostile file's share of the draws, and the mean sampled reward of ``real_bars`` each played exactly."""
    corpus = build_from_midi(paths, limits=FileLimits(max_repeats_per_file=max_repeats), workers=workers).corpus
    hostile = np.isin(corpus.source_index, np.flatnonzero(np.char.endswith(corpus.sources, HOSTILE)))
    rng = np.random.default_rng(0)
    tracker = DistanceTracker(corpus)
    rewards = []
    for bar in real_bars:
        tracker.reset(bar)
        rewards.extend(-tracker.sampled(rng, DEFAULT_SAMPLE_SIZE)[0] for _ in range(draws))
    return {"share": corpus.counts[hostile].sum() / corpus.total_count, "reward": float(np.mean(rewards)),
            "total": corpus.total_count}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--midi", type=Path, default=None, help="a folder of real MIDI files (default: fetch Debian's)")
    parser.add_argument("--bars", type=int, default=300, help="real bars whose sampled reward is averaged")
    parser.add_argument("--draws", type=int, default=20, help="sampled rewards per real bar")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=HOSTILE_BARS, help="copies of the hostile file's bar")
    parser.add_argument("--quick", action="store_true", help="30 bars, 2 draws, 400 copies")
    args = parser.parse_args(argv)
    if args.quick:
        args.bars, args.draws, args.copies = 30, 2, 400
    real = args.midi or fetch()
    for per_track, layout in ((False, "tracks merged"), (True, "--per-track")):
        most = np.array(most_repeats_in_a_file(real, per_track))
        print(f"{len(most)} real files, {layout}: the most copies of one bar in a file is {np.median(most):g} "
              f"(median), {np.percentile(most, 99):.0f} (99%), {most.max()} (max)")
    alone = build_from_midi(real, workers=args.workers).corpus
    real_bars = alone.bars[np.random.default_rng(0).choice(len(alone), size=args.bars, replace=False)]
    cap = FileLimits().max_repeats_per_file
    with tempfile.TemporaryDirectory() as folder:
        hostile = hostile_file(Path(folder) / HOSTILE, args.copies)
        print(f"{HOSTILE}: {hostile.stat().st_size / 1e3:.0f} kB, one bar {args.copies} times; {args.bars} bars of "
              f"the real music, each played exactly, {args.draws} sampled rewards ({DEFAULT_SAMPLE_SIZE} bars) each")
        results = {}
        for label, paths, max_repeats in (("real music alone", [real], cap), ("with it, no cap", [real, hostile], 0),
                                          (f"with it, cap {cap}", [real, hostile], cap)):
            results[label] = result = measure(paths, max_repeats, real_bars, args.draws, args.workers)
            print(f"{label:>20}: {result['total']} bars with repeats; {HOSTILE}'s bar is {result['share']:.1%} of "
                  f"the draws; mean sampled reward {result['reward']:.2f}")
    print(f"share of the draws, no cap / cap: {results['with it, no cap']['share'] / result['share']:.1f}x")


if __name__ == "__main__":
    main()
