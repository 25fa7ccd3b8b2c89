"""Build corpora of real 4/4 bars: from a folder of MIDI files, and the shipped Bach chorales.

Every builder reduces its source to the same thing: notes as integer ``[start, end)`` ticks with a
pitch, and the score's bar lines in ticks with each bar's meter. :func:`quantize_bars` turns those into
bar words (one implementation for every source) and :func:`keep_bars` applies the keep filters.

Quantization, for a 4/4 bar starting at tick ``T`` and ``L`` ticks long (``q = L / steps``): a note
``[a, b)`` fills the steps ``s0 .. s1 - 1`` of that bar, clipped to ``[0, steps)``, where
``s0 = round((a - T) / q)`` and ``s1 = max(round((b - T) / q), s0 + 1)`` (round half up). A held note
fills every step it sounds; a note that crosses a bar line is split across both bars. Bar lines come
from the time-signature map in ticks, so tempo changes never move them.

MIDI files are read with symusic when it is installed (``pip install gym_launchpad[fast]``) and with
pretty_midi otherwise; both give the same bars. Note pairing follows pretty_midi's rule (a note-off
ends every note of its pitch and channel that began before it), and symusic's notes are re-paired to
match it. music21 (``[build]``) is imported only by the Bach builder, never at import time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from multiprocessing import connection, get_context
from pathlib import Path

import numpy as np

from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec

#: Ticks per quarter note used for scores that carry no ticks of their own (music21).
SCORE_TICKS_PER_QUARTER = 480

#: A bar is kept when it has at least this many sounding cells ...
DEFAULT_MIN_CELLS = 20
#: ... and at least this many distinct pitches.
DEFAULT_MIN_PITCHES = 2

MIDI_SUFFIXES = (".mid", ".midi")

#: Beyond this many bars a file's time map is corrupt (about 40 hours of 4/4 at 120 bpm).
MAX_BARS_PER_FILE = 100_000

#: Seconds one file may take in a worker before it is killed and counted as ``timeout``.
DEFAULT_TIMEOUT = 60.0

_ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


# --- the shared core: notes in ticks -> bar words ------------------------------------------------------
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
    """

    fold: bool = True
    min_cells: int = DEFAULT_MIN_CELLS
    min_pitches: int = DEFAULT_MIN_PITCHES
    min_onsets: int = 0
    per_track: bool = False

    def __post_init__(self):
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


class MidiReadError(Exception):
    """A file that yields no bars, with a short ``reason`` (counted in build reports) and details."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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
    meters = np.array(meters, dtype=np.int64).reshape(-1, 2)
    return BarGrid(np.array([round(s) for s in starts], dtype=np.int64),
                   np.array([round(n) for n in lengths], dtype=np.int64),
                   meters[:, 0], meters[:, 1], np.array(complete, dtype=bool))


@dataclass
class ScoreNotes:
    """What every parser reduces a score to: pitched notes in integer ticks and the time signatures."""

    ticks_per_quarter: int
    starts: np.ndarray  # (M,) int64
    ends: np.ndarray  # (M,) int64
    pitches: np.ndarray  # (M,) int64
    tracks: np.ndarray  # (M,) int64, instrument index (for per-track bars)
    time_signatures: list  # [(tick, numerator, denominator)]


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
    words, bar_number = [], []
    for group in groups:
        group_words, group_onsets = quantize_bars(
            spec, notes.starts[group], notes.ends[group], notes.pitches[group],
            grid.starts[in_4_4], grid.lengths[in_4_4], fold=options.fold)
        kept = keep_bars(group_words, group_onsets, options)
        words.append(group_words[kept])
        bar_number.append(numbers[in_4_4][kept])
    words = np.concatenate(words) if words else np.zeros((0, spec.n_notes), dtype=np.uint64)
    bar_number = np.concatenate(bar_number) if bar_number else np.zeros(0, dtype=np.int64)
    stats = {"bars": len(grid.starts), "bars_4_4": int(in_4_4.sum()), "bars_other_meter": int((~in_4_4).sum()),
             "bars_kept": len(words)}
    return FileBars(words, bar_number, stats)


# --- the shipped corpus: Bach chorales from the music21 corpus -------------------------------------------
#: Files music21 lists under Bach that are not chorales.
NOT_CHORALES = frozenset({"bwv846.mxl"})


def bach_chorale_paths() -> list[Path]:
    """The ``.mxl`` Bach chorales of the music21 corpus, sorted (``.krn`` encodings carry a CCARH notice).

    music21 files the Prelude in C major (``bwv846.mxl``) beside the chorales; it is not a chorale, and
    its arpeggios fit the launchpad's periodic patterns unusually well, so it is left out.
    """
    from music21 import corpus as m21_corpus

    return sorted(path for path in m21_corpus.getComposer("bach")
                  if path.suffix == ".mxl" and path.name not in NOT_CHORALES)


def music21_corpus_root() -> Path:
    """The folder that the music21 corpus's paths are relative to (``bach/bwv1.6.mxl``)."""
    from music21 import corpus as m21_corpus

    return Path(m21_corpus.__file__).parent


