"""Build a corpus of real 4/4 bars from a folder of MIDI files.

Files are walked (iteratively, so no depth of folders ends the build) and read in worker processes, so a
file that hangs, crashes its parser or needs too much memory costs one file, never the build: each file's
bars and notes are capped and each worker's memory is limited where the OS allows it. Workers die with
the build. A first Ctrl-C, SIGTERM or SIGHUP stops reading and keeps the bars read so far. The report counts every
failure and every skipped entry by reason. :func:`describe` and :func:`plot_bars` look at the result.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.atomic_file import atomic_path, is_temporary, write_atomically
from gym_launchpad.corpus.chorales import BUILDER, BUILDER_NAME
from gym_launchpad.corpus.corpus import Corpus, CorpusError
from gym_launchpad.corpus.keys import in_all_keys
from gym_launchpad.corpus.quantize import (
    DEFAULT_MIN_CELLS,
    DEFAULT_MIN_PITCHES,
    BarOptions,
    FileBars,
    bar_grid,
    score_bars,
)
from gym_launchpad.corpus.workers import STOP_SIGNALS, run_workers
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.read import MidiReadError, parser_version, read_midi_notes, resolve_parser

MIDI_SUFFIXES = (".mid", ".midi")
#: Seconds one file may take in a worker before it is killed and counted as ``timeout``.
DEFAULT_TIMEOUT = 60.0
#: Bars and notes one file may have (far beyond any score: 4,000 bars of 4/4 last over two hours at
#: 120 bpm); a file past either is counted as ``too many bars`` / ``too many notes``, so a few KB of MIDI
#: cannot fill the memory or stuff the corpus with copies of one bar.
DEFAULT_MAX_BARS = 4_000
DEFAULT_MAX_NOTES = 200_000
#: MB of memory a worker may take on top of what it starts with (0: no limit); a file that needs more is
#: counted as ``out of memory``.
DEFAULT_MAX_MEMORY_MB = 2048
#: Copies of one bar one file may add (0: no cap); the rest are dropped and counted as ``bars_over_repeat_cap``,
#: so a file of one bar repeated thousands of times cannot take over the ``sampled`` reward's draws. Real music
#: stays below it: on Debian's simutrans-data and mma MIDI files a bar repeats at most 12 times in a file with
#: tracks merged and 79 times with ``--per-track`` (see docs/corpus.md).
DEFAULT_MAX_REPEATS_PER_FILE = 128


def read_midi_bars(path, spec: LaunchpadSpec | None = None, *, parser: str = "auto", fold: bool = True,
                   min_cells: int = 0, min_pitches: int = 0, min_onsets: int = 0,
                   per_track: bool = False, cells: str = "sounding") -> FileBars:
    """The 4/4 bars of one MIDI file as bar words (``cells``: sounding cells or onsets), with their bar
    numbers; unfiltered by default.

    Bar numbers count every bar of the file's time-signature grid from 0, whatever its meter, so bar
    ``i`` written by :mod:`gym_launchpad.midi` reads back as bar number ``i``. Raises
    :class:`MidiReadError` for a file that cannot be read.
    """
    options = BarOptions(fold=fold, min_cells=min_cells, min_pitches=min_pitches, min_onsets=min_onsets,
                         per_track=per_track, cells=cells)
    return score_bars(spec or LaunchpadSpec(), read_midi_notes(path, parser), options)


def find_midi_files(paths, skipped: dict | None = None) -> list[tuple[Path, str]]:
    """``(path, source name)`` of every ``.mid``/``.midi`` file under ``paths`` (folders walked, however deep),
    sorted by name; a folder's files are named relative to it.

    What is passed over is counted by reason in ``skipped``: entries named like MIDI files that are not
    regular files (folders, broken links, fifos, ...), folders that cannot be read, linked folders
    (never followed, so a link loop cannot trap the walk), and the temporary files of a MIDI file whose
    writer was killed (:func:`gym_launchpad.atomic_file.is_temporary`).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    skipped = {} if skipped is None else skipped
    found: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend((file, file.relative_to(path).as_posix()) for file in _walk(path, skipped))
        elif path.is_file():
            found.append((path, path.as_posix()))
        else:
            raise FileNotFoundError(f"no MIDI file or folder at {path}")
    return sorted(found, key=lambda item: item[1])


