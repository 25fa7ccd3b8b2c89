"""``python -m agents.eval.presses_per_bar``: can one press a heard bar move the harmony and stay near the corpus?

Two measurements on the shipped onset corpus (issue #21):

1. **Consecutive chorale bars.** For every pair of bars that follow each other in a chorale (bar ``b`` and
   ``b + 1`` of one source, both in the corpus), start from the launchpad state that plays bar ``b`` best
   (per row, the pattern mask and offset nearest to its row) and find, per row and then over all rows (a
   min-plus knapsack), the fewest presses that reach the best launchpad rendering of bar ``b + 1``, and how
   near bar ``b + 1`` 1, 2, 4 and 8 presses get. A press edits one row: its cost from mask ``m``, offset
   ``o`` to ``m'``, ``o'`` is ``popcount(m ^ m')`` toggles plus the fewest offset increments (``+2**j``)
   that add ``o' - o`` (mod 64).
2. **A greedy DJ with k presses a heard bar.** On the onset corpus, from ``reset(seed)``, each heard bar
   takes ``k`` presses, each the one nearest to the corpus (the env's lookahead) but the last, which must
   change the bar's struck pitch classes whenever the song's fraction of such bars is below 0.6 (and
   always make the bar differ from the 2, or 16, bars heard before it). Reported: the mean distance after 30
   bars, the harmony-change fraction it reached, pitch classes changed a bar, and distinct nearest corpus
   bars per 100 bars.
3. **A planner's song heard every k presses** (``--song SONG.mid``, e.g. the hopper's, one press a bar):
   every k-th bar of it is the song a DJ pressing k times a heard bar would play along the same walk; its
   first 300 such bars are written and measured (:mod:`agents.eval.song_metrics`).
"""

from __future__ import annotations

import argparse
import functools
import tempfile
from pathlib import Path

import numpy as np

from agents.eval.song_metrics import format_table, onset_bars, read_notes, song_metrics
from gym_launchpad.corpus import Corpus
from gym_launchpad.envs.launchpad_env import LaunchpadEnv
from gym_launchpad.launchpad import LaunchpadSpec, press_rows
from gym_launchpad.midi import write_midi

#: Presses a heard bar in the greedy DJ, and the presses reported for consecutive chorale bars.
PRESSES, PRESS_BUDGETS = (1, 2, 3, 4), (1, 2, 4, 8)
#: The greedy DJ's bars differ from this many bars heard before them (2: no A-B-A; 16: no loop under 16 bars).
TABU = (2, 16)
#: The harmony-change fraction the greedy DJ keeps at least.
HARMONY_TARGET = 0.6


@functools.cache
def offset_presses(spec: LaunchpadSpec) -> np.ndarray:
    """``(steps,)``: the fewest offset increments (each adds ``2**j``, mod steps) that add each amount."""
    steps = spec.steps
    presses = np.full(steps, -1, dtype=np.int64)
    presses[0], frontier = 0, [0]
    while frontier:
        following = []
        for amount in frontier:
            for power in range(spec.bar_bits):
                reached = (amount + (1 << power)) % steps
                if presses[reached] < 0:
                    presses[reached] = presses[amount] + 1
                    following.append(reached)
        frontier = following
    return presses


@functools.cache
def row_fronts(spec: LaunchpadSpec, row_a: int, row_b: int) -> np.ndarray:
    """``(2B + 2,)``: the smallest Hamming distance to the row word ``row_b`` reachable in at most p presses
    (p = 0 .. 2B + 1, enough for any row state) from a state that plays ``row_a`` as nearly as the
    launchpad can."""
    table = spec.row_table  # (masks, offsets) -> word
    words = table.reshape(-1)
    near_a = np.bitwise_count(words ^ np.uint64(row_a))
    starts = np.flatnonzero(near_a == near_a.min())
    to_b = np.bitwise_count(words ^ np.uint64(row_b)).astype(np.int64)
    n_offsets = table.shape[1]
    masks, offs = np.divmod(np.arange(len(words)), n_offsets)
    start_masks, start_offsets = np.divmod(starts, n_offsets)
    cost = (np.bitwise_count(masks[None, :] ^ start_masks[:, None])
            + offset_presses(spec)[(offs[None, :] - start_offsets[:, None]) % n_offsets]).min(axis=0)
    return np.array([to_b[cost <= p].min() for p in range(2 * spec.bar_bits + 2)])


