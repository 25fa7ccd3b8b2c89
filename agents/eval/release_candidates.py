"""``python -m agents.eval.release_candidates [SONG.mid ...]``: how each note-release rule of struck pads
sounds, measured from the MIDI file it writes (:mod:`agents.eval.song_metrics`).

Each song is a sequence of bars of onsets: the onset corpus's chorale bars played in the order they are
stored (each chorale's kept bars, one chorale after another), and the onsets of every ``SONG.mid`` given
(e.g. ``python -m agents play --headless --agent hopper --seed 100 --bars 300 --out hopper.mid``). Each is
written with ``write_midi(..., cells="onsets", release=R)`` for every candidate ``R``
(:class:`gym_launchpad.midi.release.Release`), read back and measured over the bars after the first 30.
The sound targets (polyphony 2.5..5, clashes <= 0.2, in one scale >= 0.95, quarter notes >= 0.3) are the
ones the release decides; the onset measures do not depend on it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from agents.eval.song_metrics import SKIP_BARS, check, format_table, onset_bars, read_notes, song_metrics
from gym_launchpad.corpus import Corpus
from gym_launchpad.midi import Release, write_midi

#: The rules measured: the old one (``ring``), fixed gates, voice releases of 1..5 semitones, and voice
#: releases with a gate, at the bar line or ringing over it.
CANDIDATES = ("ring", "gate:8", "gate:16", "gate:32", "voice:1", "voice:2", "voice:3", "voice:4", "voice:5",
              "voice:2,gate:32", "voice:3,gate:32", "voice:2,gate:64,free", "voice:3,gate:64,free")

#: The measures a release changes (the others are the same for every candidate).
SOUND_MEASURES = ("polyphony", "semitone_clashes", "in_one_scale", "quarter_notes")


def measure_candidates(songs: dict, corpus: Corpus, candidates=CANDIDATES, skip: int = SKIP_BARS) -> dict:
    """``{(song, candidate): song_metrics}`` of each ``songs`` entry (name -> (M, N) onset words) written
    with each candidate release."""
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, bars in songs.items():
            for candidate in candidates:
                path = write_midi(bars, Path(folder) / "song.mid", corpus.spec, cells="onsets",
                                  release=Release.parse(candidate))
                results[name, candidate] = song_metrics(path, corpus, skip=skip)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.eval.release_candidates",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("songs", nargs="*", type=Path, metavar="SONG.mid", help="songs whose onsets to replay")
    parser.add_argument("--candidates", nargs="+", default=CANDIDATES, help="release rules (Release.parse names)")
    args = parser.parse_args(argv)
    corpus = Corpus.onsets()
    songs = {"chorale bars in order": corpus.bars}
    for path in args.songs:
        pitch, start, _, n_bars = read_notes(path, corpus.spec.steps)
        songs[path.name] = onset_bars(pitch, start, n_bars, corpus.spec)
    results = measure_candidates(songs, corpus, args.candidates)
    for name in songs:
        rows = {candidate: results[name, candidate] for candidate in args.candidates}
        print(f"\n{name}, written with each release ({len(songs[name])} bars, the first {SKIP_BARS} skipped):\n")
        print(format_table(rows))
        sound_ok = [c for c in args.candidates if all(check({k: rows[c][k] for k in SOUND_MEASURES}).values())]
        print(f"\nmeets every sound target: {', '.join(sound_ok) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