def _walk(root: Path, skipped: dict):
    """The MIDI files under ``root``, with a stack of folders instead of recursion."""

    def skip(reason):
        skipped[reason] = skipped.get(reason, 0) + 1

    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            skip("unreadable folder")
            continue
        for entry in entries:
            try:
                is_link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=False):
                    folders.append(Path(entry.path))
                    if Path(entry.name).suffix.lower() in MIDI_SUFFIXES:
                        skip("folder named like a MIDI file")
                    continue
                if Path(entry.name).suffix.lower() not in MIDI_SUFFIXES:
                    if is_link and entry.is_dir():
                        skip("linked folder (not followed)")
                    continue
                if is_temporary(entry.name):
                    skip("temporary file of an unfinished write")
                    continue
                mode = os.stat(entry.path).st_mode
            except FileNotFoundError:
                skip("broken link")
                continue
            except OSError:
                skip("unreadable entry")
                continue
            if stat.S_ISREG(mode):
                yield Path(entry.path)
            elif stat.S_ISDIR(mode):
                skip("linked folder (not followed)")
            else:
                skip("not a regular file")


# --- building a corpus from many files ---------------------------------------------------------------------
@dataclass(frozen=True)
class FileLimits:
    """What one file may cost: bars of its bar grid, notes, MB of worker memory (0: no memory limit), and the
    copies of one bar it may add to the corpus (0: no cap; copies past it are dropped, not the file)."""

    max_bars: int = DEFAULT_MAX_BARS
    max_notes: int = DEFAULT_MAX_NOTES
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB
    max_repeats_per_file: int = DEFAULT_MAX_REPEATS_PER_FILE

    def __post_init__(self):
        for name in ("max_bars", "max_notes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("max_memory_mb", "max_repeats_per_file"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (0: no limit), got {getattr(self, name)}")