def score_notes_from_music21(score) -> tuple[ScoreNotes, BarGrid, np.ndarray]:
    """Notes, measure grid and measure numbers of a music21 score, in ``SCORE_TICKS_PER_QUARTER`` ticks.

    The grid is the first part's measures at their own offsets, so a pickup (or any measure shorter
    than its time signature) is an incomplete bar and never quantized as a 4/4 bar.
    """
    from music21 import stream

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
    meters = np.array(meters, dtype=np.int64).reshape(-1, 2)
    grid = BarGrid(np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64), meters[:, 0],
                   meters[:, 1], np.array(complete, dtype=bool))
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
    from music21 import converter

    notes, grid, numbers = score_notes_from_music21(converter.parse(str(path)))
    return score_bars(spec, notes, options or BarOptions(), grid=grid, bar_numbers=numbers)


def _read_chorale_task(task):
    path, spec, options = task
    return read_chorale_bars(path, spec, options)


def build_bach_corpus(spec: LaunchpadSpec | None = None, options: BarOptions | None = None,
                      limit: int | None = None, workers: int = 2) -> tuple[Corpus, dict]:
    """The corpus of every kept 4/4 bar of the music21 Bach chorales (``.mxl``), and build figures.

    Files are read in sorted order and their bars concatenated in that order, so the corpus (and its
    saved bytes) does not depend on ``workers``.
    """
    import music21

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
        "builder": "gym_launchpad.corpus_build.build_bach_corpus",
        "source": "J.S. Bach chorales (.mxl) from the music21 corpus",
        "music21_version": music21.__version__,
        "options": asdict(options),
        "ticks_per_quarter": SCORE_TICKS_PER_QUARTER,
        "bar_number": "music21 measure number (a pickup is measure 0 and is never kept)",
        "files": len(paths),
        **totals,
    }
    corpus = Corpus.from_bars(spec, words, sources=np.array(sources), source_index=source_index,
                              bar_number=bar_number, metadata=metadata)
    return corpus, {"files": len(paths), **totals}


# --- reading one MIDI file ---------------------------------------------------------------------------------
PARSERS = ("symusic", "pretty_midi")

#: pretty_midi refuses files with a later tick than this (it allocates a tick-to-seconds table); the
#: symusic reader applies the same limit so that both parsers keep and fail the same files.
MAX_TICK = 10_000_000


def resolve_parser(parser: str = "auto") -> str:
    """``"symusic"`` when asked for or (``"auto"``) when installed, else ``"pretty_midi"``."""
    if parser == "auto":
        try:
            import symusic  # noqa: F401
        except ImportError:
            return "pretty_midi"
        return "symusic"
    if parser not in PARSERS:
        raise ValueError(f"parser must be 'auto', 'symusic' or 'pretty_midi', got {parser!r}")
    if parser == "symusic":
        try:
            import symusic  # noqa: F401
        except ImportError as error:
            from gymnasium.error import DependencyNotInstalled

            raise DependencyNotInstalled(
                "the symusic parser needs symusic: pip install gym_launchpad[fast] (or use parser='pretty_midi')"
            ) from error
    return parser


def parser_version(parser: str) -> str:
    module = __import__(parser)
    return getattr(module, "__version__", "unknown")


def check_midi_bytes(data: bytes) -> None:
    """Raise :class:`MidiReadError` for an empty, non-MIDI or truncated file, whatever the parser.

    Checking the chunk layout once here gives both parsers the same reasons for the same broken files.
    """
    if not data:
        raise MidiReadError("empty file")
    if data[:4] != b"MThd" or len(data) < 14:
        raise MidiReadError("not a MIDI file", f"starts with {data[:4]!r}, not b'MThd'")
    header_length = int.from_bytes(data[4:8], "big")
    n_tracks = int.from_bytes(data[10:12], "big")
    offset = 8 + header_length
    for track in range(n_tracks):
        if offset + 8 > len(data):
            raise MidiReadError("truncated", f"track {track + 1} of {n_tracks} is missing")
        length = int.from_bytes(data[offset + 4:offset + 8], "big")
        if offset + 8 + length > len(data):
            raise MidiReadError("truncated", f"track {track + 1} of {n_tracks} needs {length} bytes, "
                                f"{len(data) - offset - 8} left")
        offset += 8 + length


