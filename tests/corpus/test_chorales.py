"""The shipped default corpus: what it holds, and that the script in the repo rebuilds it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gym_launchpad.corpus import Corpus, default_corpus_path
from gym_launchpad.corpus.quantize import DEFAULT_MIN_CELLS, DEFAULT_MIN_PITCHES
from gym_launchpad.launchpad import LaunchpadSpec

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_corpus_is_small_and_for_the_default_spec():
    path = default_corpus_path()
    assert 0 < path.stat().st_size < 2_000_000
    corpus = Corpus.default()
    assert corpus.spec == LaunchpadSpec()
    assert len(corpus) > 1000
    assert (path.parent / "NOTICE").read_text().count("public domain") >= 1


def test_every_shipped_bar_passes_the_filters():
    corpus = Corpus.default()
    cells = np.bitwise_count(corpus.bars).sum(axis=1)
    pitches = (corpus.bars != 0).sum(axis=1)
    assert cells.min() >= DEFAULT_MIN_CELLS
    assert pitches.min() >= DEFAULT_MIN_PITCHES
    # Distinct bars, each counted at least once.
    assert len(np.unique(corpus.bars, axis=0)) == len(corpus)
    assert corpus.counts.min() >= 1


def test_provenance_names_chorale_files_and_measure_numbers():
    corpus = Corpus.default()
    assert all(name.startswith("bach/bwv") and name.endswith(".mxl") for name in corpus.sources)
    assert "bach/bwv846.mxl" not in corpus.sources  # a prelude, not a chorale
    # Measure 0 is a pickup, never a full bar.
    assert corpus.bar_number.min() >= 1
    assert corpus.metadata["builder"] == "gym_launchpad.corpus_build.build_bach_corpus"
    assert corpus.metadata["options"]["fold"] is True
    assert corpus.metadata["music21_version"]


def test_importing_gym_launchpad_does_not_import_music21():
    code = ("import sys, gym_launchpad.cli, gym_launchpad.corpus.build, gym_launchpad.corpus.chorales; "
            "print('music21' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def built_twice_alike(tmp_path, *flags: str) -> Path:
    """``scripts/build_default_corpus.py --limit 10`` (``flags`` added) run twice; asserts both files are the
    same bytes and returns the first. Skips without music21."""
    pytest.importorskip("music21")
    script = ROOT / "scripts" / "build_default_corpus.py"
    outputs = [tmp_path / "first.npz", tmp_path / "second.npz"]
    for output in outputs:
        # PYTHONPATH: the script imports this checkout's gym_launchpad, whichever one is installed.
        subprocess.run([sys.executable, str(script), *flags, "--limit", "10", "-o", str(output)], check=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    return outputs[0]


@pytest.mark.slow
def test_the_script_rebuilds_a_subset_of_the_shipped_corpus_byte_for_byte(tmp_path):
    subset, shipped = Corpus.load(built_twice_alike(tmp_path)), Corpus.default()
    assert len(subset.sources) == 10
    assert set(subset.sources) <= set(shipped.sources)
    index = {bar.tobytes(): i for i, bar in enumerate(shipped.bars)}
    for i, bar in enumerate(subset.bars):
        j = index[bar.tobytes()]
        assert subset.counts[i] <= shipped.counts[j]
    # The first chorales come first in the shipped file, so their first occurrences match too.
    for i in range(len(subset)):
        assert subset.source_of(i) == shipped.source_of(index[subset.bars[i].tobytes()])