def count_repeats(bars: FileBars, max_repeats: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """One file's bars as ``(distinct words, counts, first bar number, copies dropped)``, each count capped at
    ``max_repeats`` (0: no cap)."""
    words, inverse, counts = np.unique(bars.words, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    first = np.full(len(words), np.iinfo(np.int64).max)
    np.minimum.at(first, inverse, bars.bar_number.astype(np.int64))
    capped = np.minimum(counts, max_repeats) if max_repeats else counts
    return words, capped.astype(np.int64), first, int(counts.sum() - capped.sum())


def _read_for_build(path, spec: LaunchpadSpec, options: BarOptions, parser: str, limits: FileLimits):
    """What a worker sends back for one file: ``("ok", words, counts, bar_number, stats)`` (distinct bars, each
    count capped at ``limits.max_repeats_per_file``) or ``("failed", reason, detail)``; it never raises."""
    try:
        notes = read_midi_notes(path, parser)
        if len(notes.starts) > limits.max_notes:
            return ("failed", "too many notes", f"{len(notes.starts)} notes, more than {limits.max_notes}")
        end_tick = int(notes.ends.max()) if len(notes.ends) else 0
        # At least this many bars, from the longest bar any of its meters makes: refused before the grid is
        # laid bar by bar.
        longest = max([4 * notes.ticks_per_quarter * num / den for _, num, den in notes.time_signatures if den > 0]
                      + [4 * notes.ticks_per_quarter])
        if end_tick / longest > limits.max_bars:
            return ("failed", "too many bars", f"at least {int(end_tick / longest)} bars, more than {limits.max_bars}")
        grid = bar_grid(notes.ticks_per_quarter, notes.time_signatures, end_tick)
        if len(grid.starts) > limits.max_bars:
            return ("failed", "too many bars", f"{len(grid.starts)} bars, more than {limits.max_bars}")
        bars = score_bars(spec, notes, options, grid=grid)
        words, counts, bar_number, dropped = count_repeats(bars, limits.max_repeats_per_file)
    except MidiReadError as error:
        return ("failed", error.reason, error.detail)
    except MemoryError:
        return ("failed", "out of memory", f"needs more than the worker's {limits.max_memory_mb} MB")
    except Exception as error:  # noqa: BLE001 - one bad file must never end a build
        return ("failed", "error", f"{type(error).__name__}: {error}")
    stats = {**bars.stats, "bars_kept": bars.stats["bars_kept"] - dropped, "bars_over_repeat_cap": dropped}
    return ("ok", words, counts, bar_number, stats)


class _BarAccumulator:
    """Distinct bars with counts and first occurrence, consolidated as files arrive in any order.

    The first occurrence is the smallest (file index, bar number), so the result does not depend on
    which worker finished first.
    """

    def __init__(self, n_notes: int, consolidate_every: int = 500_000):
        self.n_notes = n_notes
        self.consolidate_every = consolidate_every
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (words, counts, first occurrence)
        self._pending = 0

    def add(self, file_index: int, words: np.ndarray, counts: np.ndarray, bar_number: np.ndarray):
        if len(words):
            first = (np.int64(file_index) << 32) | bar_number.astype(np.int64)
            self._parts.append((words, counts, first))
            self._pending += len(words)
            if self._pending >= self.consolidate_every:
                self._consolidate()

    def _consolidate(self):
        # Whatever arrived since the last call, even one file alone, may repeat a bar.
        if self._pending:
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
                from tqdm import tqdm  # optional: gym_launchpad[agents]
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, unit="file", dynamic_ncols=True, file=sys.stderr)

    def update(self, bars: int, failures: int):
        self.done += 1
        try:
            if self.bar is not None:
                self.bar.set_postfix(bars=bars, failed=failures, refresh=False)
                self.bar.update()
            elif self.enabled and (time.monotonic() - self.printed > 5 or self.done == self.total):
                self.printed = time.monotonic()
                rate = self.done / max(self.printed - self.started, 1e-9)
                print(f"{self.done}/{self.total} files ({rate:.1f} files/s), {bars} bars kept, {failures} failed",
                      file=sys.stderr)
        except OSError:  # the terminal is gone (SIGHUP): the build goes on and saves what it read, unseen
            self.bar, self.enabled = None, False

    def close(self):
        if self.bar is not None:
            try:
                self.bar.close()
            except OSError:
                pass


class _StopOnCtrlC:
    """Turns the first of :data:`STOP_SIGNALS` into a request to stop cleanly; a second one acts at once."""

    def __init__(self):
        self._requested = False
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}

    def _handle(self, signum, frame):
        self._requested = True
        self.restore()

    def requested(self) -> bool:
        return self._requested

    def restore(self):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


@dataclass
class BuildResult:
    """A corpus built from MIDI files (None when no bar was kept) and the figures of the build."""

    corpus: Corpus | None
    report: dict