def _notes_symusic(data: bytes) -> ScoreNotes:
    import symusic

    score = symusic.Score.from_midi(data)
    starts, ends, pitches, tracks = [], [], [], []
    for index, track in enumerate(score.tracks):
        if track.is_drum or not len(track.notes):
            continue
        notes = track.notes.numpy()
        starts.append(notes["time"].astype(np.int64))
        ends.append(starts[-1] + notes["duration"].astype(np.int64))
        pitches.append(notes["pitch"].astype(np.int64))
        tracks.append(np.full(len(starts[-1]), index, dtype=np.int64))
    starts, ends, pitches, tracks = (np.concatenate(a) if a else np.zeros(0, dtype=np.int64)
                                     for a in (starts, ends, pitches, tracks))
    starts, ends, pitches, tracks = _pair_like_pretty_midi(starts, ends, pitches, tracks)
    signatures = [(ts.time, ts.numerator, ts.denominator) for ts in score.time_signatures]
    return ScoreNotes(int(score.ticks_per_quarter), starts, ends, pitches, tracks, signatures)


def _pair_like_pretty_midi(starts, ends, pitches, tracks):
    """Re-pair note-ons and note-offs with pretty_midi's rule: each note ends at the first note-off of its
    track and pitch after its start; a note that no later note-off ends is dropped.

    symusic pairs first-in first-out, which differs on overlapping notes of one pitch. The ticks of its
    notes' starts and ends are the file's note-ons and note-offs, so the pairing can be redone, except
    for note-ons that symusic found no note-off for: it drops them, and they stay lost.
    """
    key = tracks * 128 + pitches
    # Ticks are < 2**31 in symusic, so (key, tick) packs into one sortable int64.
    offs = np.unique(key << 31 | ends)
    # symusic keeps a note-on and note-off of one tick as a note of length 0; pretty_midi drops it.
    struck = ends > starts
    starts, pitches, tracks, key = starts[struck], pitches[struck], tracks[struck], key[struck]
    at = np.searchsorted(offs, key << 31 | starts, side="right")
    found = at < len(offs)
    found[found] = (offs[at[found]] >> 31) == key[found]
    paired_ends = offs[np.minimum(at, len(offs) - 1)] & ((1 << 31) - 1)
    return starts[found], paired_ends[found], pitches[found], tracks[found]


def _notes_pretty_midi(data: bytes) -> ScoreNotes:
    import io

    import mido
    import pretty_midi

    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except mido.KeySignatureError:
        # The key does not change a bar; read the file with its key signatures set to C major.
        midi = mido.MidiFile(file=io.BytesIO(_key_signatures_to_c(data)))
    with warnings.catch_warnings():
        # It warns of time signatures outside the first track; they are read from every track below.
        warnings.simplefilter("ignore", RuntimeWarning)
        score = pretty_midi.PrettyMIDI(mido_object=midi)
    # pretty_midi has turned the message times into absolute ticks, in every track.
    signatures = [(message.time, message.numerator, message.denominator)
                  for track in midi.tracks for message in track if message.type == "time_signature"]
    starts, ends, pitches, tracks = [], [], [], []
    for index, instrument in enumerate(score.instruments):
        if instrument.is_drum:
            continue
        for note in instrument.notes:
            starts.append(score.time_to_tick(note.start))
            ends.append(score.time_to_tick(note.end))
            pitches.append(note.pitch)
            tracks.append(index)
    arrays = (np.array(a, dtype=np.int64) for a in (starts, ends, pitches, tracks))
    return ScoreNotes(int(score.resolution), *arrays, signatures)


def _key_signatures_to_c(data: bytes) -> bytes:
    """``data`` with every key-signature meta event (``FF 59 02 sf mi``) set to C major."""
    data = bytearray(data)
    at = data.find(b"\xff\x59\x02")
    while at != -1 and at + 5 <= len(data):
        data[at + 3:at + 5] = b"\x00\x00"
        at = data.find(b"\xff\x59\x02", at + 5)
    return bytes(data)


