"""Corpora of real bars: the data type (:mod:`.corpus`), and the builders that make them from music.

- :mod:`gym_launchpad.corpus.corpus`: :class:`Corpus`, its ``.npz`` files and the shipped corpora (sounding
  cells and onsets).
- :mod:`gym_launchpad.corpus.quantize`: notes in ticks -> bar words, and which bars are kept.
- :mod:`gym_launchpad.corpus.build`: a corpus from a folder of MIDI files (``from_midi``).
- :mod:`gym_launchpad.corpus.chorales`: the shipped corpus, from music21's Bach chorales.
- :mod:`gym_launchpad.corpus.cli`: ``launchpad corpus build|info|merge``.

Importing this package loads only the data type; the builders load when imported.
"""

from gym_launchpad.corpus.corpus import (
    DEFAULT_CORPUS_NAME,
    FORMAT_VERSION,
    ONSET_CORPUS_NAME,
    Corpus,
    CorpusError,
    CorpusSpecError,
    default_corpus_path,
    onset_corpus_path,
    resolve_corpus,
)

__all__ = [
    "DEFAULT_CORPUS_NAME", "FORMAT_VERSION", "ONSET_CORPUS_NAME", "Corpus", "CorpusError", "CorpusSpecError",
    "default_corpus_path", "onset_corpus_path", "resolve_corpus",
]