def build_from_midi(paths, spec: LaunchpadSpec | None = None, options: BarOptions | None = None, *,
                    parser: str = "auto", workers: int | None = None, limit: int | None = None,
                    sample: float | None = None, seed: int = 0, timeout: float = DEFAULT_TIMEOUT,
                    limits: FileLimits | None = None, progress: bool = False, all_keys: bool = False) -> BuildResult:
    """Read every ``.mid``/``.midi`` file under ``paths`` into one corpus of kept 4/4 bars.

    Never stops on a bad file: each failure is counted by reason and listed in ``report["failures"]``,
    a file past ``limits`` (:class:`FileLimits`) among them; entries passed over by the walk are counted in
    ``report["skipped_by_reason"]``. Copies of one bar past ``limits.max_repeats_per_file`` in one file are
    dropped and counted in ``report["bars_over_repeat_cap"]`` (``report["bars_kept"]`` counts the bars the
    corpus holds, repeats included). On Ctrl-C, SIGTERM or SIGHUP it stops reading and returns the bars read so far,
    with ``report["interrupted"] = True``.
    ``sample`` (a fraction, drawn with ``seed``) and then ``limit`` (the first N) take a reproducible
    subset of the sorted file list. ``all_keys`` adds every bar in the 11 other keys
    (:func:`gym_launchpad.corpus.keys.in_all_keys`; ``report["distinct_bars_all_keys"]`` counts the result).
    """
    spec = spec or LaunchpadSpec()
    options = options or BarOptions()
    parser = resolve_parser(parser)
    limits = limits or FileLimits()
    skipped: dict[str, int] = {}
    files = find_midi_files(paths, skipped)
    if sample is not None:
        if not 0 < sample <= 1:
            raise ValueError(f"sample must be a fraction in (0, 1], got {sample}")
        chosen = np.random.default_rng(seed).choice(len(files), size=round(sample * len(files)), replace=False)
        files = [files[i] for i in sorted(chosen)]
    files = files[:limit]
    workers = workers or os.cpu_count() or 1
    accumulator = _BarAccumulator(spec.n_notes)
    totals = {"bars": 0, "bars_4_4": 0, "bars_other_meter": 0, "bars_kept": 0, "bars_over_repeat_cap": 0}
    failures, parsed = [], set()
    bar_progress = _Progress(len(files), progress)
    started = time.perf_counter()

    def on_result(index, result):
        if result[0] == "ok":
            _, words, counts, bar_number, stats = result
            accumulator.add(index, words, counts, bar_number)
            for key in totals:
                totals[key] += stats[key]
            parsed.add(index)
        else:
            failures.append((files[index][1], result[1], result[2]))
        bar_progress.update(totals["bars_kept"], len(failures))

    interrupt = _StopOnCtrlC()
    try:
        # _read_for_build is looked up now, not at import: a test swaps it for a misbehaving reader.
        run_workers([(i, path) for i, (path, _) in enumerate(files)], _read_for_build, (spec, options, parser, limits),
                    workers, timeout, on_result, stopped=interrupt.requested, max_memory_mb=limits.max_memory_mb)
    finally:
        interrupt.restore()
        bar_progress.close()
    interrupted = interrupt.requested()
    seconds = time.perf_counter() - started
    failures.sort()
    by_reason: dict[str, int] = {}
    for _, reason, _ in failures:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    report = {
        "files": len(files), "files_read": len(parsed) + len(failures), "files_parsed": len(parsed),
        "files_failed": len(failures), "failures_by_reason": dict(sorted(by_reason.items())),
        "skipped_by_reason": dict(sorted(skipped.items())), "limits": asdict(limits), **totals,
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
        "builder": "gym_launchpad.corpus.build.build_from_midi",
        "parser": parser, "parser_version": parser_version(parser),
        "options": asdict(options), "cells": options.cells, "sample": sample,
        "seed": seed if sample is not None else None,
        "limit": limit, "interrupted": interrupted,
        **{key: report[key] for key in ("files", "files_read", "files_parsed", "files_failed",
                                        "failures_by_reason", "skipped_by_reason", "limits", *totals)},
    }
    corpus = Corpus(spec, bars, counts, np.array([files[i][1] for i in used]), source_index.ravel(),
                    bar_number, metadata)
    if all_keys:
        corpus = in_all_keys(corpus)
        report["distinct_bars_all_keys"] = len(corpus)
    return BuildResult(corpus, report)


def report_path(output) -> Path:
    """Where the build report of the corpus ``output`` goes: ``NAME.report.json`` beside it."""
    output = Path(output)
    return output.with_name(output.name.removesuffix(".npz") + ".report.json")


def write_report(report: dict, output) -> Path:
    """Write ``report`` beside the corpus ``output`` (:func:`report_path`), replacing any old one at once.

    Write the corpus first and put its hash in the report (``report["corpus_hash"]``, None when no corpus was
    written): a report is then never newer than the corpus it describes, and a report beside a corpus with
    another hash (two builds of one path at once) says so.
    """
    return write_atomically(report_path(output), json.dumps(report, indent=1) + "\n")


