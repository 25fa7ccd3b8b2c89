"""Bars as MIDI: a bar or a composition (one bar per step) to ``pretty_midi``, ``.mid`` and ``.wav``.

A bar is ``(N,)`` uint64 row words (:mod:`gym_launchpad.launchpad`); a composition is ``(M, N)``, one bar
after another. Every bar is a 4/4 bar of ``2**B`` equal steps, so a step is ``4 / 2**B`` quarter notes
(a 64th note at the default ``B = 6``). At ``resolution=480`` ticks per quarter a step is a whole number
of ticks for every ``B <= 6``, which is why a written file reads back to exactly the same bar words.

By default a note sounding on consecutive steps (across bar lines too) is one held note; with
``join=False`` every sounding step is its own hit, one step long.

``launchpad render SONG.mid -o SONG.wav`` (registered here by :func:`add_cli`) renders a file to audio
with FluidSynth and a General MIDI soundfont, or with pretty_midi's sine synthesis (and a warning saying
so) when FluidSynth is missing.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from gym_launchpad.atomic_file import atomic_path
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.levels import normalize_peak, write_wav
from gym_launchpad.midi.release import Release, check_release

if TYPE_CHECKING:  # imported where used: it takes 0.3 s
    import pretty_midi

#: Ticks per quarter note of every file written here; a step of any bar of up to 64 steps is whole ticks.
RESOLUTION = 480

#: Quarter notes in a bar (every bar is 4/4).
QUARTERS_PER_BAR = 4

#: Where Debian, Fedora and Homebrew put General MIDI soundfonts, tried in order before the one that
#: ships inside the pretty_midi wheel.
SYSTEM_SOUNDFONTS = (
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
    "/usr/local/share/soundfonts/default.sf2",
)

#: Rendering backends, in the order ``"auto"`` tries them.
BACKENDS = ("fluidsynth", "pyfluidsynth", "sine")

DRUM_CHANNEL = 9


def check_bars(bars: ArrayLike, spec: LaunchpadSpec) -> np.ndarray:
    """``bars`` as a ``(M, N)`` uint64 array (a single ``(N,)`` bar becomes ``M = 1``), or a ValueError."""
    array = np.asarray(bars)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != spec.n_notes:
        raise ValueError(
            f"bars must be one bar (n_notes={spec.n_notes},) or a composition (n_bars, {spec.n_notes}) of "
            f"uint64 row words, got shape {np.shape(bars)}"
        )
    if array.dtype != np.uint64:
        if not np.issubdtype(array.dtype, np.integer) or (array.size and array.min() < 0):
            raise ValueError(f"bar words must be non-negative integers (uint64), got dtype {array.dtype}")
        array = array.astype(np.uint64)
    if np.any(array & ~spec.row_mask):
        raise ValueError(f"bar words have bits beyond step {spec.steps - 1}: they are not bars of {spec}")
    return array


def step_seconds(spec: LaunchpadSpec, tempo_bpm: float) -> float:
    """Seconds per step at ``tempo_bpm`` quarter notes per minute."""
    return 60.0 / tempo_bpm * QUARTERS_PER_BAR / spec.steps


def check_midi_settings(tempo_bpm: float, program: int, velocity: int, channel: int) -> None:
    """A ValueError naming the first setting outside what a MIDI file or port can carry."""
    # A MIDI tempo is microseconds per quarter in 24 bits: slower than ~3.6 BPM does not fit.
    if not 4 <= tempo_bpm <= 1000:
        raise ValueError(f"tempo_bpm must be in 4..1000 quarter notes per minute, got {tempo_bpm}")
    for name, value, low, high in (("program", program, 0, 127), ("velocity", velocity, 1, 127),
                                   ("channel", channel, 0, 15)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")


def note_spans(bars: np.ndarray, spec: LaunchpadSpec, *, join: bool = True, cells: str = "sounding",
               release: Release | str | None = None) -> list[tuple[int, int, int]]:
    """``(row, first_step, end_step)`` of every note of a composition, steps counted from its start.

    ``cells="sounding"``: with ``join`` a run of sounding steps of one row is one note; otherwise each
    sounding step is a note one step long. ``cells="onsets"``: each cell is a struck note, which sounds
    until ``release`` ends it (:class:`~gym_launchpad.midi.release.Release`; None is the instrument's
    default, :data:`~gym_launchpad.midi.release.DEFAULT_RELEASE`): a bar of onsets says when keys are
    struck, not how long they sound. ``release`` is refused for sounding cells, which say how long.
    """
    bars = check_bars(bars, spec)
    release = check_release(cells, release)
    if release is not None:
        return _onset_spans(bars, spec, release)
    # (N, M * steps): each row's whole timeline, so a note held across a bar line stays one note.
    timeline = spec.words_to_roll(bars).transpose(1, 0, 2).reshape(spec.n_notes, -1)
    spans: list[tuple[int, int, int]] = []
    for row, row_cells in enumerate(timeline):
        if join:
            edges = np.diff(np.concatenate(([0], row_cells.astype(np.int8), [0])))
            starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        else:
            starts = np.flatnonzero(row_cells)
            ends = starts + 1
        spans.extend((row, int(s), int(e)) for s, e in zip(starts, ends, strict=True))
    return sorted(spans, key=lambda span: (span[1], span[0]))


def _onset_spans(bars: np.ndarray, spec: LaunchpadSpec, release: Release) -> list[tuple[int, int, int]]:
    # Step by step through Release.ends, the rule the live player applies, so a file is what was heard.
    timeline = spec.words_to_roll(bars).transpose(1, 0, 2).reshape(spec.n_notes, -1)
    total = timeline.shape[1]
    struck_at: dict[int, list[int]] = {}
    for step, row in zip(*np.nonzero(timeline.T), strict=True):
        struck_at.setdefault(int(step), []).append(int(row))
    events = set(struck_at)
    if release.bar_line:
        events.update(range(0, total, spec.steps))
    sounding: dict[int, int] = {}
    spans: list[tuple[int, int, int]] = []
    for step in range(total):
        if step not in events and (release.gate is None or not sounding):
            continue
        struck = frozenset(struck_at.get(step, ()))
        for row in release.ends(sounding, struck, step, spec.steps):
            spans.append((row, sounding.pop(row), step))
        for row in struck:
            sounding[row] = step
    spans.extend((row, start, total) for row, start in sounding.items())
    return sorted(spans, key=lambda span: (span[1], span[0]))


def bars_to_midi(
    bars: ArrayLike,
    spec: LaunchpadSpec,
    *,
    tempo_bpm: float = 120.0,
    program: int = 0,
    velocity: int = 90,
    channel: int = 0,
    join: bool = True,
    cells: str = "sounding",
    release: Release | str | None = None,
    name: str = "launchpad",
) -> pretty_midi.PrettyMIDI:
    """A bar or a composition as a ``pretty_midi.PrettyMIDI`` of one instrument at ``resolution=480``.

    The file is 4/4 at ``tempo_bpm`` and spans every bar, trailing empty bars included (a text event
    ``"end"`` marks the end of the last bar). ``channel`` 9 makes the instrument a drum kit, as in
    General MIDI; any other channel is applied when the file is written (:func:`write_midi`), since
    pretty_midi assigns channels itself. ``cells`` says what a bar's cells are and ``release`` how long a
    struck note of a bar of onsets sounds (:func:`note_spans`).
    """
    bars = check_bars(bars, spec)
    return spans_to_midi(note_spans(bars, spec, join=join, cells=cells, release=release), len(bars), spec,
                         tempo_bpm=tempo_bpm, program=program, velocity=velocity, channel=channel, name=name)


def spans_to_midi(spans: Iterable[tuple[int, int, int]], n_bars: int, spec: LaunchpadSpec, *,
                  tempo_bpm: float = 120.0, program: int = 0, velocity: int = 90, channel: int = 0,
                  name: str = "launchpad") -> pretty_midi.PrettyMIDI:
    """Notes ``(row, first_step, end_step)`` (as :func:`note_spans` gives them) over ``n_bars`` bars as a
    ``pretty_midi.PrettyMIDI``, written as :func:`bars_to_midi` writes bars (music that is not bars, such as a
    score's own note lengths on the launchpad's grid, is then written the same way)."""
    import pretty_midi  # imported when used: it takes 0.3 s, and `launchpad --help` loads this module

    check_midi_settings(tempo_bpm, program, velocity, channel)
    step_s = step_seconds(spec, tempo_bpm)
    midi = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=float(tempo_bpm))
    midi.time_signature_changes.append(pretty_midi.TimeSignature(QUARTERS_PER_BAR, 4, 0.0))
    instrument = pretty_midi.Instrument(program=int(program), is_drum=channel == DRUM_CHANNEL, name=name)
    pitches = spec.pitches
    instrument.notes = [
        pretty_midi.Note(velocity=int(velocity), pitch=int(pitches[row]), start=start * step_s, end=end * step_s)
        for row, start, end in spans
    ]
    midi.instruments.append(instrument)
    midi.text_events.append(pretty_midi.Text("end", n_bars * spec.steps * step_s))
    return midi


def write_midi(bars: ArrayLike, path: str | os.PathLike, spec: LaunchpadSpec, *, channel: int = 0,
               **options: Any) -> Path:
    """Write a bar or a composition to a ``.mid`` file; ``options`` are those of :func:`bars_to_midi`."""
    import mido  # comes with pretty_midi; imported when used, like it

    midi = bars_to_midi(bars, spec, channel=channel, **options)
    buffer = io.BytesIO()
    midi.write(buffer)
    buffer.seek(0)
    file = mido.MidiFile(file=buffer)
    for track in file.tracks:
        for message in track:
            if not message.is_meta and hasattr(message, "channel"):
                message.channel = channel
    path = Path(path)
    with atomic_path(path) as tmp:
        file.save(tmp)
    return path


# --- audio ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_audio` wrote and how."""

    path: Path
    backend: str
    soundfont: Path | None
    seconds: float
    sample_rate: int


