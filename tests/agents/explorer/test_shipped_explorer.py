"""The shipped explorer: plain tensors under 10 MB that load with agents.dqn.export.load() and, acting from the
observation alone, cross the barrier from the evaluation's seeded triad starts, and a song it plays stays near
the corpus when read back from the MIDI file alone."""

import json

import numpy as np
import pytest

from agents import policies
from agents.dqn import export as pretrained
from agents.explorer.report import TARGET_DISTANCE, TARGET_PRESSES, start_row
from agents.play import cli
from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.reward import bar_distances

SHIPPED = policies.shipped_weights("explorer")


def test_shipped_weights_are_small_and_described():
    assert SHIPPED.stat().st_size < 10 * 2**20
    description = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert description["agent"] == "explorer" and description["command"].startswith("python -m agents.explorer")


@pytest.mark.slow
def test_shipped_explorer_meets_its_target_from_the_evaluations_seeded_starts():
    agent = pretrained.load(SHIPPED)
    env = agent.make_env()
    rows = [start_row(agent, env, seed=seed, steps=TARGET_PRESSES) for seed in range(20)]
    # The target: within 10 of the ceiling within 60 presses from at least 18 of the 20 starts. Greedy
    # lookahead and every DQN with the paper's settings stop at distance 60 from every one of them.
    reached = [r for r in rows if r["distance_after_60"] - env.unwrapped.ceiling.distance <= TARGET_DISTANCE]
    assert len(reached) >= 18, rows
    assert all(r["presses_to_within_10"] <= TARGET_PRESSES for r in reached)


@pytest.mark.slow
def test_the_explorers_song_stays_near_the_corpus_read_back_from_midi(tmp_path):
    out = tmp_path / "song.mid"
    assert cli.main(["--headless", "--agent", "explorer", "--seed", "3", "--bars", "300", "--out", str(out)]) == 0
    corpus = pretrained.load(SHIPPED).preset.load_corpus()
    found = read_midi_bars(out, corpus.spec, fold=False)
    bars = np.zeros((300, corpus.spec.n_notes), dtype=np.uint64)  # bars the file leaves silent stay silent
    bars[found.bar_number] = found.words
    distances = [bar_distances(corpus.bars, bar).min() for bar in bars[60:]]
    assert np.mean(distances) <= 15, np.mean(distances)