def read_midi_notes(path, parser: str = "auto") -> ScoreNotes:
    """The pitched (non-drum) notes of a MIDI file in ticks, and its time signatures.

    Raises :class:`MidiReadError` with a short reason for a file that cannot be read.
    """
    parser = resolve_parser(parser)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise MidiReadError("unreadable", f"{type(error).__name__}: {error}") from error
    check_midi_bytes(data)
    try:
        notes = (_notes_symusic if parser == "symusic" else _notes_pretty_midi)(data)
    except Exception as error:  # noqa: BLE001 - a parser may raise anything on a broken file
        raise MidiReadError("parse error", f"{type(error).__name__}: {error}") from error
    for tick, numerator, denominator in notes.time_signatures:
        if numerator < 1 or denominator not in (1, 2, 4, 8, 16, 32, 64, 128):
            raise MidiReadError("bad time signature", f"{numerator}/{denominator} at tick {tick}")
    if len(notes.ends) and (notes.ends.max() > MAX_TICK or notes.starts.min() < 0):
        raise MidiReadError("corrupt timing", f"notes reach tick {notes.ends.max()} (limit {MAX_TICK})")
    if notes.ticks_per_quarter < 1:
        raise MidiReadError("corrupt timing", f"{notes.ticks_per_quarter} ticks per quarter note")
    return notes


def read_midi_bars(path, spec: LaunchpadSpec | None = None, *, parser: str = "auto", fold: bool = True,
                   min_cells: int = 0, min_pitches: int = 0, min_onsets: int = 0,
                   per_track: bool = False) -> FileBars:
    """The 4/4 bars of one MIDI file as bar words, with their bar numbers; unfiltered by default.

    Bar numbers count every bar of the file's time-signature grid from 0, whatever its meter, so bar
    ``i`` written by :mod:`gym_launchpad.midi` reads back as bar number ``i``. Raises
    :class:`MidiReadError` for a file that cannot be read.
    """
    options = BarOptions(fold=fold, min_cells=min_cells, min_pitches=min_pitches, min_onsets=min_onsets,
                         per_track=per_track)
    return score_bars(spec or LaunchpadSpec(), read_midi_notes(path, parser), options)


