"""How long a struck pad sounds: the note-off rule of bars of onsets (:class:`Release`).

A bar of onsets (``cells="onsets"``, the DJ task's bars) says when keys are struck, never how long they
sound; like a drum machine's gate length, that is an instrument setting. One rule, :meth:`Release.ends`,
decides it step by step for every place a bar of onsets becomes sound: the MIDI files and WAVs
(:func:`gym_launchpad.midi.write.note_spans`) and live playback (:class:`gym_launchpad.midi.live.MidiPlayer`,
the play command and ``render_mode="human"``), so a file and what was heard cannot disagree. The rule is
causal (a note's end depends only on what is struck up to that step), which is what lets a live player,
which does not know the next bar, apply it.

The default, :data:`DEFAULT_RELEASE` (``"voice"``, ``Release(voice=4)``): a note sounds until a pitch 1-4
semitones from it is struck (a voice moving on: chorale voices move by steps and thirds), its own pitch is
struck again, or the bar line. Why, measured from the MIDI files written and read back
(``python -m agents.eval.release_candidates``, ``python -m agents.eval.chorale_reference``; the first 30
bars skipped): the onset corpus's 1,370 chorale bars played in order sound, under

=============================  =========  =============  ============  =============
release                        pitches    semitone       steps in one  notes of a
                               at once    clashes/step   major scale   quarter or more
=============================  =========  =============  ============  =============
60 chorales, own note lengths  3.68-3.89  0.03-0.11      0.97-1.00     0.45-0.79
``ring`` (the old rule)        8.72       1.89           0.74          0.81
``gate:8``                     2.92       0.07           0.99          0.00
``gate:16``                    5.11       0.62           0.91          0.81
``voice:2``                    4.28       0.17           0.96          0.40
``voice:3``                    3.96       0.15           0.97          0.34
``voice:4`` (the default)      3.79       0.12           0.98          0.31
``voice:5``                    3.46       0.08           0.98          0.25
=============================  =========  =============  ============  =============

(the chorales row is the 10th-90th percentile). Only voice releases of 2-4 semitones meet every sound target
of issue #21 (2.5-5 pitches, <= 0.2 clashes, >= 0.95 in one scale, >= 0.3 quarter notes); 4 is the nearest
to the chorales themselves (pitches at once and scale inside their range, clashes just above it; its quarter
notes, like every voice release's, are below it), and the only one under which all five hopper songs
measured (``--seed 0..3`` and 100, 300 bars) meet every sound target (clashes 0.13-0.20; ``voice:3``
0.13-0.22 and one song at 0.94 in one scale). A gate is either too short for quarter notes or long enough
to clash; a gate added to a voice release changes little (``voice:3,gate:32``: 3.90, 0.14, 0.97, 0.34), and
ringing over the bar line clashes more (``voice:3,gate:64,free``: 0.21). Releasing only the nearest sounding
pitch (one voice moving, not every neighbour) clashes 0.24-0.29. Bars of sounding cells (``Launchpad-v0``)
say how long each note sounds; no release applies to them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

#: Names of the rules :meth:`Release.parse` knows besides ``voice:K``, ``gate:G`` and their combination.
NAMED_RELEASES = ("ring", "voice")


@dataclass(frozen=True)
class Release:
    """When a struck note ends; it always ends when its own pitch is struck again.

    Attributes:
        voice: end it when a pitch ``1..voice`` semitones away is struck (a voice moving on); None: never.
        gate: end it this many steps after it was struck at the latest; None: no limit.
        bar_line: end it at the bar line (a bar of onsets is then heard alone, as it is scored).
    """

    voice: int | None = 4
    gate: int | None = None
    bar_line: bool = True

    def __post_init__(self):
        for name in ("voice", "gate"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"Release.{name} must be None or an int >= 1, got {value!r}")
        if not self.bar_line and self.gate is None:
            raise ValueError("a release that ignores the bar line needs a gate, or an unrepeated note rings forever")

    @classmethod
    def parse(cls, text: str | Release | None) -> Release:
        """A release from its name: ``"voice"`` (:data:`DEFAULT_RELEASE`), ``"ring"`` (held to the next strike
        of its pitch or the bar line), ``"voice:K"``, ``"gate:G"``, ``"voice:K,gate:G"``, with ``",free"`` to
        let notes ring over the bar line (a gate is then required). A Release is returned as it is, None is
        the default."""
        if text is None:
            return DEFAULT_RELEASE
        if isinstance(text, Release):
            return text
        if not isinstance(text, str):
            raise ValueError(f"release must be a Release or its name, got {text!r}")
        if text == "voice":
            return DEFAULT_RELEASE
        if text == "ring":
            return cls(voice=None)
        limits: dict[str, int | None] = {"voice": None, "gate": None}
        bar_line = True
        for part in text.split(","):
            key, _, value = part.strip().partition(":")
            try:
                if key in limits and limits[key] is None:
                    limits[key] = int(value)
                    continue
                if key == "free" and not value and bar_line:
                    bar_line = False
                    continue
            except ValueError:
                pass
            raise ValueError(f"release {text!r} is not one of {', '.join(NAMED_RELEASES)}, 'voice:K', 'gate:G', "
                             "'voice:K,gate:G' (optionally ',free' to ring over bar lines)")
        return cls(voice=limits["voice"], gate=limits["gate"], bar_line=bar_line)

    def __str__(self) -> str:
        if self == DEFAULT_RELEASE:
            return "voice"
        if self == Release(voice=None):
            return "ring"
        parts = [f"{name}:{getattr(self, name)}" for name in ("voice", "gate") if getattr(self, name) is not None]
        return ",".join(parts + ([] if self.bar_line else ["free"]))

    def ends(self, sounding: Mapping[int, int], struck: Collection[int], step: int, steps_per_bar: int) -> list[int]:
        """The rows of ``sounding`` (row -> the step it was struck) whose notes end at ``step``, before the rows
        ``struck`` there sound; steps are counted from the start of the song, rows are semitones."""
        if not sounding:
            return []
        if self.bar_line and step % steps_per_bar == 0:
            return sorted(sounding)
        ending = []
        for row, start in sounding.items():
            if (row in struck or (self.gate is not None and step - start >= self.gate)
                    or (self.voice is not None and any(0 < abs(row - other) <= self.voice for other in struck))):
                ending.append(row)
        return sorted(ending)


#: The instrument setting of every player and writer of bars of onsets (see the module docstring).
DEFAULT_RELEASE = Release()


def check_release(cells: str, release: Release | str | None) -> Release | None:
    """The release of bars of ``cells``: for ``"onsets"`` ``release`` parsed (None: :data:`DEFAULT_RELEASE`),
    for ``"sounding"`` None (and a ValueError if one was given: sounding cells say how long notes sound)."""
    if cells == "onsets":
        return Release.parse(release)
    if cells != "sounding":
        raise ValueError(f"cells must be 'sounding' or 'onsets', got {cells!r}")
    if release is not None:
        raise ValueError("release= applies to bars of onsets (cells='onsets'); a bar of sounding cells says how "
                         "long each note sounds")
    return None
