"""``python -m benchmarks [--quick]``: run every benchmark and print one table of measured ratios.

Each row comes from one script in this folder (run alone with ``python benchmarks/<name>.py``); every
ratio is measured within one run. The corpus build benchmark (``corpus_build.py``) runs as its own
process, as it starts workers; its output is printed in full below the table.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the scripts import each other by name, as when run alone

import bandwidth  # noqa: E402
import dqn_share  # noqa: E402
import env_step  # noqa: E402
import reward_kernel  # noqa: E402
import train_throughput  # noqa: E402
import vector_env  # noqa: E402
from _common import Row, kernel, machine, table  # noqa: E402

LMD_FULL_FILES = 178_561
#: A parser's line in corpus_build.py's output: "<parser>: ... <kept> kept ... <seconds> s, <rate> files/s".
PARSER_LINE = re.compile(r"^\s*(\w+): .*?(\d+) kept.*?([\d.]+) s, ([\d.]+) files/s", re.MULTILINE)


def corpus_build(quick: bool) -> tuple[list[Row], str]:
    """Run corpus_build.py (on 4 of the fetched files with --quick) and read its figures back."""
    command = [sys.executable, str(HERE / "corpus_build.py"), "--repeat", "1" if quick else "3"]
    with tempfile.TemporaryDirectory() as scratch:
        if quick:
            from fetch_debian_midi import fetch

            files = sorted(p for p in fetch().rglob("*") if p.suffix.lower() in (".mid", ".midi"))[:4]
            for i, path in enumerate(files):
                shutil.copy(path, Path(scratch) / f"{i}{path.suffix}")
            command += ["--workers", "1", scratch]
        done = subprocess.run(command, capture_output=True, text=True, cwd=HERE)
    output = done.stdout + done.stderr
    rates = {m[0]: (int(m[1]), float(m[2]), float(m[3])) for m in PARSER_LINE.findall(output)}
    if done.returncode != 0 or not {"symusic", "pretty_midi"} <= set(rates):
        failed = Row("corpus build, symusic / pretty_midi", "failed or unreadable: see its output", math.nan, "")
        return [failed], output
    figures = "; ".join(
        f"{name} {rate:.1f} files/s, {kept / seconds:,.0f} bars/s, LMD-full {LMD_FULL_FILES / rate / 3600:.1f} h"
        for name, (kept, seconds, rate) in rates.items())
    ratio = rates["symusic"][2] / rates["pretty_midi"][2]
    return [Row("corpus build, symusic / pretty_midi files/s", figures, ratio, "")], output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark at a smoke size (a minute or so)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["env_step", "reward_kernel", "vector_env",
                                                                    "bandwidth", "dqn_share", "train_throughput",
                                                                    "corpus_build"],
                        help="benchmarks to leave out")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows, extra = [], ""
    for module in (env_step, reward_kernel, vector_env, bandwidth, dqn_share, train_throughput):
        if module.__name__ not in args.skip:
            rows += module.run(quick=args.quick)
            print(rows[-1].markdown(), file=sys.stderr, flush=True)  # progress
    if "corpus_build" not in args.skip:
        corpus_rows, extra = corpus_build(args.quick)
        rows += corpus_rows
    print(f"{'quick run' if args.quick else 'full run'} on {machine()}, {kernel()} kernel, "
          f"{time.perf_counter() - start:.0f} s\n")
    print(table(rows))
    if extra:
        print("\ncorpus_build.py:\n" + extra.rstrip())
    return 0  # a missed target is a figure to report, not a failure of the run


if __name__ == "__main__":
    sys.exit(main())