def find_midi_files(paths) -> list[tuple[Path, str]]:
    """``(path, source name)`` of every ``.mid``/``.midi`` file under ``paths`` (folders walked
    recursively), sorted by name; a folder's files are named relative to it."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend((file, file.relative_to(path).as_posix()) for file in path.rglob("*")
                         if file.suffix.lower() in MIDI_SUFFIXES and file.is_file())
        elif path.is_file():
            found.append((path, path.as_posix()))
        else:
            raise FileNotFoundError(f"no MIDI file or folder at {path}")
    return sorted(found, key=lambda item: item[1])


# --- building a corpus from many files ---------------------------------------------------------------------
def _read_for_build(path, spec: LaunchpadSpec, options: BarOptions, parser: str):
    """What a worker sends back for one file: ``("ok", words, bar_number, stats)`` or
    ``("failed", reason, detail)``; it never raises."""
    try:
        bars = score_bars(spec, read_midi_notes(path, parser), options)
    except MidiReadError as error:
        return ("failed", error.reason, error.detail)
    except Exception as error:  # noqa: BLE001 - one bad file must never end a build
        return ("failed", "error", f"{type(error).__name__}: {error}")
    return ("ok", bars.words, bars.bar_number, bars.stats)


def _worker_loop(conn, spec, options, parser):
    # Ctrl-C is the parent's to handle: it stops the build and saves what it has.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, path = task
        conn.send((index, _read_for_build(path, spec, options, parser)))


class _Worker:
    """One worker process with a pipe, and the file it is reading (if any) since when."""

    def __init__(self, context, args):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_loop, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.task, self.since = None, 0.0

    def give(self, task):
        self.task, self.since = task, time.monotonic()
        if task is not None:
            self.conn.send(task)

    def stop(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _run_workers(tasks, args, workers: int, timeout: float, on_result, stopped=lambda: False):
    """Read ``tasks`` (``(index, path)``) in ``workers`` processes, calling ``on_result(index, result)``
    until all are read or ``stopped()``.

    A file that takes longer than ``timeout`` seconds, or kills its worker, is reported as failed and
    its worker replaced, so no file can stop or hang the build.
    """
    context = get_context()
    queue = iter(tasks)
    pool = []
    try:
        for _ in range(max(1, min(workers, len(tasks)))):
            pool.append(_Worker(context, args))
            pool[-1].give(next(queue, None))
        while not stopped() and any(worker.task is not None for worker in pool):
            busy = [worker for worker in pool if worker.task is not None]
            connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5)
            for i, worker in enumerate(pool):
                if worker.task is None:
                    continue
                index = worker.task[0]
                if worker.conn.poll():
                    try:
                        _, result = worker.conn.recv()
                    except (EOFError, OSError):
                        pass  # the worker died mid-file: reported below once it has exited
                    else:
                        on_result(index, result)
                        worker.give(next(queue, None))
                        continue
                if not worker.process.is_alive():
                    failure = ("failed", "worker crashed", f"exit code {worker.process.exitcode}")
                elif time.monotonic() - worker.since > timeout:
                    failure = ("failed", "timeout", f"more than {timeout:g} s")
                else:
                    continue
                on_result(index, failure)
                worker.stop()
                pool[i] = _Worker(context, args)
                pool[i].give(next(queue, None))
    finally:
        for worker in pool:
            worker.stop()


class _BarAccumulator:
    """Distinct bars with counts and first occurrence, consolidated as files arrive in any order.

    The first occurrence is the smallest (file index, bar number), so the result does not depend on
    which worker finished first.
    """

    def __init__(self, n_notes: int, consolidate_every: int = 500_000):
        self.n_notes = n_notes
        self.consolidate_every = consolidate_every
        self._parts = []
        self._pending = 0

    def add(self, file_index: int, words: np.ndarray, bar_number: np.ndarray):
        if len(words):
            first = (np.int64(file_index) << 32) | bar_number.astype(np.int64)
            self._parts.append((words, np.ones(len(words), dtype=np.int64), first))
            self._pending += len(words)
            if self._pending >= self.consolidate_every:
                self._consolidate()

    def _consolidate(self):
        if len(self._parts) > 1:
            words = np.concatenate([p[0] for p in self._parts])
            counts = np.concatenate([p[1] for p in self._parts])
            first = np.concatenate([p[2] for p in self._parts])
            unique, inverse = np.unique(words, axis=0, return_inverse=True)
            inverse = inverse.ravel()
            merged_counts = np.bincount(inverse, weights=counts, minlength=len(unique)).astype(np.int64)
            merged_first = np.full(len(unique), np.iinfo(np.int64).max)
            np.minimum.at(merged_first, inverse, first)
            self._parts = [(unique, merged_counts, merged_first)]
        self._pending = 0

    def result(self):
        """``(bars, counts, file_index, bar_number)`` in order of first occurrence."""
        self._consolidate()
        if not self._parts:
            return (np.zeros((0, self.n_notes), dtype=np.uint64), *(np.zeros(0, dtype=np.int64),) * 3)
        words, counts, first = self._parts[0]
        order = np.argsort(first, kind="stable")
        return words[order], counts[order], first[order] >> 32, first[order] & 0xFFFF_FFFF

    @property
    def total(self) -> int:
        return sum(int(p[1].sum()) for p in self._parts)


class _Progress:
    """A tqdm bar when tqdm is installed, else a line every few seconds; silent when disabled."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.done = total, enabled, 0
        self.started = self.printed = time.monotonic()
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, unit="file", dynamic_ncols=True, file=sys.stderr)

    def update(self, bars: int, failures: int):
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(bars=bars, failed=failures, refresh=False)
            self.bar.update()
        elif self.enabled and (time.monotonic() - self.printed > 5 or self.done == self.total):
            self.printed = time.monotonic()
            rate = self.done / max(self.printed - self.started, 1e-9)
            print(f"{self.done}/{self.total} files ({rate:.1f} files/s), {bars} bars kept, {failures} failed",
                  file=sys.stderr)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class _StopOnCtrlC:
    """Turns the first Ctrl-C into a request to stop cleanly; a second one interrupts at once."""

    def __init__(self):
        self._requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        self._requested = True
        self.restore()

    def requested(self) -> bool:
        return self._requested

    def restore(self):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


@dataclass
class BuildResult:
    """A corpus built from MIDI files (None when no bar was kept) and the figures of the build."""

    corpus: Corpus | None
    report: dict


