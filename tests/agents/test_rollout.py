import numpy as np
import pytest
from test_music_metrics import SPEC, _bar  # tests/agents is on sys.path (pytest's default "prepend" mode)

from agents.rollout import ceiling_fraction, corpus_metrics
from gym_launchpad import Corpus


def test_ceiling_fraction_runs_from_silence_to_the_ceiling():
    assert ceiling_fraction(50, 10, 50) == 0.0
    assert ceiling_fraction(10, 10, 50) == 1.0
    assert ceiling_fraction(90, 10, 50) == -1.0
    assert ceiling_fraction(0, 0, 0) == 1.0


def test_corpus_metrics_use_consecutive_bars_of_one_source():
    bars = np.stack([_bar([60], [0]), _bar([60], [0, 1, 2]), _bar([62], range(20))])
    corpus = Corpus.from_bars(SPEC, bars, sources=np.array(["a", "b"]), source_index=np.array([0, 0, 1]),
                              bar_number=np.array([0, 1, 0]))
    metrics = corpus_metrics(corpus)
    assert metrics["bar_to_bar_change"] == 2  # only bars 0 -> 1 of source "a" follow each other
    assert metrics["notes_per_bar"] == pytest.approx((1 + 3 + 20) / 3)
    assert np.isnan(metrics["mean_reward_per_step"])
