"""The shipped corpus: every kept 4/4 bar of the Bach chorales in the music21 corpus.

music21 (``pip install gym_launchpad[build]``) is imported only when a chorale is read, never at
import time; ``scripts/build_default_corpus.py`` rebuilds ``gym_launchpad/data/bach_chorales.npz``.
"""

from __future__ import annotations

from dataclasses import asdict
from fractions import Fraction
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from gym_launchpad.corpus.corpus import Corpus
from gym_launchpad.corpus.keys import in_all_keys
from gym_launchpad.corpus.quantize import BarGrid, BarOptions, FileBars, score_bars
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.read import MidiReadError, ScoreNotes

#: Ticks per quarter note used for scores that carry no ticks of their own (music21).
SCORE_TICKS_PER_QUARTER = 480

#: The builder named in the shipped corpus's metadata: its name before the corpus package existed, kept
#: so that a rebuild of ``bach_chorales.npz`` stays byte for byte the shipped file.
BUILDER_NAME = "gym_launchpad.corpus_build.build_bach_corpus"
#: What ``launchpad corpus info`` says built a corpus whose metadata names ``BUILDER_NAME``: the function as it is
#: named now, and the command that runs it.
BUILDER = f"{__name__}.build_bach_corpus (python scripts/build_default_corpus.py)"

#: Files music21 lists under Bach that are not chorales.
NOT_CHORALES = frozenset({"bwv846.mxl"})


def bach_chorale_paths() -> list[Path]:
    """The ``.mxl`` Bach chorales of the music21 corpus, sorted (``.krn`` encodings carry a CCARH notice).

    music21 files the Prelude in C major (``bwv846.mxl``) beside the chorales; it is not a chorale, and
    its arpeggios fit the launchpad's periodic patterns unusually well, so it is left out.
    """
    from music21 import corpus as m21_corpus  # optional: gym_launchpad[build]

    return sorted(path for path in m21_corpus.getComposer("bach")
                  if path.suffix == ".mxl" and path.name not in NOT_CHORALES)


def music21_corpus_root() -> Path:
    """The folder that the music21 corpus's paths are relative to (``bach/bwv1.6.mxl``)."""
    from music21 import corpus as m21_corpus  # optional: gym_launchpad[build]

    return Path(m21_corpus.__file__).parent


def score_notes_from_music21(score) -> tuple[ScoreNotes, BarGrid, np.ndarray]:
    """Notes, measure grid and measure numbers of a music21 score, in ``SCORE_TICKS_PER_QUARTER`` ticks.

    The grid is the first part's measures at their own offsets, so a pickup (or any measure shorter
    than its time signature) is an incomplete bar and never quantized as a 4/4 bar.
    """
    from music21 import stream  # optional: gym_launchpad[build]

    def ticks(quarter_length) -> int:
        return round(Fraction(quarter_length) * SCORE_TICKS_PER_QUARTER)

    measures = list(score.parts[0].getElementsByClass(stream.Measure))
    starts, lengths, meters, complete, numbers = [], [], [], [], []
    time_signature = None
    for i, measure in enumerate(measures):
        time_signature = measure.timeSignature or time_signature
        if time_signature is None:
            raise MidiReadError("no time signature", f"measure {measure.number} has none in effect")
        end = measures[i + 1].offset if i + 1 < len(measures) else measure.offset + measure.quarterLength
        starts.append(ticks(measure.offset))
        lengths.append(ticks(end) - ticks(measure.offset))
        meters.append((time_signature.numerator, time_signature.denominator))
        complete.append(lengths[-1] == ticks(time_signature.barDuration.quarterLength))
        numbers.append(measure.number)
    meter_table = np.array(meters, dtype=np.int64).reshape(-1, 2)
    grid = BarGrid(np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64), meter_table[:, 0],
                   meter_table[:, 1], np.array(complete, dtype=bool))
    note_starts, note_ends, pitches, tracks = [], [], [], []
    for track, part in enumerate(score.parts):
        for note in part.flatten().notes:
            if note.duration.isGrace or note.quarterLength == 0:
                continue
            for pitch in note.pitches:
                note_starts.append(ticks(note.offset))
                note_ends.append(ticks(note.offset + note.quarterLength))
                pitches.append(pitch.midi)
                tracks.append(track)
    notes = ScoreNotes(SCORE_TICKS_PER_QUARTER, np.array(note_starts, dtype=np.int64),
                       np.array(note_ends, dtype=np.int64), np.array(pitches, dtype=np.int64),
                       np.array(tracks, dtype=np.int64), [])
    return notes, grid, np.array(numbers, dtype=np.int64)


def read_chorale_bars(path, spec: LaunchpadSpec, options: BarOptions | None = None) -> FileBars:
    """The kept 4/4 bars of one music21-readable score, numbered by their measure numbers."""
    from music21 import converter  # optional: gym_launchpad[build]

    notes, grid, numbers = score_notes_from_music21(converter.parse(str(path)))
    return score_bars(spec, notes, options or BarOptions(), grid=grid, bar_numbers=numbers)


def _read_chorale_task(task):
    path, spec, options = task
    return read_chorale_bars(path, spec, options)


def build_bach_corpus(spec: LaunchpadSpec | None = None, options: BarOptions | None = None,
                      limit: int | None = None, workers: int = 2, all_keys: bool = False) -> tuple[Corpus, dict]:
    """The corpus of every kept 4/4 bar of the music21 Bach chorales (``.mxl``), and build figures.

    Files are read in sorted order and their bars concatenated in that order, so the corpus (and its
    saved bytes) does not depend on ``workers``. ``all_keys`` adds every bar in the 11 other keys
    (:func:`gym_launchpad.corpus.keys.in_all_keys`).
    """
    import music21  # optional: gym_launchpad[build]

    spec, options = spec or LaunchpadSpec(), options or BarOptions()
    paths = bach_chorale_paths()[:limit]
    if not paths:
        raise RuntimeError("music21's corpus has no Bach chorales (.mxl): install music21 with its corpus")
    root = music21_corpus_root()
    tasks = [(path, spec, options) for path in paths]
    if workers > 1:
        with get_context().Pool(workers) as pool:
            results = pool.map(_read_chorale_task, tasks, chunksize=1)
    else:
        results = [_read_chorale_task(task) for task in tasks]
    sources = [path.relative_to(root).as_posix() for path in paths]
    words = np.concatenate([r.words for r in results])
    source_index = np.concatenate([np.full(len(r.words), i) for i, r in enumerate(results)])
    bar_number = np.concatenate([r.bar_number for r in results])
    totals = {key: sum(r.stats[key] for r in results) for key in results[0].stats}
    metadata = {
        "builder": BUILDER_NAME,
        "source": "J.S. Bach chorales (.mxl) from the music21 corpus",
        "music21_version": music21.__version__,
        "options": asdict(options),
        "cells": options.cells,
        "ticks_per_quarter": SCORE_TICKS_PER_QUARTER,
        "bar_number": "music21 measure number (a pickup is measure 0 and is never kept)",
        "files": len(paths),
        **totals,
    }
    corpus = Corpus.from_bars(spec, words, sources=np.array(sources), source_index=source_index,
                              bar_number=bar_number, metadata=metadata)
    return (in_all_keys(corpus) if all_keys else corpus), {"files": len(paths), **totals}


