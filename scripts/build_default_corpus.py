"""Regenerate the shipped default corpus, gym_launchpad/data/bach_chorales.npz, byte for byte.

Every kept 4/4 bar of the J.S. Bach chorales in the music21 corpus (needs ``pip install
gym_launchpad[build]``). ``--limit N -o PATH`` builds the first N chorales (sorted by file name)
elsewhere, which is what the tests compare with the shipped file.

    python scripts/build_default_corpus.py                      # rewrite the shipped file
    python scripts/build_default_corpus.py --limit 10 -o /tmp/bach10.npz
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from gym_launchpad.corpus import default_corpus_path
from gym_launchpad.corpus.chorales import build_bach_corpus


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=default_corpus_path(),
                        help="where to write the corpus (default: the shipped file)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N chorales, sorted by file name")
    parser.add_argument("--workers", type=int, default=2, help="processes parsing chorales (default 2)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    corpus, figures = build_bach_corpus(limit=args.limit, workers=args.workers)
    path = corpus.save(args.output)
    data = path.read_bytes()
    print(f"files: {figures['files']}  4/4 bars: {figures['bars_4_4']}  other bars: {figures['bars_other_meter']}  "
          f"bars kept: {figures['bars_kept']}  distinct: {len(corpus)}")
    print(f"wrote {path}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}, "
          f"corpus hash {corpus.hash}  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