# --- looking at a corpus -------------------------------------------------------------------------------------
def describe(corpus: Corpus) -> str:
    """A text summary: spec, hash, how it was built, sources, and the distributions of notes and pitches."""
    spec, counts = corpus.spec, corpus.counts
    cells = np.bitwise_count(corpus.bars).sum(axis=1)
    pitch_cells = (np.bitwise_count(corpus.bars) * counts[:, None].astype(np.float64)).sum(axis=0)
    meta = corpus.metadata
    builder = meta.get("builder", "unknown")
    builder = BUILDER if builder == BUILDER_NAME else builder  # the shipped files keep the name they were built by
    lines = [
        f"bars: {len(corpus)} distinct, {corpus.total_count} with repeats, from {len(corpus.sources)} sources",
        f"spec: n_notes={spec.n_notes} bar_bits={spec.bar_bits} low_note={spec.low_note} ({spec.steps} steps a bar)",
        f"hash: {corpus.hash}",
        f"built by: {builder}"
        + (f" with {meta['parser']} {meta.get('parser_version', '')}" if "parser" in meta else "")
        + (f" (music21 {meta['music21_version']})" if "music21_version" in meta else ""),
        f"cells: {corpus.cells}",
        *([f"keys: all 12 ({meta['all_keys']['sources_per_key']} sources, each also transposed by 1 to 11 "
           "semitones: --all-keys)"] if "all_keys" in meta else []),
        f"options: {json.dumps(meta.get('options', {}), sort_keys=True)}",
    ]
    if "failures_by_reason" in meta:
        lines.append(f"files: {meta.get('files_read')} of {meta.get('files')} read, {meta.get('files_failed')} "
                     f"failed {json.dumps(meta['failures_by_reason'], sort_keys=True)}"
                     + (" (interrupted)" if meta.get("interrupted") else ""))
    cap = meta.get("limits", {}).get("max_repeats_per_file")
    if cap is not None:
        lines.append(f"repeats: {meta.get('bars_over_repeat_cap', 0)} copies of a bar past {cap} in one file dropped"
                     if cap else "repeats: no cap on the copies of a bar in one file")
    top = int(np.argmax(counts))
    source, bar = corpus.source_of(top)
    lines.append(f"most frequent bar: {counts[top]} times, {counts[top] / corpus.total_count:.1%} of the sampled "
                 f"reward's draws ({source}, bar {bar})")
    # Quantiles weighted by count, without repeating each bar count times (counts may be in the billions).
    order = np.argsort(cells, kind="stable")
    cumulative = np.cumsum(counts[order].astype(np.float64))
    quantiles = [int(cells[order][min(np.searchsorted(cumulative, q * cumulative[-1], side="left"), len(order) - 1)])
                 for q in (1e-12, 0.1, 0.5, 0.9, 1.0)]
    lines.append("note cells per bar (min/10%/median/90%/max): " + " / ".join(map(str, quantiles)))
    lines.append("pitch  share of note cells")
    share = pitch_cells / max(pitch_cells.sum(), 1)
    for row in range(spec.n_notes - 1, -1, -1):
        lines.append(f"{spec.low_note + row:5d}  {share[row]:6.1%} {'#' * round(share[row] * 200)}")
    return "\n".join(lines)


def plot_bars(corpus: Corpus, path, n: int = 4, seed: int = 0) -> Path:
    """A PNG of ``n`` bars drawn at random (with ``seed``), each titled with its source and bar number."""
    try:
        import matplotlib  # optional: gym_launchpad[agents]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
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
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format=path.suffix[1:] or "png")
    plt.close(figure)
    return path



def from_midi(paths, spec: LaunchpadSpec | None = None, *, fold: bool = True, min_cells: int = DEFAULT_MIN_CELLS,
              min_pitches: int = DEFAULT_MIN_PITCHES, min_onsets: int = 0, per_track: bool = False,
              cells: str = "sounding", **build_args) -> Corpus:
    """The corpus of :func:`build_from_midi` with the keep options as keywords (those of :class:`BarOptions`),
    or a ``CorpusError`` if no bar was kept."""
    options = BarOptions(fold=fold, min_cells=min_cells, min_pitches=min_pitches, min_onsets=min_onsets,
                         per_track=per_track, cells=cells)
    result = build_from_midi(paths, spec, options, **build_args)
    if result.corpus is None:
        report = result.report
        raise CorpusError(f"no bar was kept from {report['files']} MIDI files ({report['files_failed']} failed: "
                          f"{report['failures_by_reason']}); check the folder or relax the filters")
    return result.corpus
