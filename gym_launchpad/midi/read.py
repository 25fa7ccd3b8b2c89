"""MIDI files -> notes in ticks: the symusic and pretty_midi parsers, and the checks both share.

Every parser reduces a file to a :class:`ScoreNotes`: its pitched (non-drum) notes as integer
``[start, end)`` ticks and its time signatures; :mod:`gym_launchpad.corpus.quantize` turns those into bars.
MIDI files are read with symusic when it is installed (``pip install gym_launchpad[fast]``) and with
pretty_midi otherwise; both give the same notes. Note pairing follows pretty_midi's rule (a note-off
ends every note of its pitch and channel that began before it), and symusic's notes are re-paired to
match it.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gymnasium.error import DependencyNotInstalled

PARSERS = ("symusic", "pretty_midi")

#: pretty_midi refuses files with a later tick than this (it allocates a tick-to-seconds table); the
#: symusic reader applies the same limit so that both parsers keep and fail the same files.
MAX_TICK = 10_000_000


class MidiReadError(Exception):
    """A file that yields no bars, with a short ``reason`` (counted in build reports) and details."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class ScoreNotes:
    """What every parser reduces a score to: pitched notes in integer ticks and the time signatures."""

    ticks_per_quarter: int
    starts: np.ndarray  # (M,) int64
    ends: np.ndarray  # (M,) int64
    pitches: np.ndarray  # (M,) int64
    tracks: np.ndarray  # (M,) int64, instrument index (for per-track bars)
    time_signatures: list  # [(tick, numerator, denominator)]


def resolve_parser(parser: str = "auto") -> str:
    """``"symusic"`` when asked for or (``"auto"``) when installed, else ``"pretty_midi"``."""
    if parser == "auto":
        try:
            import symusic  # noqa: F401 - optional: gym_launchpad[fast]
        except ImportError:
            return "pretty_midi"
        return "symusic"
    if parser not in PARSERS:
        raise ValueError(f"parser must be 'auto', 'symusic' or 'pretty_midi', got {parser!r}")
    if parser == "symusic":
        try:
            import symusic  # noqa: F401
        except ImportError as error:
            raise DependencyNotInstalled(
                "the symusic parser needs symusic: pip install gym_launchpad[fast] (or use parser='pretty_midi')"
            ) from error
    return parser


def parser_version(parser: str) -> str:
    module = __import__(parser)
    return getattr(module, "__version__", "unknown")


def check_midi_bytes(data: bytes) -> None:
    """Raise :class:`MidiReadError` for an empty, non-MIDI or truncated file, whatever the parser.

    Checking the chunk layout once here gives both parsers the same reasons for the same broken files.
    """
    if not data:
        raise MidiReadError("empty file")
    if data[:4] != b"MThd":
        raise MidiReadError("not a MIDI file", f"starts with {data[:4]!r}, not b'MThd'")
    if len(data) < 14:
        raise MidiReadError("truncated", f"the header chunk needs 14 bytes, the file has {len(data)}")
    header_length = int.from_bytes(data[4:8], "big")
    n_tracks = int.from_bytes(data[10:12], "big")
    offset = 8 + header_length
    for track in range(n_tracks):
        if offset + 8 > len(data):
            raise MidiReadError("truncated", f"track {track + 1} of {n_tracks} is missing")
        length = int.from_bytes(data[offset + 4:offset + 8], "big")
        if offset + 8 + length > len(data):
            raise MidiReadError("truncated", f"track {track + 1} of {n_tracks} needs {length} bytes, "
                                f"{len(data) - offset - 8} left")
        offset += 8 + length


def _notes_symusic(data: bytes) -> ScoreNotes:
    import symusic  # optional: gym_launchpad[fast]

    score = symusic.Score.from_midi(data)
    start_parts: list[np.ndarray] = []
    end_parts: list[np.ndarray] = []
    pitch_parts: list[np.ndarray] = []
    track_parts: list[np.ndarray] = []
    for index, track in enumerate(score.tracks):
        if track.is_drum or not len(track.notes):
            continue
        notes = track.notes.numpy()
        start_parts.append(notes["time"].astype(np.int64))
        end_parts.append(start_parts[-1] + notes["duration"].astype(np.int64))
        pitch_parts.append(notes["pitch"].astype(np.int64))
        track_parts.append(np.full(len(start_parts[-1]), index, dtype=np.int64))
    starts, ends, pitches, tracks = (np.concatenate(a) if a else np.zeros(0, dtype=np.int64)
                                     for a in (start_parts, end_parts, pitch_parts, track_parts))
    starts, ends, pitches, tracks = _pair_like_pretty_midi(starts, ends, pitches, tracks)
    signatures = [(ts.time, ts.numerator, ts.denominator) for ts in score.time_signatures]
    return ScoreNotes(int(score.ticks_per_quarter), starts, ends, pitches, tracks, signatures)