def find_soundfont(soundfont: str | os.PathLike | None = None) -> Path:
    """The soundfont to use: ``soundfont`` if given (it must exist), else a system General MIDI one,
    else the one inside the pretty_midi wheel."""
    if soundfont is not None:
        path = Path(soundfont)
        if not path.is_file():
            raise FileNotFoundError(
                f"soundfont {path} does not exist: pass the path of a .sf2 file, or leave --soundfont out to "
                f"use a General MIDI soundfont found on this system (e.g. apt-get install timgm6mb-soundfont)"
            )
        return path
    for candidate in SYSTEM_SOUNDFONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    bundled = Path(str(resources.files("pretty_midi") / "TimGM6mb.sf2"))
    if bundled.is_file():
        return bundled
    raise FileNotFoundError(
        "no General MIDI soundfont found: install one (apt-get install timgm6mb-soundfont) or pass --soundfont"
    )


def _pyfluidsynth_available() -> bool:
    try:
        import fluidsynth  # noqa: F401 - optional: gym_launchpad[audio]
    except (ImportError, OSError):  # OSError: the Python binding is there but libfluidsynth is not
        return False
    return True


def _available_backend() -> str:
    if shutil.which("fluidsynth"):
        return "fluidsynth"
    if _pyfluidsynth_available():
        return "pyfluidsynth"
    return "sine"


