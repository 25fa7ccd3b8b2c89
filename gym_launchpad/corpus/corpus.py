"""A corpus of real bars: the music the reward compares every state with.

A :class:`Corpus` holds ``K`` distinct bars as a ``(K, N)`` array of ``uint64`` row words (the layout of
:mod:`gym_launchpad.launchpad`), how many times each bar occurred, where each came from (source file and
bar number of its first occurrence), the :class:`~gym_launchpad.launchpad.LaunchpadSpec` it was built
for, and free-form build metadata. It is saved as a plain ``.npz`` that loads with
``allow_pickle=False``. The builders (:mod:`gym_launchpad.corpus.build` for MIDI files,
:mod:`gym_launchpad.corpus.chorales` for the shipped corpus) make corpora; this module only holds them.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from gym_launchpad.atomic_file import atomic_path
from gym_launchpad.launchpad import LaunchpadSpec

#: Bumped when the file layout changes; a file of another version is refused.
FORMAT_VERSION = 1

DEFAULT_CORPUS_NAME = "bach_chorales.npz"
#: The shipped corpus of note onsets (the DJ task's), beside the default one.
ONSET_CORPUS_NAME = "bach_onsets.npz"

#: What :meth:`Corpus.load` refuses without reading further: more distinct bars than this (a corpus of every
#: bar of the Lakh MIDI dataset holds a few million), a source name or the metadata longer than these.
MAX_BARS = 10_000_000
MAX_SOURCE_CHARS = 4096
MAX_METADATA_CHARS = 1 << 22
#: How often one bar may have occurred: far beyond any real collection, and the total of K such counts
#: stays far inside int64.
MAX_COUNT = 1 << 36

#: Each array of a corpus file: its dtype (``str``: text of any length) and its number of dimensions.
_ARRAYS = {
    "bars": ("uint64", 2), "counts": ("int64", 1), "source_index": ("int32", 1), "bar_number": ("int32", 1),
    "sources": ("str", 1), "spec": ("int64", 1), "format_version": ("int64", 0), "metadata": ("str", 0),
}
#: Deflate cannot shrink data more than about 1032 times; a member claiming more lies about its size.
_MAX_DEFLATE_RATIO = 1100


class CorpusError(ValueError):
    """A corpus file or array that cannot be used, with what to do about it."""


class CorpusSpecError(CorpusError):
    """A corpus built for another launchpad spec than the one asked for."""


def default_corpus_path() -> Path:
    """The corpus shipped inside the package (Bach chorales from the music21 corpus)."""
    return Path(str(resources.files("gym_launchpad") / "data" / DEFAULT_CORPUS_NAME))


def onset_corpus_path() -> Path:
    """The shipped corpus of note onsets: the Bach chorales' bars with at least 20 struck notes."""
    return default_corpus_path().with_name(ONSET_CORPUS_NAME)