def _pair_like_pretty_midi(starts: np.ndarray, ends: np.ndarray, pitches: np.ndarray,
                           tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Re-pair note-ons and note-offs with pretty_midi's rule: each note ends at the first note-off of its
    track and pitch after its start; a note that no later note-off ends is dropped.

    symusic pairs first-in first-out, which differs on overlapping notes of one pitch. The ticks of its
    notes' starts and ends are the file's note-ons and note-offs, so the pairing can be redone, except
    for note-ons that symusic found no note-off for: it drops them, and they stay lost.
    """
    key = tracks * 128 + pitches
    # Ticks are < 2**31 in symusic, so (key, tick) packs into one sortable int64.
    offs = np.unique(key << 31 | ends)
    # symusic keeps a note-on and note-off of one tick as a note of length 0; pretty_midi drops it.
    struck = ends > starts
    starts, pitches, tracks, key = starts[struck], pitches[struck], tracks[struck], key[struck]
    at = np.searchsorted(offs, key << 31 | starts, side="right")
    found = at < len(offs)
    found[found] = (offs[at[found]] >> 31) == key[found]
    paired_ends = offs[np.minimum(at, len(offs) - 1)] & ((1 << 31) - 1)
    return starts[found], paired_ends[found], pitches[found], tracks[found]


def _notes_pretty_midi(data: bytes) -> ScoreNotes:
    # pretty_midi (and mido under it) is imported when a file is read: it takes 0.3 s to import.
    import mido
    import pretty_midi

    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except mido.KeySignatureError:
        # The key does not change a bar; read the file with its key signatures set to C major.
        midi = mido.MidiFile(file=io.BytesIO(_key_signatures_to_c(data)))
    with warnings.catch_warnings():
        # It warns of time signatures outside the first track; they are read from every track below.
        warnings.simplefilter("ignore", RuntimeWarning)
        score = pretty_midi.PrettyMIDI(mido_object=midi)
    # pretty_midi has turned the message times into absolute ticks, in every track.
    signatures = [(message.time, message.numerator, message.denominator)
                  for track in midi.tracks for message in track if message.type == "time_signature"]
    starts, ends, pitches, tracks = [], [], [], []
    for index, instrument in enumerate(score.instruments):
        if instrument.is_drum:
            continue
        for note in instrument.notes:
            starts.append(score.time_to_tick(note.start))
            ends.append(score.time_to_tick(note.end))
            pitches.append(note.pitch)
            tracks.append(index)
    return ScoreNotes(int(score.resolution), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64),
                      np.array(pitches, dtype=np.int64), np.array(tracks, dtype=np.int64), signatures)


def _key_signatures_to_c(data: bytes) -> bytes:
    """``data`` with every key-signature meta event (``FF 59 02 sf mi``) set to C major."""
    edited = bytearray(data)
    at = edited.find(b"\xff\x59\x02")
    while at != -1 and at + 5 <= len(edited):
        edited[at + 3:at + 5] = b"\x00\x00"
        at = edited.find(b"\xff\x59\x02", at + 5)
    return bytes(edited)


def read_midi_notes(path: str | os.PathLike, parser: str = "auto") -> ScoreNotes:
    """The pitched (non-drum) notes of a MIDI file in ticks, and its time signatures.

    Raises :class:`MidiReadError` with a short reason for a file that cannot be read.
    """
    parser = resolve_parser(parser)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise MidiReadError("unreadable", f"{type(error).__name__}: {error}") from error
    check_midi_bytes(data)
    try:
        notes = (_notes_symusic if parser == "symusic" else _notes_pretty_midi)(data)
    except Exception as error:  # noqa: BLE001 - a parser may raise anything on a broken file
        raise MidiReadError("parse error", f"{type(error).__name__}: {error}") from error
    for tick, numerator, denominator in notes.time_signatures:
        if numerator < 1 or denominator not in (1, 2, 4, 8, 16, 32, 64, 128):
            raise MidiReadError("bad time signature", f"{numerator}/{denominator} at tick {tick}")
    if len(notes.ends) and (notes.ends.max() > MAX_TICK or notes.starts.min() < 0):
        raise MidiReadError("corrupt timing", f"notes reach tick {notes.ends.max()} (limit {MAX_TICK})")
    if notes.ticks_per_quarter < 1:
        raise MidiReadError("corrupt timing", f"{notes.ticks_per_quarter} ticks per quarter note")
    return notes