def build_from_midi(paths, spec: LaunchpadSpec | None = None, options: BarOptions | None = None, *,
                    parser: str = "auto", workers: int | None = None, limit: int | None = None,
                    sample: float | None = None, seed: int = 0, timeout: float = DEFAULT_TIMEOUT,
                    progress: bool = False) -> BuildResult:
    """Read every ``.mid``/``.midi`` file under ``paths`` into one corpus of kept 4/4 bars.

    Never stops on a bad file: each failure is counted by reason and listed in ``report["failures"]``.
    On Ctrl-C it stops reading and returns the bars read so far, with ``report["interrupted"] = True``.
    ``sample`` (a fraction, drawn with ``seed``) and then ``limit`` (the first N) take a reproducible
    subset of the sorted file list.
    """
    spec = spec or LaunchpadSpec()
    options = options or BarOptions()
    parser = resolve_parser(parser)
    files = find_midi_files(paths)
    if sample is not None:
        if not 0 < sample <= 1:
            raise ValueError(f"sample must be a fraction in (0, 1], got {sample}")
        chosen = np.random.default_rng(seed).choice(len(files), size=round(sample * len(files)), replace=False)
        files = [files[i] for i in sorted(chosen)]
    files = files[:limit]
    workers = workers or os.cpu_count() or 1
    accumulator = _BarAccumulator(spec.n_notes)
    totals = {"bars": 0, "bars_4_4": 0, "bars_other_meter": 0, "bars_kept": 0}
    failures, parsed = [], set()
    bar_progress = _Progress(len(files), progress)
    started = time.perf_counter()

    def on_result(index, result):
        if result[0] == "ok":
            _, words, bar_number, stats = result
            accumulator.add(index, words, bar_number)
            for key in totals:
                totals[key] += stats[key]
            parsed.add(index)
        else:
            failures.append((files[index][1], result[1], result[2]))
        bar_progress.update(totals["bars_kept"], len(failures))

    interrupt = _StopOnCtrlC()
    try:
        _run_workers([(i, path) for i, (path, _) in enumerate(files)], (spec, options, parser), workers,
                     timeout, on_result, stopped=interrupt.requested)
    finally:
        interrupt.restore()
        bar_progress.close()
    interrupted = interrupt.requested()
    seconds = time.perf_counter() - started
    failures.sort()
    by_reason = {}
    for _, reason, _ in failures:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    report = {
        "files": len(files), "files_read": len(parsed) + len(failures), "files_parsed": len(parsed),
        "files_failed": len(failures), "failures_by_reason": dict(sorted(by_reason.items())), **totals,
        "interrupted": interrupted, "seconds": round(seconds, 3),
        "files_per_second": round((len(parsed) + len(failures)) / max(seconds, 1e-9), 2),
        "failures": [list(failure) for failure in failures],
    }
    bars, counts, file_index, bar_number = accumulator.result()
    report["distinct_bars"] = len(bars)
    if not len(bars):
        return BuildResult(None, report)
    used, source_index = np.unique(file_index, return_inverse=True)
    metadata = {
        "builder": "gym_launchpad.corpus_build.build_from_midi",
        "parser": parser, "parser_version": parser_version(parser),
        "options": asdict(options), "sample": sample, "seed": seed if sample is not None else None,
        "limit": limit, "interrupted": interrupted,
        **{key: report[key] for key in ("files", "files_read", "files_parsed", "files_failed",
                                        "failures_by_reason", *totals)},
    }
    corpus = Corpus(spec, bars, counts, np.array([files[i][1] for i in used]), source_index.ravel(),
                    bar_number, metadata)
    return BuildResult(corpus, report)


def report_path(output) -> Path:
    """Where the build report of the corpus ``output`` goes: ``NAME.report.json`` beside it."""
    output = Path(output)
    return output.with_name(output.name.removesuffix(".npz") + ".report.json")


def write_report(report: dict, output) -> Path:
    path = report_path(output)
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path