@dataclass(eq=False)
class Corpus:
    """``K`` distinct bars with their counts and provenance, for one launchpad spec.

    Attributes:
        spec: the launchpad spec the bars were quantized for.
        bars: ``(K, N)`` uint64, row ``n`` of bar ``i`` is pitch ``spec.low_note + n``.
        counts: ``(K,)`` int64 >= 1, how often each distinct bar occurred in the sources.
        sources: ``(S,)`` str, the source files (relative paths or names).
        source_index: ``(K,)`` int32, index into ``sources`` of each bar's first occurrence.
        bar_number: ``(K,)`` int32, where that occurrence is in its source: the 0-based bar of the bar grid
            for MIDI builds, the score's own measure number for the Bach corpus (see ``metadata``).
        metadata: JSON-serialisable build information (builder, parser, options, ...); its ``cells`` says
            what a cell is (:attr:`cells`).
    """

    spec: LaunchpadSpec
    bars: np.ndarray
    counts: np.ndarray
    sources: np.ndarray
    source_index: np.ndarray
    bar_number: np.ndarray
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bars = np.ascontiguousarray(self.bars, dtype=np.uint64)
        self.counts = np.asarray(self.counts, dtype=np.int64)
        self.sources = np.asarray(self.sources, dtype=str)
        self.source_index = np.asarray(self.source_index, dtype=np.int32)
        self.bar_number = np.asarray(self.bar_number, dtype=np.int32)
        self._validate()
        for array in (self.bars, self.counts, self.sources, self.source_index, self.bar_number):
            array.setflags(write=False)

    def _validate(self) -> None:
        spec, k = self.spec, len(self.bars)
        if self.bars.ndim != 2 or self.bars.shape[1] != spec.n_notes:
            raise CorpusError(f"bars must have shape (K, n_notes={spec.n_notes}), got {self.bars.shape}")
        if k == 0:
            raise CorpusError(
                "the corpus is empty: no bar passed the filters. Build it from more music or relax "
                "the note-count and distinct-pitch thresholds."
            )
        for name in ("counts", "source_index", "bar_number"):
            if getattr(self, name).shape != (k,):
                raise CorpusError(f"{name} must have shape ({k},), got {getattr(self, name).shape}")
        if (self.bars & ~spec.row_mask).any():
            raise CorpusError(f"bars have bits set beyond the {spec.steps} steps of a bar for {spec}")
        if (self.counts < 1).any() or (self.counts > MAX_COUNT).any():
            raise CorpusError(f"every bar count must be in 1..{MAX_COUNT}, got "
                              f"{self.counts.min()}..{self.counts.max()}")
        if self.sources.ndim != 1 or not len(self.sources):
            raise CorpusError(f"sources must be a list of at least one name, got shape {self.sources.shape}")
        if self.source_index.min() < 0 or self.source_index.max() >= len(self.sources):
            raise CorpusError(f"source_index points outside the {len(self.sources)} sources")
        if self.bar_number.min() < 0:
            raise CorpusError("bar_number must be >= 0")
        # The reward counts each bar once per row: a repeated row would weigh it twice.
        rows = np.sort(self.bars.view(np.dtype((np.void, self.bars.shape[1] * 8))).ravel())
        if (rows[1:] == rows[:-1]).any():
            raise CorpusError("bars must be distinct (a repeated bar is one row with a higher count)")
        if not isinstance(self.metadata, dict):
            raise CorpusError(f"metadata must be a JSON object (a dict), got {type(self.metadata).__name__}")

    # --- building ----------------------------------------------------------------------------
    @classmethod
    def from_bars(cls, spec: LaunchpadSpec, bars: ArrayLike, sources: ArrayLike | None = None,
                  source_index: ArrayLike | None = None, bar_number: ArrayLike | None = None,
                  metadata: dict | None = None) -> Corpus:
        """Make a corpus from possibly repeated bars, keeping the first occurrence and counting repeats.

        ``bars`` is ``(M, N)`` uint64 words or an ``(M, N, 2**B)`` binary roll.
        """
        bars = np.asarray(bars)
        if bars.ndim == 3:
            bars = spec.roll_to_words(bars)
        bars = np.asarray(bars, dtype=np.uint64).reshape(-1, spec.n_notes)
        m = len(bars)
        if sources is None:
            sources, source_index = np.array(["<array>"]), np.zeros(m, dtype=np.int32)
        if bar_number is None:
            bar_number = np.arange(m, dtype=np.int32)
        source_index = np.zeros(m, dtype=np.int32) if source_index is None else np.asarray(source_index)
        if m == 0:
            raise CorpusError(
                "the corpus is empty: no bar passed the filters. Build it from more music or relax "
                "the note-count and distinct-pitch thresholds."
            )
        unique, first, counts = np.unique(bars, axis=0, return_index=True, return_counts=True)
        # Keep bars in order of first appearance, so a corpus reads like its sources.
        order = np.argsort(first, kind="stable")
        first = first[order]
        return cls(spec, unique[order], counts[order], np.asarray(sources, dtype=str), np.asarray(source_index)[first],
                   np.asarray(bar_number)[first], dict(metadata or {}))

    @classmethod
    def merge(cls, corpora: Iterable[Corpus], metadata: dict | None = None) -> Corpus:
        """One corpus holding the bars of all ``corpora`` (same spec), counts added."""
        corpora = list(corpora)
        if not corpora:
            raise CorpusError("merge needs at least one corpus")
        spec = corpora[0].spec
        for other in corpora[1:]:
            if other.spec != spec:
                raise CorpusSpecError(f"cannot merge corpora of different specs: {spec} and {other.spec}")
        kinds = sorted({c.cells for c in corpora})
        if len(kinds) > 1:
            raise CorpusError(f"cannot merge corpora of different cells ({' and '.join(kinds)}): a bar of onsets and "
                              "a bar of sounding cells are different music; rebuild them with one --cells")
        sources: list[str] = []
        offsets: list[int] = []
        for c in corpora:
            offsets.append(len(sources))
            sources.extend(c.sources.tolist())
        bars, counts, source_index, bar_number = distinct_bars(
            np.concatenate([c.bars for c in corpora]), np.concatenate([c.counts for c in corpora]),
            np.concatenate([c.source_index + off for c, off in zip(corpora, offsets, strict=True)]),
            np.concatenate([c.bar_number for c in corpora]))
        return cls(spec, bars, counts, np.array(sources), source_index, bar_number,
                   dict(metadata or {"merged_from": [c.hash for c in corpora], "cells": corpora[0].cells}))

    # --- properties --------------------------------------------------------------------------
    @property
    def cells(self) -> str:
        """``"sounding"`` (a cell is a step where a note sounds) or ``"onsets"`` (a step where one starts).

        Files built before onsets existed hold sounding cells and say nothing.
        """
        return self.metadata.get("cells", "sounding")

    def __len__(self) -> int:
        return len(self.bars)

    @property
    def total_count(self) -> int:
        """Bars in the sources, repeats included."""
        return int(self.counts.sum())

    @property
    def hash(self) -> str:
        """sha256 of the spec, bars and counts: two corpora with one hash give the same rewards."""
        if not hasattr(self, "_hash"):
            h = hashlib.sha256(json.dumps(self.spec.as_dict(), sort_keys=True).encode())
            h.update(self.bars.astype("<u8").tobytes())
            h.update(self.counts.astype("<i8").tobytes())
            self._hash = h.hexdigest()
        return self._hash

    def rolls(self, index: int | slice | np.ndarray = slice(None)) -> np.ndarray:
        """Bars as ``(..., N, 2**B)`` bool piano rolls."""
        return self.spec.words_to_roll(self.bars[index])

    def source_of(self, i: int) -> tuple[str, int]:
        """(source file, bar number) of bar ``i``'s first occurrence."""
        return str(self.sources[self.source_index[i]]), int(self.bar_number[i])

    def check_spec(self, spec: LaunchpadSpec, what: str = "this environment") -> None:
        if spec != self.spec:
            raise CorpusSpecError(
                f"the corpus was built for {self.spec} but {what} uses {spec}. Rebuild the corpus for "
                f"that spec (launchpad corpus build --n-notes {spec.n_notes} --bar-bits {spec.bar_bits} "
                f"--low-note {spec.low_note}) or make the env with the corpus's spec."
            )

    # --- files -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the corpus as an ``.npz`` (``.npz`` is added to a name without it) and return its path.

        The file is replaced at once (:func:`gym_launchpad.atomic_file.atomic_path`): a reader sees the old file
        or the whole new one, an error or Ctrl-C mid-write leaves the old one, and two saves of one path at
        once leave one of the two corpora, whole.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        spec = np.array([self.spec.n_notes, self.spec.bar_bits, self.spec.low_note], dtype=np.int64)
        arrays = {
            "bars": self.bars, "counts": self.counts, "source_index": self.source_index,
            "bar_number": self.bar_number, "sources": self.sources, "spec": spec,
            "format_version": np.array(FORMAT_VERSION),
            "metadata": np.array(json.dumps(self.metadata, sort_keys=True)),
        }
        # np.savez stamps each member with the current time; a fixed stamp makes a rebuild byte-identical.
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, spec: LaunchpadSpec | None = None, *,
             max_bars: int = MAX_BARS) -> Corpus:
        """Read a corpus saved by :meth:`save`; refuse a damaged file, another format or another spec.

        Every array's dtype, shape, size (declared and stored) and values are checked, the declared sizes
        before anything is allocated, so a hostile file costs no more memory than ``max_bars`` bars; every
        refusal is one :class:`CorpusError` naming the file and the problem.
        """
        path = Path(path)
        if not path.is_file():
            raise CorpusError(f"no corpus file at {path}: build one with `launchpad corpus build DIR -o {path}`")
        try:
            with zipfile.ZipFile(path) as archive:
                _check_declared_arrays(archive, path.stat().st_size, max_bars)
            with np.load(path, allow_pickle=False) as data:
                version = int(data["format_version"])
                if version != FORMAT_VERSION:
                    raise CorpusError(f"corpus format {version}, this gym_launchpad reads format {FORMAT_VERSION}: "
                                      "rebuild it with this version")
                spec_values = data["spec"]
                if spec_values.shape != (3,):
                    raise CorpusError(f"spec must hold 3 numbers (n_notes, bar_bits, low_note), got shape "
                                      f"{spec_values.shape}")
                file_spec = LaunchpadSpec(*(int(v) for v in spec_values))
                arrays = {name: data[name] for name in ("bars", "counts", "sources", "source_index", "bar_number")}
                metadata = json.loads(str(data["metadata"]))
            corpus = cls(file_spec, metadata=metadata, **arrays)
        except CorpusError as error:
            raise CorpusError(f"{path}: {error}") from error
        except (OSError, ValueError, TypeError, KeyError, EOFError, MemoryError, OverflowError, zlib.error,
                zipfile.BadZipFile) as error:
            # ValueError covers json.JSONDecodeError and LaunchpadSpec's range checks.
            raise CorpusError(f"{path} is damaged or not a corpus file ({type(error).__name__}: {error}); "
                              "rebuild it with `launchpad corpus build`") from error
        if spec is not None:
            corpus.check_spec(spec, what="the caller")
        return corpus

    @classmethod
    def default(cls) -> Corpus:
        """The shipped corpus: every kept 4/4 bar of the Bach chorales in music21's corpus."""
        return _load_shipped(default_corpus_path())

    @classmethod
    def onsets(cls) -> Corpus:
        """The shipped corpus of onsets (:func:`onset_corpus_path`), the default of ``LaunchpadDJ-v0``."""
        return _load_shipped(onset_corpus_path())

    def __repr__(self) -> str:
        return (f"Corpus({len(self)} bars ({self.total_count} with repeats) from {len(self.sources)} sources, "
                f"{self.spec}, hash {self.hash[:12]})")


