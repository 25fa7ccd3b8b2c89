"""The shipped explorer: plain tensors under 10 MB that load with agents.pretrained.load() and, acting from the
observation alone, cross the barrier from a seeded triad start.

The start is one the explorer explored and robustified from (its Go-Explore seeds are 100_000 + i): from the
evaluation's starts 0..19 the shipped weights do not cross yet (agents/explorer/README.md has the table).
"""

import json

import pytest

from agents import pretrained
from agents.explorer.report import TARGET_DISTANCE, TARGET_PRESSES, start_row

SHIPPED = pretrained.PRETRAINED_DIR / "explorer.safetensors"
#: One of the three starts whose Go-Explore trajectories the shipped weights were robustified on.
SEED = 100_002


def test_shipped_weights_are_small_and_described():
    assert SHIPPED.stat().st_size < 10 * 2**20
    description = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert description["agent"] == "explorer" and description["command"].startswith("python -m agents.explorer")


@pytest.mark.slow
def test_shipped_explorer_reaches_its_target_distance_from_a_seeded_start():
    agent = pretrained.load(SHIPPED)
    env = agent.make_env()
    row = start_row(agent, env, seed=SEED, steps=TARGET_PRESSES)
    # Greedy lookahead and every DQN before this one stop at distance 60 from every triad start.
    assert row["presses_to_within_10"] is not None and row["presses_to_within_10"] <= TARGET_PRESSES, row
    assert row["distance_after_60"] - env.unwrapped.ceiling.distance <= TARGET_DISTANCE, row