def _render_fluidsynth_cli(midi_path: Path, soundfont: Path, sample_rate: int) -> np.ndarray:
    """FluidSynth's rendering of ``midi_path``, ``(samples, 2)`` floats (it renders in stereo)."""
    with tempfile.TemporaryDirectory(prefix="launchpad_render_") as folder:
        raw = Path(folder) / "audio.raw"
        # -n -i: no MIDI input driver, no shell; -F renders the file as fast as possible instead of playing it,
        # as headerless 32-bit floats (-T raw -O float): the level is set afterwards, so nothing is lost to
        # 16-bit steps of a render ~25 dB under full scale.
        command = ["fluidsynth", "-ni", "-q", "-T", "raw", "-O", "float", "-E", "little", "-F", str(raw),
                   "-r", str(sample_rate), str(soundfont), str(midi_path)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not raw.is_file():
            output = done.stderr.strip() or done.stdout.strip()
            raise RuntimeError(f"fluidsynth failed ({' '.join(command)}):\n{output}")
        return np.fromfile(raw, dtype="<f4").reshape(-1, 2)


def render_audio(midi_path: str | os.PathLike, wav_path: str | os.PathLike, *,
                 soundfont: str | os.PathLike | None = None, sample_rate: int = 44100,
                 backend: str = "auto") -> RenderResult:
    """Render a MIDI file to a WAV file; returns a :class:`RenderResult`.

    ``backend="auto"`` uses the ``fluidsynth`` program if it is on ``PATH``, else pyfluidsynth
    (``pip install gym_launchpad[audio]``), else pretty_midi's sine synthesis, with a warning, since
    sine waves are only a sketch of the music.

    Every backend's audio is peak-normalised to -1 dBFS (:func:`gym_launchpad.midi.levels.normalize_peak`,
    which says why) and written as 16-bit PCM: FluidSynth alone renders ~25 dB under full scale.
    """
    import pretty_midi  # imported when used: it takes 0.3 s, and `launchpad --help` loads this module

    midi_path, wav_path = Path(midi_path), Path(wav_path)
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"backend must be 'auto' or one of {BACKENDS}, got {backend!r}")
    if not midi_path.is_file():
        raise FileNotFoundError(f"MIDI file {midi_path} does not exist")
    try:
        midi = pretty_midi.PrettyMIDI(str(midi_path))
    except Exception as error:  # pretty_midi/mido raise many kinds of errors for a broken file
        raise ValueError(f"{midi_path} is not a readable MIDI file: {error}") from error
    if backend == "auto":
        backend = _available_backend()
        if backend == "sine":
            warnings.warn(
                "FluidSynth is not installed, so the audio is pretty_midi's sine synthesis: install the "
                "fluidsynth program (apt-get install fluidsynth) or pyfluidsynth (pip install gym_launchpad[audio]) "
                "to hear real instruments",
                RuntimeWarning,
                stacklevel=2,
            )
    elif backend == "fluidsynth" and not shutil.which("fluidsynth"):
        raise RuntimeError("the fluidsynth program is not on PATH: apt-get install fluidsynth")
    elif backend == "pyfluidsynth" and not _pyfluidsynth_available():
        raise RuntimeError("pyfluidsynth is not installed: pip install gym_launchpad[audio]")
    sf2 = find_soundfont(soundfont) if backend != "sine" else None
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    if backend == "fluidsynth":
        assert sf2 is not None  # found above for every backend but sine
        audio = _render_fluidsynth_cli(midi_path, sf2, sample_rate)
    elif backend == "pyfluidsynth":
        audio = midi.fluidsynth(fs=sample_rate, sf2_path=str(sf2))
    else:
        audio = midi.synthesize(fs=sample_rate)
        # pretty_midi's synthesis stops at the last note; a trailing rest is part of the music.
        audio = np.pad(audio, (0, max(0, round(midi.get_end_time() * sample_rate) - len(audio))))
    write_wav(wav_path, normalize_peak(audio), sample_rate)
    with wave.open(str(wav_path), "rb") as written:
        seconds = written.getnframes() / written.getframerate()
    return RenderResult(wav_path, backend, sf2, seconds, sample_rate)


