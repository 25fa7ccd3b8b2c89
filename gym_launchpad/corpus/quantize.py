"""Notes in ticks -> bar words: the bar grid, quantisation and the keep rules every corpus builder shares.

Every builder reduces its source to the same thing: notes as integer ``[start, end)`` ticks with a
pitch (a :class:`~gym_launchpad.midi.read.ScoreNotes`), and the score's bar lines in ticks with each
bar's meter. :func:`quantize_bars` turns those into bar words (one implementation for every source) and
:func:`keep_bars` applies the keep filters.

Quantization, for a 4/4 bar starting at tick ``T`` and ``L`` ticks long (``q = L / steps``): a note
``[a, b)`` fills the steps ``s0 .. s1 - 1`` of that bar, clipped to ``[0, steps)``, where
``s0 = round((a - T) / q)`` and ``s1 = max(round((b - T) / q), s0 + 1)`` (round half up). A held note
fills every step it sounds; a note that crosses a bar line is split across both bars. Bar lines come
from the time-signature map in ticks, so tempo changes never move them.

A corpus stores one of two kinds of cells (:data:`CELLS`): ``"sounding"`` (the paper's piano roll: every
step a note sounds) or ``"onsets"`` (only the step each note starts, a struck key, which is what a
launchpad pattern triggers). The keep rules count both kinds whichever is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.read import MidiReadError, ScoreNotes

#: A bar is kept when it has at least this many sounding cells ...
DEFAULT_MIN_CELLS = 20
#: ... and at least this many distinct pitches.
DEFAULT_MIN_PITCHES = 2

#: Beyond this many bars a file's time map is corrupt (about 40 hours of 4/4 at 120 bpm).
MAX_BARS_PER_FILE = 100_000

#: What a cell of a stored bar is: a step where a note sounds, or a step where a note starts.
CELLS = ("sounding", "onsets")

_ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


@dataclass(frozen=True)
class BarOptions:
    """How notes become kept bars.

    Attributes:
        fold: move pitches outside the spec's range into it by octaves (True) or drop them (False).
        min_cells: keep a bar with at least this many sounding (pitch, step) cells.
        min_pitches: keep a bar with at least this many distinct pitches.
        min_onsets: keep a bar with at least this many note onsets (distinct (pitch, step) starts);
            set ``min_cells=0, min_onsets=20`` to count onsets instead of cells.
        per_track: one bar per instrument track (the authors' layout) instead of all tracks merged.
        cells: what the stored bars hold, one of :data:`CELLS`: ``"sounding"`` cells (the paper's, the
            default) or note ``"onsets"``.
    """

    fold: bool = True
    min_cells: int = DEFAULT_MIN_CELLS
    min_pitches: int = DEFAULT_MIN_PITCHES
    min_onsets: int = 0
    per_track: bool = False
    cells: str = "sounding"

    def __post_init__(self):
        if self.cells not in CELLS:
            raise ValueError(f"BarOptions.cells must be one of {', '.join(map(repr, CELLS))}, got {self.cells!r}")
        for name in ("min_cells", "min_pitches", "min_onsets"):
            if getattr(self, name) < 0:
                raise ValueError(f"BarOptions.{name} must be >= 0, got {getattr(self, name)}")


def fold_pitches(pitches, spec: LaunchpadSpec, fold: bool = True) -> np.ndarray:
    """Row index of each MIDI pitch in ``spec``'s range, or -1 for a pitch that is dropped.

    Folding moves a pitch by whole octaves to the nearest octave inside the range; a pitch class the
    range does not hold (ranges narrower than an octave) is dropped.
    """
    rows = np.asarray(pitches, dtype=np.int64) - spec.low_note
    if fold:
        below, above = rows < 0, rows >= spec.n_notes
        rows = np.where(below, rows + 12 * ((-rows + 11) // 12), rows)
        rows = np.where(above, rows - 12 * ((rows - spec.n_notes) // 12 + 1), rows)
    return np.where((rows >= 0) & (rows < spec.n_notes), rows, -1)


def _round_half_up_div(numerator, denominator):
    """``round(numerator / denominator)`` with halves rounded up, exactly, for integer arrays."""
    return np.floor_divide(2 * numerator + denominator, 2 * denominator)


def quantize_bars(spec: LaunchpadSpec, starts, ends, pitches, bar_starts, bar_ticks, *, fold: bool = True):
    """Bar words of notes ``[starts, ends)`` (ticks) in the bars starting at ``bar_starts``.

    Args:
        spec: the launchpad spec (range and steps per bar).
        starts, ends, pitches: ``(M,)`` integer note ticks and MIDI pitches.
        bar_starts, bar_ticks: ``(K,)`` integer start tick and length of each bar to quantize
            (increasing, not overlapping; other bars of the score are simply left out).
        fold: fold out-of-range pitches by octave (True) or drop them.

    Returns:
        ``(words, onsets)``: ``(K, N)`` uint64 sounding cells and note-onset cells of each bar.
    """
    steps = spec.steps
    bar_starts = np.asarray(bar_starts, dtype=np.int64)
    bar_ticks = np.asarray(bar_ticks, dtype=np.int64)
    words = np.zeros((len(bar_starts), spec.n_notes), dtype=np.uint64)
    onsets = np.zeros_like(words)
    rows = fold_pitches(pitches, spec, fold)
    keep = (rows >= 0) & (np.asarray(ends) > np.asarray(starts))
    starts = np.asarray(starts, dtype=np.int64)[keep]
    ends = np.asarray(ends, dtype=np.int64)[keep]
    rows = rows[keep]
    if not len(starts) or not len(bar_starts):
        return words, onsets
    # A note can round into a neighbouring bar by half a step; a margin of one bar finds every candidate.
    margin = int(bar_ticks.max())
    first = np.searchsorted(bar_starts + bar_ticks, starts - margin, side="right")
    last = np.searchsorted(bar_starts, ends + margin, side="left")
    n_candidates = np.maximum(last - first, 0)
    note = np.repeat(np.arange(len(starts)), n_candidates)
    bar = np.arange(len(note)) - np.repeat(np.cumsum(n_candidates) - n_candidates, n_candidates)
    bar += first[note]
    origin, length = bar_starts[bar], bar_ticks[bar]
    s0 = _round_half_up_div((starts[note] - origin) * steps, length)
    s1 = np.maximum(_round_half_up_div((ends[note] - origin) * steps, length), s0 + 1)
    lo, hi = np.clip(s0, 0, steps), np.clip(s1, 0, steps)
    inside = hi > lo
    width = (hi - lo)[inside].astype(np.uint64)
    cells = (_ALL_ONES >> (np.uint64(64) - width)) << lo[inside].astype(np.uint64)
    np.bitwise_or.at(words, (bar[inside], rows[note][inside]), cells)
    starts_here = (s0 >= 0) & (s0 < steps)
    np.bitwise_or.at(onsets, (bar[starts_here], rows[note][starts_here]),
                     np.uint64(1) << s0[starts_here].astype(np.uint64))
    return words, onsets


def keep_bars(words, onsets, options: BarOptions) -> np.ndarray:
    """``(K,)`` bool: the bars that pass the note-count and distinct-pitch filters of ``options``."""
    cells = np.bitwise_count(words).sum(axis=-1)
    pitches = (words != 0).sum(axis=-1)
    n_onsets = np.bitwise_count(onsets).sum(axis=-1)
    return (cells >= options.min_cells) & (pitches >= options.min_pitches) & (n_onsets >= options.min_onsets)


@dataclass(frozen=True)
class BarGrid:
    """The bar lines of a score in ticks: each bar's start, length and meter."""

    starts: np.ndarray  # (B,) int64
    lengths: np.ndarray  # (B,) int64
    numerators: np.ndarray  # (B,) int64
    denominators: np.ndarray  # (B,) int64
    complete: np.ndarray  # (B,) bool: False for a bar cut short by the next time signature

    @property
    def is_4_4(self) -> np.ndarray:
        return (self.numerators == 4) & (self.denominators == 4) & self.complete


def bar_grid(ticks_per_quarter: int, time_signatures, end_tick: int) -> BarGrid:
    """Bar lines from ``(tick, numerator, denominator)`` time signatures, covering ``[0, end_tick)``.

    A file without a time signature is in 4/4 (the MIDI default). A time signature that arrives in the
    middle of a bar starts a new bar there; the bar it cut short is marked incomplete.
    """
    changes = {}
    for tick, numerator, denominator in sorted(time_signatures, key=lambda change: change[0]):
        if numerator < 1 or denominator < 1:
            raise MidiReadError("bad time signature", f"{numerator}/{denominator} at tick {tick}")
        changes[int(tick)] = (int(numerator), int(denominator))  # the last of one tick wins
    if 0 not in changes:
        changes[0] = (4, 4)
    change_ticks = sorted(changes)
    starts, lengths, meters, complete = [], [], [], []
    for i, tick in enumerate(change_ticks):
        numerator, denominator = changes[tick]
        next_change = change_ticks[i + 1] if i + 1 < len(change_ticks) else None
        bar = Fraction(4 * ticks_per_quarter * numerator, denominator)
        position = Fraction(tick)
        while position < end_tick and (next_change is None or position < next_change):
            stop = position + bar if next_change is None else min(position + bar, Fraction(next_change))
            starts.append(position)
            lengths.append(stop - position)
            meters.append((numerator, denominator))
            complete.append(stop - position == bar)
            position = stop
            if len(starts) > MAX_BARS_PER_FILE:
                raise MidiReadError("corrupt timing", f"more than {MAX_BARS_PER_FILE} bars")
    meter_table = np.array(meters, dtype=np.int64).reshape(-1, 2)
    return BarGrid(np.array([round(s) for s in starts], dtype=np.int64),
                   np.array([round(n) for n in lengths], dtype=np.int64),
                   meter_table[:, 0], meter_table[:, 1], np.array(complete, dtype=bool))


@dataclass
class FileBars:
    """The bars read from one file: words, bar numbers, and counts of the file's bars (``stats``: all bars,
    complete 4/4 bars, bars skipped for another meter or for being cut short, bars kept)."""

    words: np.ndarray  # (K, N) uint64
    bar_number: np.ndarray  # (K,) int64
    stats: dict = field(default_factory=dict)


def score_bars(spec: LaunchpadSpec, notes: ScoreNotes, options: BarOptions, grid: BarGrid | None = None,
               bar_numbers=None) -> FileBars:
    """Quantize the complete 4/4 bars of a score, apply the filters, and count what was skipped.

    The words are the kept bars' sounding cells or onsets, as ``options.cells`` says.

    ``grid`` defaults to the bar grid of the score's time signatures; ``bar_numbers`` (one per grid
    bar) default to positions in the grid.
    """
    end_tick = int(notes.ends.max()) if len(notes.ends) else 0
    if grid is None:
        grid = bar_grid(notes.ticks_per_quarter, notes.time_signatures, end_tick)
    numbers = np.arange(len(grid.starts)) if bar_numbers is None else np.asarray(bar_numbers, dtype=np.int64)
    in_4_4 = grid.is_4_4
    groups = [np.arange(len(notes.starts))]
    if options.per_track:
        groups = [np.flatnonzero(notes.tracks == track) for track in np.unique(notes.tracks)]
    word_parts, number_parts = [], []
    for group in groups:
        group_words, group_onsets = quantize_bars(
            spec, notes.starts[group], notes.ends[group], notes.pitches[group],
            grid.starts[in_4_4], grid.lengths[in_4_4], fold=options.fold)
        kept = keep_bars(group_words, group_onsets, options)
        word_parts.append((group_onsets if options.cells == "onsets" else group_words)[kept])
        number_parts.append(numbers[in_4_4][kept])
    words = np.concatenate(word_parts) if word_parts else np.zeros((0, spec.n_notes), dtype=np.uint64)
    bar_number = np.concatenate(number_parts) if number_parts else np.zeros(0, dtype=np.int64)
    stats = {"bars": len(grid.starts), "bars_4_4": int(in_4_4.sum()), "bars_other_meter": int((~in_4_4).sum()),
             "bars_kept": len(words)}
    return FileBars(words, bar_number, stats)
