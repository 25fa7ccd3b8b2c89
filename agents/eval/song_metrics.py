"""What a song sounds like, measured from the MIDI file the product wrote (issue #21).

:func:`song_metrics` reads a ``.mid`` file with pretty_midi onto the launchpad's grid (64 steps a 4/4 bar:
a note sounds from its start step to its end step, both rounded to the nearest step) and measures, over
the bars after the first ``skip``:

- the DJ task's measures, on each bar's struck notes (onsets) against the onset corpus: ``mean_distance``
  (to the nearest corpus bar), ``onsets_per_bar``, ``heard_change_fraction`` (bars whose onsets differ from
  the bar before) and ``distinct_nearest_per_100_bars``;
- the texture, on the notes as they sound: ``polyphony`` (pitches sounding at once, averaged over the steps
  where any sounds), ``semitone_clashes`` (pairs of sounding pitch classes a semitone apart, per sounding
  step), ``in_one_scale`` (sounding steps whose pitch classes all fit one of the 12 major scales) and
  ``quarter_notes`` (notes lasting 16 steps or more);
- the harmony's motion, on each bar's struck pitch classes: ``harmony_change_fraction`` (bars whose set
  differs from the bar before) and ``aba_fraction`` (bars equal, pitch and step, to the bar two before
  while differing from the bar before: a two-bar loop);
- with muspy installed (:func:`muspy_metrics`), the standard symbolic-music statistics of the same notes:
  ``muspy_pitch_class_entropy``, ``muspy_scale_consistency``, ``muspy_groove_consistency``,
  ``muspy_polyphony`` and ``muspy_empty_beat_rate``.

:data:`TARGETS` holds the issue's bound of each measure and :func:`check` says which a song meets.
``python -m agents.eval.chorale_reference`` prints the same measures of 60 Bach chorales (the reference);
:mod:`agents.eval.music_table` puts them beside each DJ policy's songs (``python -m agents front``, ``evaluate``).

    from agents.eval.song_metrics import song_metrics, check
    result = song_metrics("hopper.mid")            # the shipped onset corpus, the first 30 bars skipped
    check(result)                                  # {"mean_distance": True, ...}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.reward import bar_distances

#: Bars a song may take to settle before it is measured.
SKIP_BARS = 30

#: Steps a note must last to count as a quarter note or longer (a quarter of a 64-step bar).
QUARTER_STEPS = 16

#: The 12-bit pitch-class set (bit 0 = C) of each of the 12 major scales.
MAJOR_SCALE_MASKS = np.array([sum(1 << ((tonic + degree) % 12) for degree in (0, 2, 4, 5, 7, 9, 11))
                              for tonic in range(12)], dtype=np.int64)

#: Each measure's bound and which side of it is good (issue #21).
TARGETS = {
    "mean_distance": (6.0, "max"),
    "onsets_per_bar": (15.0, "min"),
    "heard_change_fraction": (0.9, "min"),
    "distinct_nearest_per_100_bars": (10.0, "min"),
    "polyphony": ((2.5, 5.0), "range"),
    "semitone_clashes": (0.2, "max"),
    "in_one_scale": (0.95, "min"),
    "harmony_change_fraction": (0.6, "min"),
    "aba_fraction": (0.2, "max"),
    "quarter_notes": (0.3, "min"),
}

#: Every measure :func:`song_metrics` returns, in order (the muspy ones only when muspy is installed).
MEASURES = tuple(TARGETS)
MUSPY_MEASURES = ("muspy_pitch_class_entropy", "muspy_scale_consistency", "muspy_groove_consistency",
                  "muspy_polyphony", "muspy_empty_beat_rate")


def read_notes(path, steps_per_bar: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(pitch, start_step, end_step, n_bars)`` of every non-drum note of a MIDI file on a grid of
    ``steps_per_bar`` steps a 4/4 bar; a note lasts at least one step; ``n_bars`` covers every note and
    the file's last event (the product marks the end of its last bar with a text event)."""
    import pretty_midi  # comes with gym_launchpad

    midi = pretty_midi.PrettyMIDI(str(path))
    ticks_per_step = 4 * midi.resolution / steps_per_bar

    def steps(seconds) -> np.ndarray:
        ticks = np.array([midi.time_to_tick(t) for t in np.atleast_1d(seconds)], dtype=np.float64)
        return np.floor(ticks / ticks_per_step + 0.5).astype(np.int64)

    notes = [note for instrument in midi.instruments if not instrument.is_drum for note in instrument.notes]
    pitch = np.array([note.pitch for note in notes], dtype=np.int64)
    start = steps([note.start for note in notes]) if notes else np.zeros(0, dtype=np.int64)
    end = np.maximum(steps([note.end for note in notes]), start + 1) if notes else np.zeros(0, dtype=np.int64)
    last = max([midi.get_end_time()] + [text.time for text in midi.text_events])
    n_steps = max(int(steps(last)[0]), int(end.max()) if len(end) else 0)
    return pitch, start, end, -(-n_steps // steps_per_bar)


def onset_bars(pitch, start, n_bars: int, spec: LaunchpadSpec) -> np.ndarray:
    """``(n_bars, N)`` uint64 words of the notes' onsets, pitches folded by octave into ``spec``'s range."""
    from gym_launchpad.corpus.quantize import fold_pitches

    rows = fold_pitches(pitch, spec, fold=True)
    keep = rows >= 0
    bar, step = np.divmod(np.asarray(start)[keep], spec.steps)
    words = np.zeros((n_bars, spec.n_notes), dtype=np.uint64)
    np.bitwise_or.at(words, (bar, rows[keep]), np.uint64(1) << step.astype(np.uint64))
    return words


def song_metrics(path, corpus: Corpus | None = None, *, skip: int = SKIP_BARS, with_muspy: bool | None = None) -> dict:
    """Every measure of the song in the MIDI file ``path`` (see the module docstring), over its bars after
    the first ``skip`` (all of them for a song no longer than ``skip``), against ``corpus`` (default: the
    shipped onset corpus, ``Corpus.onsets()``). ``with_muspy``: add the muspy statistics (None: when muspy
    is installed; True: raise ``DependencyNotInstalled`` without it). Also returns ``bars`` (measured)."""
    corpus = Corpus.onsets() if corpus is None else corpus
    spec = corpus.spec
    pitch, start, end, n_bars = read_notes(path, spec.steps)
    first = skip if n_bars > skip else 0
    bars = onset_bars(pitch, start, n_bars, spec)
    result = {"bars": n_bars - first}
    result.update(_onset_measures(bars, corpus, first))
    result.update(_sound_measures(pitch, start, end, n_bars, spec.steps, first))
    result.update(_harmony_measures(bars, spec, first))
    if with_muspy or (with_muspy is None and _muspy_installed()):
        result.update(muspy_metrics(path, skip=first))
    return result


def _onset_measures(bars, corpus: Corpus, first: int) -> dict:
    distances = np.array([bar_distances(corpus.bars, bar) for bar in bars[first:]])
    changed = (bars[max(first, 1):] != bars[max(first, 1) - 1:-1]).any(axis=1)
    return {"mean_distance": float(distances.min(axis=1).mean()),
            "onsets_per_bar": float(np.bitwise_count(bars[first:]).sum(axis=1).mean()),
            "heard_change_fraction": float(changed.mean()) if changed.size else 0.0,
            "distinct_nearest_per_100_bars": 100.0 * len(np.unique(distances.argmin(axis=1))) / len(distances)}


def _sound_measures(pitch, start, end, n_bars: int, steps_per_bar: int, first: int) -> dict:
    n_steps = n_bars * steps_per_bar
    # +1/-1 at each note's start/end per pitch, summed: how many notes of each pitch sound at each step.
    counts = np.zeros((n_steps + 1, 128), dtype=np.int32)
    np.add.at(counts, (np.minimum(start, n_steps), pitch), 1)
    np.add.at(counts, (np.minimum(end, n_steps), pitch), -1)
    sounding = np.cumsum(counts, axis=0)[first * steps_per_bar:n_steps] > 0
    classes = np.zeros((len(sounding), 12), dtype=bool)
    for pitch_class in range(12):
        classes[:, pitch_class] = sounding[:, pitch_class::12].any(axis=1)
    heard = classes.any(axis=1)
    sets = (classes.astype(np.int64) << np.arange(12)).sum(axis=1)[heard]
    clashes = (classes & np.roll(classes, -1, axis=1)).sum(axis=1)[heard]
    in_scale = ((sets[:, None] & ~MAJOR_SCALE_MASKS[None, :]) == 0).any(axis=1)
    measured = start >= first * steps_per_bar
    lengths = (end - start)[measured]
    return {"polyphony": float(sounding.sum(axis=1)[heard].mean()) if heard.any() else 0.0,
            "semitone_clashes": float(clashes.mean()) if heard.any() else 0.0,
            "in_one_scale": float(in_scale.mean()) if heard.any() else 1.0,
            "quarter_notes": float((lengths >= QUARTER_STEPS).mean()) if lengths.size else 0.0}


def _harmony_measures(bars, spec: LaunchpadSpec, first: int) -> dict:
    # Each bar's struck pitch classes as 12 bits: a row struck anywhere in the bar sets its pitch class.
    struck = bars != 0
    classes = np.zeros(len(bars), dtype=np.int64)
    for row, pitch in enumerate(spec.pitches):
        classes |= struck[:, row].astype(np.int64) << (int(pitch) % 12)
    later = np.arange(max(first, 1), len(bars))
    harmony = classes[later] != classes[later - 1]
    looped = np.arange(max(first, 2), len(bars))
    aba = (bars[looped] == bars[looped - 2]).all(axis=1) & (bars[looped] != bars[looped - 1]).any(axis=1)
    return {"harmony_change_fraction": float(harmony.mean()) if harmony.size else 0.0,
            "aba_fraction": float(aba.mean()) if aba.size else 0.0}


def _muspy_installed() -> bool:
    try:
        import muspy  # noqa: F401 - optional: gym_launchpad[eval]
    except ImportError:
        return False
    return True


def muspy_metrics(path, *, skip: int = 0) -> dict:
    """muspy's pitch-class entropy, scale consistency, groove consistency, polyphony and empty-beat rate of
    the MIDI file ``path`` on a grid of 16 steps a quarter, its notes starting in the first ``skip`` 4/4 bars
    left out and the rest moved ``skip`` bars earlier (the skipped bars are not counted as empty beats)."""
    try:
        import muspy
    except ImportError as error:
        from gymnasium.error import DependencyNotInstalled

        raise DependencyNotInstalled(
            "the muspy statistics need muspy: pip install gym_launchpad[eval] (or pip install muspy)") from error
    music = muspy.read_midi(str(path))
    # On the launchpad's grid (16 steps a quarter): groove consistency compares bars' onset steps, and at the
    # file's 480 ticks a quarter every pair of bars would be ~0.99 alike.
    music.adjust_resolution(16)
    measure = 4 * music.resolution
    # The skipped bars are cut, not left silent: muspy's empty-beat rate counts every beat from time 0.
    for track in music.tracks:
        track.notes = [note for note in track.notes if note.time >= skip * measure]
        for note in track.notes:
            note.time -= skip * measure
    return {"muspy_pitch_class_entropy": float(muspy.pitch_class_entropy(music)),
            "muspy_scale_consistency": float(muspy.scale_consistency(music)),
            "muspy_groove_consistency": float(muspy.groove_consistency(music, measure)),
            "muspy_polyphony": float(muspy.polyphony(music)),
            "muspy_empty_beat_rate": float(muspy.empty_beat_rate(music))}


def check(result: dict, targets: dict = TARGETS) -> dict:
    """Which of ``targets`` (measure -> (bound, side)) ``result`` meets: {measure: bool}; measures it lacks
    are left out."""
    met = {}
    for key, (bound, side) in targets.items():
        if key not in result:
            continue
        value = result[key]
        if side == "max":
            met[key] = bool(value <= bound)
        elif side == "min":
            met[key] = bool(value >= bound)
        elif side == "range":
            met[key] = bool(bound[0] <= value <= bound[1])
        else:
            raise ValueError(f"target side must be 'max', 'min' or 'range', got {side!r} for {key}")
    return met


def describe_target(key: str, targets: dict = TARGETS) -> str:
    """A target as text: ``<= 6``, ``>= 15``, ``2.5..5``."""
    bound, side = targets[key]
    if side == "range":
        return f"{bound[0]:g}..{bound[1]:g}"
    return f"{'<=' if side == 'max' else '>='} {bound:g}"


def format_table(rows: dict, targets: dict = TARGETS) -> str:
    """A Markdown table of results ``{name: result}`` (a result's values may be numbers or ``(low, high)``
    percentile pairs), one column a measure, with the targets in the header."""
    keys = [k for k in (*MEASURES, *MUSPY_MEASURES) if any(k in r for r in rows.values())]
    header = "| song | " + " | ".join(f"{k} ({describe_target(k, targets)})" if k in targets else k for k in keys)
    lines = [header + " |", "|---" * (len(keys) + 1) + "|"]

    def cell(value):
        if value is None:
            return "—"
        if isinstance(value, tuple):
            return f"{value[0]:.2f}-{value[1]:.2f}"
        return f"{value:.2f}"

    for name, result in rows.items():
        lines.append(f"| {name} | " + " | ".join(cell(result.get(k)) for k in keys) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m agents.eval.song_metrics SONG.mid ... [--skip 30]``: each song's measures and targets met."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m agents.eval.song_metrics", description=main.__doc__)
    parser.add_argument("songs", nargs="+", type=Path, metavar="SONG.mid")
    parser.add_argument("--skip", type=int, default=SKIP_BARS, help="bars to leave out at the start (default: 30)")
    args = parser.parse_args(argv)
    corpus = Corpus.onsets()
    rows = {song.name: song_metrics(song, corpus, skip=args.skip) for song in args.songs}
    print(format_table(rows))
    return 0 if all(all(check(r).values()) for r in rows.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
