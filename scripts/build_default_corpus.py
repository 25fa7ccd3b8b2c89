"""Regenerate a shipped corpus, gym_launchpad/data/bach_chorales.npz or bach_onsets.npz, byte for byte.

Every kept 4/4 bar of the J.S. Bach chorales in the music21 corpus (needs ``pip install
gym_launchpad[build]``). ``--cells sounding`` (default) is ``bach_chorales.npz``, the corpus of
``Launchpad-v0``: sounding cells, bars of at least 20 cells. ``--cells onsets`` is ``bach_onsets.npz``, the
corpus of ``LaunchpadDJ-v0``: note onsets, bars of at least 20 onsets. ``--limit N -o PATH`` builds the
first N chorales (sorted by file name) elsewhere, which is what the tests compare with the shipped file.
``--all-keys -o PATH`` adds every bar in the 11 other keys (docs/corpus.md); the shipped files stay in the
chorales' own keys.

    python scripts/build_default_corpus.py                      # rewrite bach_chorales.npz
    python scripts/build_default_corpus.py --cells onsets       # rewrite bach_onsets.npz
    python scripts/build_default_corpus.py --limit 10 -o /tmp/bach10.npz
    python scripts/build_default_corpus.py --all-keys -o bach_all_keys.npz     # the chorales in all 12 keys
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from gym_launchpad.corpus import default_corpus_path
from gym_launchpad.corpus.chorales import build_bach_corpus
from gym_launchpad.corpus.corpus import ONSET_CORPUS_NAME
from gym_launchpad.corpus.quantize import CELLS, DEFAULT_MIN_CELLS, BarOptions

#: The keep rules of each shipped corpus: the paper's 20 sounding cells, or 20 struck notes.
SHIPPED_OPTIONS = {
    "sounding": BarOptions(),
    "onsets": BarOptions(cells="onsets", min_cells=0, min_onsets=DEFAULT_MIN_CELLS),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", choices=CELLS, default="sounding",
                        help="sounding: bach_chorales.npz (Launchpad-v0); onsets: bach_onsets.npz (LaunchpadDJ-v0)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="where to write the corpus (default: the shipped file of --cells)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N chorales, sorted by file name")
    parser.add_argument("--workers", type=int, default=2, help="processes parsing chorales (default 2)")
    parser.add_argument("--all-keys", action="store_true",
                        help="also every bar transposed by 1 to 11 semitones, notes pushed out of the rows folded "
                             "in by an octave (12x the bars; needs -o: the shipped files stay in the chorales' keys)")
    args = parser.parse_args(argv)
    if args.all_keys and args.output is None:
        parser.error("--all-keys needs -o PATH: the shipped corpora stay in the chorales' own keys "
                     "(gym.make(..., all_keys=True) transposes them in memory)")
    output = args.output
    if output is None:
        shipped = default_corpus_path()
        output = shipped if args.cells == "sounding" else shipped.with_name(ONSET_CORPUS_NAME)
    started = time.perf_counter()
    corpus, figures = build_bach_corpus(options=SHIPPED_OPTIONS[args.cells], limit=args.limit, workers=args.workers,
                                        all_keys=args.all_keys)
    path = corpus.save(output)
    data = path.read_bytes()
    print(f"files: {figures['files']}  4/4 bars: {figures['bars_4_4']}  other bars: {figures['bars_other_meter']}  "
          f"bars kept: {figures['bars_kept']}  distinct: {len(corpus)}" + (" (all 12 keys)" if args.all_keys else ""))
    print(f"wrote {path}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}, "
          f"corpus hash {corpus.hash}  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
