"""``python -m agents.eval.chorale_reference``: what the measures of :mod:`agents.eval.song_metrics` are for
real music, 60 Bach chorales written the way the product writes songs.

Each chorale of music21's corpus (``gym_launchpad.corpus.chorales``, the source of the shipped corpora)
that is in 4/4 from bar 1 is cut to its bars 1..32, its pitches folded by octave into the launchpad's range
(MIDI 47..70) and quantized to 64 steps a bar exactly as the corpus builder does
(:func:`~gym_launchpad.corpus.quantize.quantize_bars`); its notes keep their own lengths on that grid (a note
starts at each onset and sounds to the end of its pitch's run of sounding steps or its pitch's next onset).
They are written by :func:`gym_launchpad.midi.spans_to_midi`, the writer of the product's songs, read back,
measured over all their bars (``--skip 0``), and each measure's 10th-90th percentile over the chorales is
printed, with the muspy statistics when muspy is installed. Needs music21 (``gym_launchpad[build]``);
reading 60 chorales takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from agents.eval.song_metrics import MEASURES, MUSPY_MEASURES, check, format_table, song_metrics
from gym_launchpad.corpus import Corpus
from gym_launchpad.corpus.chorales import bach_chorale_paths, score_notes_from_music21
from gym_launchpad.corpus.quantize import quantize_bars
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi import spans_to_midi

#: How many chorales, and their bars 1..LAST_BAR.
CHORALES, LAST_BAR = 60, 32
#: The percentiles reported.
PERCENTILES = (10, 90)
#: The committed percentiles (``python -m agents.eval.chorale_reference --json agents/results/chorale_reference.json``).
REFERENCE_JSON = Path(__file__).resolve().parents[1] / "results" / "chorale_reference.json"


def chorale_spans(path, spec: LaunchpadSpec) -> tuple[list[tuple[int, int, int]], int] | None:
    """``(spans, n_bars)``: the notes ``(row, first_step, end_step)`` of a chorale's bars 1..32 on the
    launchpad's grid, steps counted from bar 1; None for a chorale not in complete 4/4 bars from bar 1."""
    from music21 import converter  # optional: gym_launchpad[build]

    notes, grid, numbers = score_notes_from_music21(converter.parse(str(path)))
    chosen = (numbers >= 1) & (numbers <= LAST_BAR)
    if not chosen.any() or not grid.is_4_4[chosen].all() or numbers[chosen][0] != 1:
        return None
    sounding, onsets = quantize_bars(spec, notes.starts, notes.ends, notes.pitches, grid.starts[chosen],
                                     grid.lengths[chosen], fold=True)
    return timeline_spans(spec, sounding, onsets), int(chosen.sum())


def timeline_spans(spec: LaunchpadSpec, sounding: np.ndarray, onsets: np.ndarray) -> list[tuple[int, int, int]]:
    """Notes from bars of sounding cells and of onsets: one a onset, to its pitch's next onset or the end of
    the run of sounding steps it starts (across bar lines: a tied note is one note)."""
    sound = spec.words_to_roll(sounding).transpose(1, 0, 2).reshape(spec.n_notes, -1).astype(bool)
    struck = spec.words_to_roll(onsets).transpose(1, 0, 2).reshape(spec.n_notes, -1).astype(bool)
    spans = []
    for row in range(spec.n_notes):
        starts = np.flatnonzero(struck[row])
        run_ends = np.flatnonzero(np.diff(np.concatenate((sound[row].astype(np.int8), [0]))) == -1) + 1
        for index, start in enumerate(starts):
            end = run_ends[np.searchsorted(run_ends, start, side="right")]
            if index + 1 < len(starts):
                end = min(end, starts[index + 1])
            spans.append((row, int(start), int(end)))
    return sorted(spans, key=lambda span: (span[1], span[0]))


def reference(corpus: Corpus, count: int = CHORALES, out: Path | None = None) -> list[dict]:
    """The measures of the first ``count`` chorales in complete 4/4 bars from bar 1 (their MIDI files are
    kept in ``out`` when given)."""
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for path in bach_chorale_paths():
            song = chorale_spans(path, corpus.spec)
            if song is None:
                continue
            spans, n_bars = song
            midi_path = (out or Path(folder)) / f"{Path(path).stem}.mid"
            spans_to_midi(spans, n_bars, corpus.spec).write(str(midi_path))
            results.append({"chorale": Path(path).name, **song_metrics(midi_path, corpus, skip=0)})
            if len(results) == count:
                break
    return results


def percentiles(results: list[dict]) -> dict:
    """Each measure's ``(10th, 90th)`` percentile over ``results``."""
    keys = [k for k in (*MEASURES, *MUSPY_MEASURES) if k in results[0]]
    return {k: tuple(float(v) for v in np.percentile([r[k] for r in results], PERCENTILES)) for k in keys}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.eval.chorale_reference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--chorales", type=int, default=CHORALES, help="how many chorales (default: 60)")
    parser.add_argument("--out", type=Path, help="keep the chorales' MIDI files and reference.json in this folder")
    parser.add_argument("--json", type=Path, help="write the percentiles alone to this file (what `python -m agents "
                                                  f"front` and `evaluate` read: {REFERENCE_JSON})")
    args = parser.parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    corpus = Corpus.onsets()
    results = reference(corpus, args.chorales, args.out)
    spread = percentiles(results)
    print(f"{len(results)} Bach chorales (bars 1..{LAST_BAR}, 4/4, folded into MIDI {corpus.spec.low_note}.."
          f"{corpus.spec.low_note + corpus.spec.n_notes - 1}), {PERCENTILES[0]}th-{PERCENTILES[1]}th percentile:\n")
    print(format_table({"chorales": spread}))
    met = {k: np.mean([check(r)[k] for r in results]) for k in check(results[0])}
    print("\nchorales meeting each target: " + ", ".join(f"{k} {v:.0%}" for k, v in met.items()))
    if args.out:
        (args.out / "reference.json").write_text(json.dumps({"percentiles": spread, "chorales": results}, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"chorales": len(results), "bars": f"1..{LAST_BAR}", "percentiles": PERCENTILES,
                                         "measures": spread}, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