# --- command line --------------------------------------------------------------------------------
def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``launchpad render SONG.mid -o SONG.wav [--soundfont SF2]``."""
    parser = subparsers.add_parser(
        "render",
        help="render a MIDI file to a WAV file (FluidSynth, or sine waves without it)",
        description="Render a MIDI file to a WAV file with FluidSynth and a General MIDI soundfont, or with "
                    "sine waves when FluidSynth is not installed.",
    )
    parser.add_argument("midi", metavar="SONG.mid", help="the MIDI file to render")
    parser.add_argument("-o", "--output", metavar="SONG.wav", help="the WAV file to write (default: SONG.wav)")
    parser.add_argument("--soundfont", metavar="SF2", help="a .sf2 soundfont (default: a General MIDI one found)")
    parser.add_argument("--sample-rate", type=int, default=44100, help="samples per second (default: 44100)")
    parser.add_argument("--backend", choices=("auto", *BACKENDS), default="auto",
                        help="synthesizer (default: auto, the first of fluidsynth, pyfluidsynth, sine available)")
    parser.set_defaults(run=_render_command)


def _render_command(args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else Path(args.midi).with_suffix(".wav")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = render_audio(args.midi, output, soundfont=args.soundfont, sample_rate=args.sample_rate,
                                  backend=args.backend)
        except (FileNotFoundError, ValueError, RuntimeError) as error:
            print(f"launchpad render: {error}", file=sys.stderr)
            return 1
    for warning in caught:
        print(f"launchpad render: {warning.message}", file=sys.stderr)
    via = f"{result.backend} with {result.soundfont}" if result.soundfont else result.backend
    print(f"wrote {result.path} ({result.seconds:.2f} s at {result.sample_rate} Hz, {via})")
    return 0
