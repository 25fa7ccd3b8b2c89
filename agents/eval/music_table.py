"""The DJ task's music measured as the field measures it (issue #21 item 4), from the MIDI files the agents write.

Each policy's seeded songs are written by :func:`agents.rollout.write_song` (the file ``python -m agents play
--headless`` writes) and read back by :func:`agents.eval.song_metrics.song_metrics` (the first 30 bars skipped):
the issue's measures and, with muspy installed, muspy's pitch-class entropy, scale consistency, groove
consistency, polyphony and empty-beat rate. Beside them, the same measures of 60 Bach chorales
(10th-90th percentile), read from :data:`REFERENCE_JSON`, which ``python -m agents.eval.chorale_reference --json
agents/results/chorale_reference.json`` writes (parsing the chorales takes music21 and a minute; it is not redone
each run). ``python -m agents front`` and ``python -m agents evaluate --tasks LaunchpadDJ-v0`` print the table.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from agents.eval.song_metrics import MEASURES, MUSPY_MEASURES, SKIP_BARS, describe_target, song_metrics
from agents.rollout import write_song

#: The chorales' committed percentiles (``python -m agents.eval.chorale_reference --json`` this file).
REFERENCE_JSON = Path(__file__).resolve().parents[1] / "results" / "chorale_reference.json"

#: A legend line per measure: what it counts.
LEGEND = {
    "mean_distance": "cells between each bar's struck notes and the nearest bar of the onset corpus",
    "onsets_per_bar": "notes struck a bar",
    "heard_change_fraction": "bars whose struck notes differ from the bar before",
    "distinct_nearest_per_100_bars": "distinct nearest corpus bars per 100 bars",
    "polyphony": "pitches sounding at once, over the steps where any sounds",
    "semitone_clashes": "pairs of sounding pitch classes a semitone apart, per sounding step",
    "in_one_scale": "sounding steps whose pitch classes all fit one major scale",
    "harmony_change_fraction": "bars whose struck pitch classes differ from the bar before",
    "aba_fraction": "bars equal to the bar two before while differing from the bar before (a two-bar loop)",
    "quarter_notes": "notes lasting a quarter (16 steps) or longer",
    "muspy_pitch_class_entropy": "muspy.pitch_class_entropy: entropy of the pitch-class histogram, bits",
    "muspy_scale_consistency": "muspy.scale_consistency: the largest share of notes in one major or minor scale",
    "muspy_groove_consistency": "muspy.groove_consistency: 1 - mean Hamming distance of consecutive bars' onset "
                                "patterns",
    "muspy_polyphony": "muspy.polyphony: mean pitches sounding at once over the steps where any sounds",
    "muspy_empty_beat_rate": "muspy.empty_beat_rate: the share of beats where no note sounds",
}


def chorale_reference(path: Path = REFERENCE_JSON) -> dict | None:
    """The chorales' ``{measure: (10th, 90th)}`` from ``path`` (None when the file is missing)."""
    path = Path(path)
    if not path.exists():
        return None
    return {k: tuple(v) for k, v in json.loads(path.read_text())["measures"].items()}


def measure_songs(env, policy, episodes: int, bars: int, seed: int, folder, name: str, skip: int = SKIP_BARS,
                  corpus=None) -> dict:
    """Write ``episodes`` songs of ``policy`` (``folder/name-SEED.mid``, seeds ``seed``..) with
    :func:`write_song` and measure each with :func:`song_metrics`; returns ``{"songs": [each song's measures],
    measure: mean over the songs}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = env.unwrapped.corpus if corpus is None else corpus
    songs = []
    for episode in range(episodes):
        path = folder / f"{name}-{seed + episode}.mid"
        write_song(env, policy, seed + episode, bars, path)
        songs.append({"file": path.name, **song_metrics(path, corpus, skip=skip)})
    keys = [k for k in (*MEASURES, *MUSPY_MEASURES) if k in songs[0]]
    return {"songs": songs, **{k: float(np.mean([s[k] for s in songs])) for k in keys}}


def music_table(rows: dict, reference: dict | None) -> str:
    """A markdown table of the measures: one row a policy (``{label: measured}``, the mean over its songs) and
    the chorales' 10th-90th percentile row when ``reference`` is given, then a legend line per column."""
    keys = [k for k in (*MEASURES, *MUSPY_MEASURES) if any(k in r for r in rows.values())]
    lines = ["| song | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|",
             "| target (issue #21) | " + " | ".join(describe_target(k) if k in MEASURES else "—" for k in keys) + " |"]
    if reference is not None:
        lines.append("| 60 chorales (10th-90th) | " + " | ".join(
            f"{reference[k][0]:.2f}-{reference[k][1]:.2f}" if k in reference else "—" for k in keys) + " |")
    for label, row in rows.items():
        lines.append(f"| {label} | " + " | ".join(f"{row[k]:.2f}" if k in row else "—" for k in keys) + " |")
    legend = [""] + [f"- {k}: {LEGEND[k]}" for k in keys]
    if reference is None:
        legend.append(f"- (no chorales' row: {REFERENCE_JSON.name} is missing; `python -m agents.eval."
                      f"chorale_reference --json {REFERENCE_JSON}` writes it, with music21)")
    return "\n".join(lines + legend) + "\n"


def table_heading(episodes: int, bars: int, seed: int, skip: int = SKIP_BARS) -> str:
    return (f"Music read back from the MIDI files (agents.rollout.write_song, as `python -m agents play --headless` "
            f"writes them): {episodes} songs x {bars} bars from reset(seed={seed}+i), the mean over the songs, the "
            f"first {skip} bars skipped; the chorales' row: 60 Bach chorales (bars 1-32, their own note lengths), "
            f"10th-90th percentile over chorales\n\n")


def temporary_folder(out) -> tuple[Path, object]:
    """``(folder, cleanup)``: ``out/songs`` when ``out`` is given, else a temporary folder."""
    if out is not None:
        return Path(out) / "songs", None
    scratch = tempfile.TemporaryDirectory()
    return Path(scratch.name), scratch