def pair_presses(spec: LaunchpadSpec, bar_a: np.ndarray, bar_b: np.ndarray, max_presses: int = 40) -> np.ndarray:
    """``(max_presses + 1,)``: the smallest distance to ``bar_b`` reachable in at most p presses from the
    launchpad's best rendering of ``bar_a`` (rows are independent: a min-plus knapsack over them)."""
    total = np.zeros(max_presses + 1, dtype=np.int64)
    budget = np.arange(max_presses + 1)[:, None]
    for row in range(spec.n_notes):
        front = row_fronts(spec, int(bar_a[row]), int(bar_b[row]))
        spent = np.arange(len(front))[None, :]
        before = np.where(budget >= spent, total[np.clip(budget - spent, 0, None)], np.iinfo(np.int64).max // 4)
        total = (before + front[None, :]).min(axis=1)
    return total


def consecutive_pairs(corpus: Corpus) -> list[tuple[int, int]]:
    """Index pairs of corpus bars ``b``, ``b + 1`` of one source."""
    where = {(int(s), int(b)): i for i, (s, b) in enumerate(zip(corpus.source_index, corpus.bar_number, strict=True))}
    return [(i, where[s, b + 1]) for (s, b), i in where.items() if (s, b + 1) in where]


def pitch_classes(spec: LaunchpadSpec, bar: np.ndarray) -> int:
    """The bar's struck pitch classes as 12 bits (C = bit 0)."""
    classes = 0
    for pitch in spec.pitches[np.asarray(bar) != 0]:
        classes |= 1 << (int(pitch) % 12)
    return classes


def greedy_dj(corpus: Corpus, presses: int, seed: int, bars: int = 300, skip: int = 30, tabu: int = 2) -> dict:
    """The greedy DJ of the module docstring, its bars differing from the ``tabu`` heard before them: its mean
    distance after ``skip`` bars, harmony-change and two-bar-loop fractions, pitch classes that change a bar
    (struck in one of two consecutive bars, not both) and distinct nearest corpus bars per 100 bars."""
    env = LaunchpadEnv(corpus)
    env.reset(seed=seed)
    spec = env.launchpad
    heard = [env.words.copy()]
    distances, nearest, changed = [], [], []
    for _ in range(bars):
        for press in range(presses):
            after = env.distances_after_each_action()
            if press == presses - 1:
                behind = np.mean(np.array(changed) > 0) < HARMONY_TARGET if changed else True
                after = after + _forbidden(env, spec, heard[-tabu:], need_harmony=behind)
            info = env.step(int(np.argmin(after)))[-1]
        heard.append(env.words.copy())
        distances.append(info["distance"])
        nearest.append(info["nearest_bar"])
        changed.append(bin(pitch_classes(spec, heard[-1]) ^ pitch_classes(spec, heard[-2])).count("1"))
    loops = [bool((heard[i] == heard[i - 2]).all() and (heard[i] != heard[i - 1]).any()) for i in range(2, len(heard))]
    return {"mean_distance": float(np.mean(distances[skip:])),
            "harmony_change_fraction": float(np.mean(np.array(changed[skip:]) > 0)),
            "pitch_classes_changed": float(np.mean(changed[skip:])), "aba_fraction": float(np.mean(loops[skip:])),
            "distinct_nearest_per_100_bars": 100.0 * len(set(nearest[skip:])) / len(nearest[skip:])}


def _forbidden(env, spec: LaunchpadSpec, heard: list, need_harmony: bool) -> np.ndarray:
    """A large penalty on each action whose bar repeats one of the ``heard`` bars, or (when
    ``need_harmony``) keeps the bar before's struck pitch classes."""
    actions = np.arange(spec.n_actions)
    rows = spec.action_note[actions]
    masks, offsets = press_rows(spec, actions, env.state.masks[rows], env.state.offsets[rows])
    words = np.repeat(env.words[None, :], len(actions), axis=0)
    words[actions, rows] = spec.row_table[masks, offsets]
    penalty = np.zeros(len(actions), dtype=np.int64)
    for before in heard:
        penalty += 10_000 * (words == before).all(axis=1)
    if need_harmony:
        previous = pitch_classes(spec, heard[-1])
        penalty += 10_000 * np.array([pitch_classes(spec, w) == previous for w in words])
    return penalty


def heard_every(song, corpus: Corpus, presses=PRESSES, bars: int = 300) -> dict:
    """``{k: song_metrics}`` of every k-th bar of the MIDI song ``song`` (its first ``bars`` such bars)."""
    pitch, start, _, n_bars = read_notes(song, corpus.spec.steps)
    played = onset_bars(pitch, start, n_bars, corpus.spec)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for k in presses:
            path = write_midi(played[k - 1::k][:bars], Path(folder) / "heard.mid", corpus.spec, cells="onsets")
            results[k] = song_metrics(path, corpus, with_muspy=False)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.eval.presses_per_bar", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="greedy DJ songs for each number of presses (default: 3)")
    parser.add_argument("--bars", type=int, default=300, help="bars a greedy DJ song (default: 300)")
    parser.add_argument("--song", type=Path, help="a planner's song of one press a bar, 4 x 300 bars long, to hear "
                                                  "every k presses")
    args = parser.parse_args(argv)
    corpus = Corpus.onsets()
    spec = corpus.spec
    pairs = consecutive_pairs(corpus)
    fronts = np.array([pair_presses(spec, corpus.bars[a], corpus.bars[b]) for a, b in pairs])
    best = fronts[:, -1]
    needed = (fronts <= best[:, None]).argmax(axis=1)
    moved = np.array([bin(pitch_classes(spec, corpus.bars[a]) ^ pitch_classes(spec, corpus.bars[b])).count("1")
                      for a, b in pairs])
    print(f"{len(pairs)} pairs of consecutive chorale bars in the onset corpus; {np.mean(moved > 0):.0%} change their "
          f"struck pitch classes, {moved.mean():.2f} pitch classes a pair")
    print(f"  best launchpad rendering of the second bar: distance {np.median(best):.0f} median "
          f"({np.percentile(best, 10):.0f}-{np.percentile(best, 90):.0f}, 10th-90th)")
    print(f"  presses from the first bar's rendering to it: {np.median(needed):.0f} median "
          f"({np.percentile(needed, 10):.0f}-{np.percentile(needed, 90):.0f}); pairs within 1 press: "
          f"{np.mean(needed <= 1):.0%}, 2: {np.mean(needed <= 2):.0%}, 4: {np.mean(needed <= 4):.0%}")
    for budget in PRESS_BUDGETS:
        print(f"  distance to the second bar after {budget} press{'es' if budget > 1 else ''}: "
              f"{np.median(fronts[:, budget]):.0f} median (0 presses: {np.median(fronts[:, 0]):.0f})")
    print(f"\ngreedy DJ, {args.seeds} songs x {args.bars} bars, the last press of a bar changing the harmony while "
          f"fewer than {HARMONY_TARGET:.0%} of bars did:")
    for tabu in TABU:
        for presses in PRESSES:
            runs = [greedy_dj(corpus, presses, seed, args.bars, tabu=tabu) for seed in range(args.seeds)]
            print(f"  {presses} press{'es' if presses > 1 else ''} a bar, no repeat of the last {tabu} bars: "
                  + ", ".join(f"{key} {np.mean([r[key] for r in runs]):.2f}" for key in runs[0]))
    if args.song:
        results = heard_every(args.song, corpus)
        print(f"\n{args.song.name} heard every k presses (the first 300 heard bars):\n")
        print(format_table({f"{k} press{'es' if k > 1 else ''} a bar": r for k, r in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
