"""``launchpad corpus build|info|merge``: build, inspect and merge corpus files from the command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gym_launchpad.corpus.build import (
    DEFAULT_MAX_BARS,
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_MAX_NOTES,
    DEFAULT_MAX_REPEATS_PER_FILE,
    DEFAULT_TIMEOUT,
    FileLimits,
    build_from_midi,
    describe,
    plot_bars,
    report_path,
    write_report,
)
from gym_launchpad.corpus.corpus import MAX_BARS, Corpus, CorpusError
from gym_launchpad.corpus.quantize import CELLS, DEFAULT_MIN_CELLS, DEFAULT_MIN_PITCHES, BarOptions
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.read import PARSERS


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
    build.add_argument("--cells", choices=CELLS, default="sounding",
                       help="what a stored cell is: a step where a note sounds (the paper's, for Launchpad-v0) "
                            "or the step a note starts (onsets, for LaunchpadDJ-v0); default: sounding")
    build.add_argument("--all-keys", action="store_true",
                       help="also every bar transposed by 1 to 11 semitones (12x the bars), so the corpus holds "
                            "all 12 keys; notes pushed out of the rows are folded in by an octave (docs/corpus.md)")
    build.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds a file may take")
    build.add_argument("--max-bars", type=int, default=DEFAULT_MAX_BARS,
                       help=f"bars a file may have; more fails it as 'too many bars' (default: {DEFAULT_MAX_BARS})")
    build.add_argument("--max-notes", type=int, default=DEFAULT_MAX_NOTES,
                       help=f"notes a file may have; more fails it as 'too many notes' (default: {DEFAULT_MAX_NOTES})")
    build.add_argument("--max-memory", type=int, default=DEFAULT_MAX_MEMORY_MB, metavar="MB",
                       help="memory a worker may take to read one file, where the OS allows a limit; a file that "
                            f"needs more fails as 'out of memory' (default: {DEFAULT_MAX_MEMORY_MB}; 0: no limit)")
    build.add_argument("--max-repeats-per-file", type=int, default=DEFAULT_MAX_REPEATS_PER_FILE, metavar="N",
                       help="copies of one bar one file may add; more are dropped and counted, so one file cannot "
                            f"dominate the sampled reward (default: {DEFAULT_MAX_REPEATS_PER_FILE}; 0: no cap)")
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


def _check_writable(output: Path) -> None:
    """Raise OSError unless the corpus and its report can be written at ``output`` (checked before a
    build, so a bad ``-o`` costs no reading)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    for path in (output, report_path(output)):
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder")
    with tempfile.NamedTemporaryFile(dir=output.parent, prefix=".write-test-"):
        pass


def _cli_build(args) -> int:
    try:
        _check_writable(args.output)
    except OSError as error:
        print(f"launchpad corpus build: cannot write -o {args.output} ({error}); choose a folder you can write to",
              file=sys.stderr)
        return 2
    try:
        spec = LaunchpadSpec(args.n_notes, args.bar_bits, args.low_note)
        options = BarOptions(fold=not args.drop_out_of_range, min_cells=args.min_cells,
                             min_pitches=args.min_pitches, min_onsets=args.min_onsets, per_track=args.per_track,
                             cells=args.cells)
        limits = FileLimits(args.max_bars, args.max_notes, args.max_memory, args.max_repeats_per_file)
        result = build_from_midi(args.dirs, spec, options, parser=args.parser, workers=args.workers,
                                 limit=args.limit, sample=args.sample, seed=args.seed, timeout=args.timeout,
                                 limits=limits, progress=not args.quiet, all_keys=args.all_keys)
    except (ValueError, FileNotFoundError) as error:
        print(f"launchpad corpus build: {error}", file=sys.stderr)
        return 2
    report = result.report
    # The corpus first, then the report naming its hash: a report is never newer than the corpus it describes.
    saved = None if result.corpus is None else _save(result.corpus, args.output, "build")
    report["corpus_hash"] = None if saved is None or result.corpus is None else result.corpus.hash
    try:
        report_file = write_report(report, args.output)
    except OSError as error:
        print(f"launchpad corpus build: cannot write the report beside {args.output} ({error})", file=sys.stderr)
        return 1
    print(f"{report['files_read']} of {report['files']} files in {report['seconds']:.1f} s "
          f"({report['files_per_second']:.1f} files/s): {report['files_parsed']} parsed, "
          f"{report['files_failed']} failed {json.dumps(report['failures_by_reason'])}"
          + (f"; skipped {json.dumps(report['skipped_by_reason'])}" if report["skipped_by_reason"] else ""))
    print(f"bars: {report['bars_4_4']} in 4/4, {report['bars_other_meter']} in other meters skipped, "
          f"{report['bars_kept']} kept, {report['distinct_bars']} distinct"
          + (f"; {report['bars_over_repeat_cap']} copies of a bar past --max-repeats-per-file "
             f"{args.max_repeats_per_file} in one file dropped" if report["bars_over_repeat_cap"] else "")
          + (f"; in all 12 keys: {report['distinct_bars_all_keys']} distinct"
             if "distinct_bars_all_keys" in report else ""))
    if saved is None:
        if result.corpus is None:
            print(f"no bar was kept, so no corpus was written; see {report_file}", file=sys.stderr)
        return 1
    if not saved.ours:
        return 1
    print(f"wrote {saved} and {report_file}")
    if report["interrupted"]:
        print(f"interrupted: the corpus holds the {report['files_read']} files read before the build was stopped "
              f"(Ctrl-C, SIGTERM or SIGHUP), not all {report['files']}", file=sys.stderr)
        return 130
    return 0


@dataclass(frozen=True)
class _Saved:
    """A corpus file as read back after writing it, so what is printed is what is on disk."""

    path: Path
    size: int
    hash: str
    ours: bool

    def __str__(self):
        return f"{self.path} ({self.size} bytes, hash {self.hash[:16]})"


def _save(corpus: Corpus, output: Path, command: str) -> _Saved | None:
    """Save ``corpus`` at ``output`` and read it back; None (with the reason printed) if that failed. A file that
    another process replaced in between (two builds into one path) is reported on stderr, ``ours`` False."""
    try:
        path = corpus.save(output)
        on_disk = Corpus.load(path, max_bars=max(MAX_BARS, len(corpus)))
        saved = _Saved(path, path.stat().st_size, on_disk.hash, on_disk.hash == corpus.hash)
    except (CorpusError, OSError) as error:
        print(f"launchpad corpus {command}: {error}", file=sys.stderr)
        return None
    if not saved.ours:
        print(f"launchpad corpus {command}: another process wrote {path} after this one (hash {saved.hash[:16]}, "
              f"this {command} made {corpus.hash[:16]}); give each {command} its own -o", file=sys.stderr)
    return saved


def _cli_info(args) -> int:
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
    try:
        merged = Corpus.merge(Corpus.load(path) for path in args.files)
    except CorpusError as error:
        print(f"launchpad corpus merge: {error}", file=sys.stderr)
        return 2
    saved = _save(merged, args.output, "merge")
    if saved is None:
        return 1
    print(f"wrote {saved}: {len(merged)} distinct bars ({merged.total_count} with repeats) from "
          f"{len(args.files)} corpora")
    return 0 if saved.ours else 1
