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
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from gym_launchpad.launchpad import LaunchpadSpec

#: Bumped when the file layout changes; a file of another version is refused.
FORMAT_VERSION = 1

DEFAULT_CORPUS_NAME = "bach_chorales.npz"
#: The shipped corpus of note onsets (the DJ task's), beside the default one.
ONSET_CORPUS_NAME = "bach_onsets.npz"

_ARRAYS = ("bars", "counts", "source_index", "bar_number", "sources", "spec", "format_version", "metadata")


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

    def __post_init__(self):
        self.bars = np.ascontiguousarray(self.bars, dtype=np.uint64)
        self.counts = np.asarray(self.counts, dtype=np.int64)
        self.sources = np.asarray(self.sources, dtype=str)
        self.source_index = np.asarray(self.source_index, dtype=np.int32)
        self.bar_number = np.asarray(self.bar_number, dtype=np.int32)
        self._validate()
        for array in (self.bars, self.counts, self.sources, self.source_index, self.bar_number):
            array.setflags(write=False)

    def _validate(self):
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
        if (self.counts < 1).any():
            raise CorpusError("every bar count must be >= 1")
        if len(self.sources) and (self.source_index.min() < 0 or self.source_index.max() >= len(self.sources)):
            raise CorpusError("source_index points outside the sources list")
        if not len(self.sources):
            raise CorpusError("a corpus needs at least one source name")

    # --- building ----------------------------------------------------------------------------
    @classmethod
    def from_bars(cls, spec: LaunchpadSpec, bars, sources=None, source_index=None, bar_number=None,
                  metadata=None) -> Corpus:
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
        return cls(spec, unique[order], counts[order], sources, np.asarray(source_index)[first],
                   np.asarray(bar_number)[first], dict(metadata or {}))

    @classmethod
    def merge(cls, corpora, metadata=None) -> Corpus:
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
        sources, offsets = [], []
        for c in corpora:
            offsets.append(len(sources))
            sources.extend(c.sources.tolist())
        bars = np.concatenate([c.bars for c in corpora])
        counts = np.concatenate([c.counts for c in corpora])
        source_index = np.concatenate([c.source_index + off for c, off in zip(corpora, offsets, strict=True)])
        bar_number = np.concatenate([c.bar_number for c in corpora])
        unique, first, inverse = np.unique(bars, axis=0, return_index=True, return_inverse=True)
        merged_counts = np.bincount(inverse.ravel(), weights=counts, minlength=len(unique)).astype(np.int64)
        order = np.argsort(first, kind="stable")
        return cls(spec, unique[order], merged_counts[order], np.array(sources), source_index[first[order]],
                   bar_number[first[order]],
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

    def rolls(self, index=slice(None)) -> np.ndarray:
        """Bars as ``(..., N, 2**B)`` bool piano rolls."""
        return self.spec.words_to_roll(self.bars[index])

    def source_of(self, i: int) -> tuple[str, int]:
        """(source file, bar number) of bar ``i``'s first occurrence."""
        return str(self.sources[self.source_index[i]]), int(self.bar_number[i])

    def check_spec(self, spec: LaunchpadSpec, what: str = "this environment"):
        if spec != self.spec:
            raise CorpusSpecError(
                f"the corpus was built for {self.spec} but {what} uses {spec}. Rebuild the corpus for "
                f"that spec (launchpad corpus build --n-notes {spec.n_notes} --bar-bits {spec.bar_bits} "
                f"--low-note {spec.low_note}) or make the env with the corpus's spec."
            )

    # --- files -------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the corpus as an ``.npz`` (written to a temporary name first, so a crash loses nothing)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        spec = np.array([self.spec.n_notes, self.spec.bar_bits, self.spec.low_note], dtype=np.int64)
        arrays = {
            "bars": self.bars, "counts": self.counts, "source_index": self.source_index,
            "bar_number": self.bar_number, "sources": self.sources, "spec": spec,
            "format_version": np.array(FORMAT_VERSION),
            "metadata": np.array(json.dumps(self.metadata, sort_keys=True)),
        }
        # np.savez stamps each member with the current time; a fixed stamp makes a rebuild byte-identical.
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path, spec: LaunchpadSpec | None = None) -> Corpus:
        """Read a corpus saved by :meth:`save`; refuse a damaged file, another format or another spec."""
        path = Path(path)
        if not path.is_file():
            raise CorpusError(f"no corpus file at {path}: build one with `launchpad corpus build DIR -o {path}`")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [name for name in _ARRAYS if name not in data.files]
                if missing:
                    raise CorpusError(
                        f"{path} is not a gym_launchpad corpus (missing {', '.join(missing)}); build one with "
                        "`launchpad corpus build`"
                    )
                version = int(data["format_version"])
                if version != FORMAT_VERSION:
                    raise CorpusError(
                        f"{path} has corpus format {version}, this gym_launchpad reads format {FORMAT_VERSION}: "
                        "rebuild it with this version"
                    )
                n_notes, bar_bits, low_note = (int(v) for v in data["spec"])
                arrays = {name: data[name] for name in ("bars", "counts", "sources", "source_index", "bar_number")}
                metadata = json.loads(str(data["metadata"]))
        except CorpusError:
            raise
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as error:
            raise CorpusError(f"{path} is damaged or not a corpus file ({type(error).__name__}: {error}); "
                              "rebuild it with `launchpad corpus build`") from error
        try:
            corpus = cls(LaunchpadSpec(n_notes, bar_bits, low_note), metadata=metadata, **arrays)
        except (TypeError, ValueError) as error:
            if isinstance(error, CorpusError):
                raise CorpusError(f"{path}: {error}") from error
            raise CorpusError(f"{path} is damaged: {error}") from error
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

    def __repr__(self):
        return (f"Corpus({len(self)} bars ({self.total_count} with repeats) from {len(self.sources)} sources, "
                f"{self.spec}, hash {self.hash[:12]})")


_default_cache: dict[str, Corpus] = {}


def _load_shipped(path: Path) -> Corpus:
    key = str(path)
    if key not in _default_cache:
        _default_cache[key] = Corpus.load(path)
    return _default_cache[key]


def resolve_corpus(corpus, spec: LaunchpadSpec) -> Corpus:
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