def distinct_bars(bars: np.ndarray, counts: np.ndarray, source_index: np.ndarray,
                  bar_number: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(bars, counts, source_index, bar_number)`` with each distinct bar once: its counts added, the provenance of
    its first row kept, in order of first rows (a merge of corpora, a corpus and its transpositions)."""
    unique, first, inverse = np.unique(bars, axis=0, return_index=True, return_inverse=True)
    merged_counts = np.bincount(inverse.ravel(), weights=counts, minlength=len(unique)).astype(np.int64)
    order = np.argsort(first, kind="stable")
    return unique[order], merged_counts[order], source_index[first[order]], bar_number[first[order]]


def _check_declared_arrays(archive: zipfile.ZipFile, file_size: int, max_bars: int) -> None:
    """Refuse, from the ``.npy`` headers alone, arrays of the wrong kind or shape, sizes beyond the limits,
    and members whose declared size the file cannot hold, before a byte of data is allocated."""
    members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
    missing = [name for name in _ARRAYS if name not in members]
    if missing:
        raise CorpusError(f"not a gym_launchpad corpus (missing {', '.join(missing)}); build one with "
                          "`launchpad corpus build`")
    shapes = {}
    for name, (type_name, ndim) in _ARRAYS.items():
        info = members[name]
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version not in ((1, 0), (2, 0)):
                raise CorpusError(f"{name} is stored in .npy format {version}, not 1.0 or 2.0")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(member)
            header_bytes = member.tell()
        # Any byte order; the kind and size as save() writes them (a float or wider int would change the reward).
        expected = np.dtype(type_name)
        if dtype.kind != expected.kind or (type_name != "str" and dtype.itemsize != expected.itemsize) \
                or len(shape) != ndim:
            raise CorpusError(f"{name} must be a {ndim}-dimensional array of {type_name}, got {dtype} of shape "
                              f"{shape}")
        declared = header_bytes + int(np.prod(shape, dtype=object)) * dtype.itemsize
        if declared != info.file_size:
            raise CorpusError(f"{name} declares shape {shape} of {dtype.str} ({declared} bytes) but holds "
                              f"{info.file_size} bytes")
        if info.compress_size > file_size or info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 4096:
            raise CorpusError(f"{name} claims {info.file_size} bytes from {info.compress_size} compressed bytes, "
                              f"which no compression gives (the file holds {file_size} bytes)")
        shapes[name] = (shape, dtype)
    bars = shapes["bars"][0][0]
    if not 0 < bars <= max_bars:
        raise CorpusError(f"bars declares {bars} bars, outside 1..{max_bars} (Corpus.load(..., max_bars=N) raises "
                          "the limit for a corpus you trust to be that large)")
    for name in ("counts", "source_index", "bar_number"):
        if shapes[name][0] != (bars,):
            raise CorpusError(f"{name} must have shape ({bars},) like bars, got {shapes[name][0]}")
    if not 0 < shapes["sources"][0][0] <= max_bars:
        raise CorpusError(f"sources declares {shapes['sources'][0][0]} names, outside 1..{max_bars}")
    limits = {"sources": MAX_SOURCE_CHARS, "metadata": MAX_METADATA_CHARS}
    for name, limit in limits.items():
        if shapes[name][1].itemsize // 4 > limit:
            raise CorpusError(f"{name} holds text of {shapes[name][1].itemsize // 4} characters, more than {limit}")


_default_cache: dict[str, Corpus] = {}


def _load_shipped(path: Path) -> Corpus:
    key = str(path)
    if key not in _default_cache:
        _default_cache[key] = Corpus.load(path)
    return _default_cache[key]


def resolve_corpus(corpus: object, spec: LaunchpadSpec) -> Corpus:
    """A ``Corpus`` from what a user passes to an env: None (the default), a path, or a Corpus."""
    if corpus is None:
        resolved = Corpus.default()
    elif isinstance(corpus, Corpus):
        resolved = corpus
    elif isinstance(corpus, (str, os.PathLike)):
        resolved = Corpus.load(corpus)
    else:
        raise TypeError(f"corpus must be None, a path to a .npz, or a Corpus; got {type(corpus).__name__}")
    resolved.check_spec(spec)
    return resolved
