"""A corpus in all 12 keys: every bar also transposed by 1 to 11 semitones.

A corpus keeps the keys its music was written in (the Bach chorales: mostly a few keys near C), so an agent
that walks to the nearest real bar walks back to those keys. :func:`in_all_keys` adds each bar in the 11 other
keys; ``launchpad corpus build --all-keys``, ``python scripts/build_default_corpus.py --all-keys`` and the envs'
``all_keys=True`` all call it, so a corpus built with the flag and one transposed by the env are the same
corpus (one hash).

How a bar moves, key step ``k`` (1..11) at a time:

- **Which octave.** A bar moves up ``k`` semitones or down ``12 - k``: the one that keeps the most of its
  cells (a note pushed out of the rows is folded back in by an octave, below, and is lost when it lands on a
  row already sounding at that step); a tie, as most bars are, goes the way its whole source (a chorale, a
  MIDI file) keeps more of its cells inside the rows (a tie again: the smaller move, then up). A musician
  transposes a piece, not each bar on its own, so a source's bars stay in one register; a bar that would
  lose notes that way moves the other way instead (on the shipped chorales, every bar the launchpad plays
  exactly stays exactly playable in every key).
- **Notes pushed out of the rows** are folded back in by an octave, as the builders fold pitches outside the
  range (:func:`gym_launchpad.corpus.quantize.fold_pitches`): pitch classes, and so the key, are kept. Dropping
  such a bar instead would drop most of the wide ones in the far keys (the keys this is for); dropping the
  note would take notes out of the harmony. The keep filters (``--min-cells``, ``--min-pitches``) are not
  applied again.
- **Provenance.** A transposed bar keeps its bar number, and its source is the transposed source: the
  corpus's ``S`` sources are followed by 11 more groups of ``S``, source ``s`` moved by key step ``k`` at
  index ``s + k * S``, named ``"NAME (key +k)"`` (its pitch classes up ``k`` semitones). The next bar of a source
  (:func:`agents.planners.follower.successors`) is then the next bar in the same key.
- **Counts.** A transposed bar counts as often as its original; bars that come out identical (to each other or
  to an original) are stored once with their counts added, the first in order kept (originals first).

The metadata keeps the original's and adds ``all_keys`` (the key steps, the sources per key, the rule, the
original's hash). A corpus that already holds all keys is returned as it is.
"""

from __future__ import annotations

import functools

import numpy as np

from gym_launchpad.corpus.corpus import Corpus, CorpusError, distinct_bars
from gym_launchpad.corpus.quantize import fold_pitches
from gym_launchpad.launchpad import LaunchpadSpec

#: Semitones in an octave: the keys a bar is played in, its own (step 0) and 11 more.
KEYS = 12


def transpose_rows(spec: LaunchpadSpec, bars: np.ndarray, shift: int) -> np.ndarray:
    """``bars`` (``(M, N)`` words) moved up ``shift`` semitones (down when negative), the rows pushed past
    either end folded back in by an octave; needs ``spec.n_notes >= 12``."""
    bars = np.asarray(bars, dtype=np.uint64)
    moved = np.zeros_like(bars)
    for row, target in enumerate(fold_pitches(spec.pitches + shift, spec)):
        moved[:, target] |= bars[:, row]
    return moved


def source_prefers_up(corpus: Corpus) -> np.ndarray:
    """``(S, 12)`` bool: whether source ``s`` keeps at least as many of its cells inside the rows moved up ``k``
    semitones as moved down ``12 - k`` (column ``k``; a tie: the smaller move, then up; column 0 unused)."""
    spec, n_sources = corpus.spec, len(corpus.sources)
    cells = np.zeros((n_sources, spec.n_notes), dtype=np.int64)
    np.add.at(cells, corpus.source_index, np.bitwise_count(corpus.bars).astype(np.int64))
    rows = np.arange(spec.n_notes)
    up = np.ones((n_sources, KEYS), dtype=bool)
    for k in range(1, KEYS):
        outside_up = cells[:, rows + k >= spec.n_notes].sum(axis=1)
        outside_down = cells[:, rows + k - KEYS < 0].sum(axis=1)
        up[:, k] = (outside_up < outside_down) | ((outside_up == outside_down) & (k <= KEYS - k))
    return up


def transpose_key(spec: LaunchpadSpec, bars: np.ndarray, k: int, prefer_up: np.ndarray) -> np.ndarray:
    """``bars`` with their pitch classes moved up ``k`` semitones: each bar up ``k`` or down ``12 - k``, the one
    that keeps more of its cells, a tie going up where ``prefer_up`` (``(M,)`` bool)."""
    up, down = transpose_rows(spec, bars, k), transpose_rows(spec, bars, k - KEYS)
    kept_up, kept_down = np.bitwise_count(up).sum(axis=1), np.bitwise_count(down).sum(axis=1)
    choose_up = (kept_up > kept_down) | ((kept_up == kept_down) & prefer_up)
    return np.where(choose_up[:, None], up, down)


def in_all_keys(corpus: Corpus) -> Corpus:
    """``corpus`` plus each of its bars in the 11 other keys (the module docstring says how); a corpus that
    already holds all keys is returned as it is. Refuses a launchpad of fewer than 12 rows (an octave)."""
    if corpus.metadata.get("all_keys"):
        return corpus
    return _all_keys_cached(corpus.hash, corpus)


@functools.lru_cache(maxsize=8)
def _all_keys_cached(_hash: str, corpus: Corpus) -> Corpus:
    # Keyed by hash (the bars and counts) too: every env of a vector env transposes the same corpus once.
    spec, n_sources = corpus.spec, len(corpus.sources)
    if spec.n_notes < KEYS:
        raise CorpusError(f"all_keys needs a launchpad of at least {KEYS} pitch rows (an octave, so every note "
                          f"has a row in every key); this corpus is for {spec}")
    prefer_up = source_prefers_up(corpus)
    bars, source_index = [corpus.bars], [corpus.source_index]
    for k in range(1, KEYS):
        bars.append(transpose_key(spec, corpus.bars, k, prefer_up[corpus.source_index, k]))
        source_index.append(corpus.source_index + k * n_sources)
    names = corpus.sources.tolist()
    sources = names + [f"{name} (key +{k})" for k in range(1, KEYS) for name in names]
    unique, counts, index, numbers = distinct_bars(np.concatenate(bars), np.tile(corpus.counts, KEYS),
                                                   np.concatenate(source_index), np.tile(corpus.bar_number, KEYS))
    metadata = {**corpus.metadata, "all_keys": {
        "key_steps": list(range(KEYS)), "sources_per_key": n_sources, "from_hash": corpus.hash,
        "rule": "source s with its pitch classes up k semitones is source s + k * sources_per_key; each bar moved "
                "up k or down 12-k, whichever keeps more cells (a tie: the way its source keeps more in the rows); "
                "notes pushed out of the rows folded in by an octave",
    }}
    return Corpus(spec, unique, counts, np.array(sources), index, numbers, metadata)