# --- looking at a corpus -------------------------------------------------------------------------------------
def describe(corpus: Corpus) -> str:
    """A text summary: spec, hash, how it was built, sources, and the distributions of notes and pitches."""
    spec, counts = corpus.spec, corpus.counts
    cells = np.bitwise_count(corpus.bars).sum(axis=1)
    pitch_cells = (np.bitwise_count(corpus.bars) * counts[:, None]).sum(axis=0)
    weighted = np.repeat(cells, counts)
    meta = corpus.metadata
    lines = [
        f"bars: {len(corpus)} distinct, {corpus.total_count} with repeats, from {len(corpus.sources)} sources",
        f"spec: n_notes={spec.n_notes} bar_bits={spec.bar_bits} low_note={spec.low_note} ({spec.steps} steps a bar)",
        f"hash: {corpus.hash}",
        f"built by: {meta.get('builder', 'unknown')}"
        + (f" with {meta['parser']} {meta.get('parser_version', '')}" if "parser" in meta else "")
        + (f" (music21 {meta['music21_version']})" if "music21_version" in meta else ""),
        f"options: {json.dumps(meta.get('options', {}), sort_keys=True)}",
    ]
    if "failures_by_reason" in meta:
        lines.append(f"files: {meta.get('files')} read, {meta.get('files_failed')} failed "
                     f"{json.dumps(meta['failures_by_reason'], sort_keys=True)}"
                     + (" (interrupted)" if meta.get("interrupted") else ""))
    quantiles = np.percentile(weighted, [0, 10, 50, 90, 100]).astype(int)
    lines.append("note cells per bar (min/10%/median/90%/max): " + " / ".join(map(str, quantiles)))
    lines.append("pitch  share of note cells")
    share = pitch_cells / max(pitch_cells.sum(), 1)
    for row in range(spec.n_notes - 1, -1, -1):
        lines.append(f"{spec.low_note + row:5d}  {share[row]:6.1%} {'#' * round(share[row] * 200)}")
    return "\n".join(lines)


def plot_bars(corpus: Corpus, path, n: int = 4, seed: int = 0) -> Path:
    """A PNG of ``n`` bars drawn at random (with ``seed``), each titled with its source and bar number."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        from gymnasium.error import DependencyNotInstalled

        raise DependencyNotInstalled("the PNG needs matplotlib: pip install matplotlib") from error
    picks = np.sort(np.random.default_rng(seed).choice(len(corpus), size=min(n, len(corpus)), replace=False))
    figure, axes = plt.subplots(1, len(picks), figsize=(3.2 * len(picks), 3.2), squeeze=False)
    spec = corpus.spec
    for ax, i in zip(axes[0], picks, strict=True):
        ax.imshow(corpus.rolls(i), origin="lower", aspect="auto", cmap="Greys", interpolation="nearest",
                  extent=(0, spec.steps, spec.low_note - 0.5, spec.low_note + spec.n_notes - 0.5))
        source, bar = corpus.source_of(i)
        ax.set_title(f"{source}\nbar {bar} (x{corpus.counts[i]})", fontsize=8)
        ax.set_xticks(range(0, spec.steps + 1, spec.steps // 4))
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("MIDI pitch")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


# --- the command line: launchpad corpus build|info|merge -------------------------------------------------------
def add_cli(subparsers):
    """Register ``launchpad corpus build|info|merge``."""
    corpus_parser = subparsers.add_parser("corpus", help="build, inspect and merge corpora of bars")
    commands = corpus_parser.add_subparsers(dest="corpus_command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build a corpus from a folder of MIDI files",
                                description="Read every .mid/.midi file under DIR (recursively) into a corpus "
                                "of 4/4 bars; failures are counted and listed in OUTPUT.report.json.")
    build.add_argument("dirs", nargs="+", metavar="DIR", help="folders (or files) of MIDI files")
    build.add_argument("-o", "--output", required=True, type=Path, help="the corpus file to write (.npz)")
    build.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: every core)")
    build.add_argument("--parser", choices=("auto", *PARSERS), default="auto",
                       help="auto: symusic when installed, else pretty_midi")
    build.add_argument("--limit", type=int, default=None, help="only the first N files (sorted by name)")
    build.add_argument("--sample", type=float, default=None, metavar="FRACTION",
                       help="a random fraction of the files, drawn with --seed (before --limit)")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--drop-out-of-range", action="store_true",
                       help="drop pitches outside the range instead of folding them in by octave")
    build.add_argument("--min-cells", type=int, default=DEFAULT_MIN_CELLS, help="keep bars with this many note cells")
    build.add_argument("--min-pitches", type=int, default=DEFAULT_MIN_PITCHES,
                       help="keep bars with this many distinct pitches")
    build.add_argument("--min-onsets", type=int, default=0,
                       help="keep bars with this many note onsets (with --min-cells 0: count onsets instead)")
    build.add_argument("--per-track", action="store_true",
                       help="one bar per instrument track (the paper's layout) instead of all tracks merged")
    build.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds a file may take")
    build.add_argument("--n-notes", type=int, default=LaunchpadSpec.n_notes)
    build.add_argument("--bar-bits", type=int, default=LaunchpadSpec.bar_bits)
    build.add_argument("--low-note", type=int, default=LaunchpadSpec.low_note)
    build.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    build.set_defaults(run=_cli_build)

    info = commands.add_parser("info", help="summarize a corpus file")
    info.add_argument("file", type=Path)
    info.add_argument("--png", type=Path, default=None, help="also draw a few bars with their sources here")
    info.add_argument("--bars", type=int, default=4, help="how many bars the PNG shows")
    info.set_defaults(run=_cli_info)

    merge = commands.add_parser("merge", help="merge corpora of one spec into one")
    merge.add_argument("files", nargs="+", type=Path, metavar="FILE")
    merge.add_argument("-o", "--output", required=True, type=Path)
    merge.set_defaults(run=_cli_merge)


def _cli_build(args) -> int:
    from gym_launchpad.corpus import CorpusError

    try:
        spec = LaunchpadSpec(args.n_notes, args.bar_bits, args.low_note)
        options = BarOptions(fold=not args.drop_out_of_range, min_cells=args.min_cells,
                             min_pitches=args.min_pitches, min_onsets=args.min_onsets, per_track=args.per_track)
        result = build_from_midi(args.dirs, spec, options, parser=args.parser, workers=args.workers,
                                 limit=args.limit, sample=args.sample, seed=args.seed, timeout=args.timeout,
                                 progress=not args.quiet)
    except (ValueError, FileNotFoundError) as error:
        print(f"launchpad corpus build: {error}", file=sys.stderr)
        return 2
    report = result.report
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report_file = write_report(report, args.output)
    print(f"{report['files_read']} of {report['files']} files in {report['seconds']:.1f} s "
          f"({report['files_per_second']:.1f} files/s): {report['files_parsed']} parsed, "
          f"{report['files_failed']} failed {json.dumps(report['failures_by_reason'])}")
    print(f"bars: {report['bars_4_4']} in 4/4, {report['bars_other_meter']} in other meters skipped, "
          f"{report['bars_kept']} kept, {report['distinct_bars']} distinct")
    if result.corpus is None:
        print(f"no bar was kept, so no corpus was written; see {report_file}", file=sys.stderr)
        return 1
    try:
        path = result.corpus.save(args.output)
    except CorpusError as error:
        print(f"launchpad corpus build: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({path.stat().st_size} bytes, hash {result.corpus.hash[:16]}) and {report_file}")
    if report["interrupted"]:
        print(f"interrupted: the corpus holds the {report['files_read']} files read before Ctrl-C, "
              f"not all {report['files']}", file=sys.stderr)
        return 130
    return 0


def _cli_info(args) -> int:
    from gym_launchpad.corpus import CorpusError

    try:
        corpus = Corpus.load(args.file)
    except CorpusError as error:
        print(f"launchpad corpus info: {error}", file=sys.stderr)
        return 2
    print(f"file: {args.file} ({args.file.stat().st_size} bytes)")
    print(describe(corpus))
    if args.png is not None:
        print(f"wrote {plot_bars(corpus, args.png, n=args.bars)}")
    return 0


def _cli_merge(args) -> int:
    from gym_launchpad.corpus import CorpusError

    try:
        merged = Corpus.merge(Corpus.load(path) for path in args.files)
    except CorpusError as error:
        print(f"launchpad corpus merge: {error}", file=sys.stderr)
        return 2
    path = merged.save(args.output)
    print(f"wrote {path}: {len(merged)} distinct bars ({merged.total_count} with repeats) from "
          f"{len(args.files)} corpora, hash {merged.hash[:16]}")
    return 0


def from_midi(paths, spec: LaunchpadSpec | None = None, *, fold: bool = True, min_cells: int = DEFAULT_MIN_CELLS,
              min_pitches: int = DEFAULT_MIN_PITCHES, min_onsets: int = 0, per_track: bool = False,
              **build_args) -> Corpus:
    """:meth:`Corpus.from_midi`: the corpus of :func:`build_from_midi`, or a ``CorpusError`` if no bar was kept."""
    from gym_launchpad.corpus import CorpusError

    options = BarOptions(fold=fold, min_cells=min_cells, min_pitches=min_pitches, min_onsets=min_onsets,
                         per_track=per_track)
    result = build_from_midi(paths, spec, options, **build_args)
    if result.corpus is None:
        report = result.report
        raise CorpusError(f"no bar was kept from {report['files']} MIDI files ({report['files_failed']} failed: "
                          f"{report['failures_by_reason']}); check the folder or relax the filters")
    return result.corpus
