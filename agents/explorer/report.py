"""``python -m agents.explorer.report WEIGHTS``: the explorer's table from the 20 seeded triad starts.

Per start (``env.reset(seed=s)``, s = 0..19): the distance after 60 presses, the presses until the bar is
within 10 of the ceiling, and the reward per step over 1000-bar episodes acting greedily (epsilon 0) and
with the paper's epsilon 0.05. The agent acts from the observation alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from agents.arguments import parse_dataclass
from agents.dqn.export import load
from agents.rollout import rollout

#: The issue's target: within this distance of the ceiling, within this many presses.
TARGET_DISTANCE, TARGET_PRESSES = 10, 60


def start_row(agent, env, seed: int, steps: int) -> dict:
    greedy = rollout(env, agent, seed, n_steps=steps, epsilon=0.0)
    noisy = rollout(env, agent, seed, n_steps=steps, epsilon=0.05)
    gap = greedy.distances - greedy.best_distance
    within = np.flatnonzero(gap <= TARGET_DISTANCE)
    return {
        "seed": seed,
        "start_distance": int(env.reset(seed=seed)[1]["distance"]),
        "distance_after_60": int(greedy.distances[TARGET_PRESSES - 1]),
        "presses_to_within_10": int(within[0]) + 1 if len(within) else None,
        "final_distance": int(greedy.distances[-1]),
        "reward_per_step_eps0": float(greedy.rewards.mean()),
        "reward_per_step_eps005": float(noisy.rewards.mean()),
    }


def report(path, seeds=range(20), steps: int = 1000) -> dict:

    agent = load(path)
    env = agent.make_env()
    rows = [start_row(agent, env, s, steps) for s in seeds]
    reached = sum(r["distance_after_60"] - env.unwrapped.ceiling.distance <= TARGET_DISTANCE for r in rows)
    return {
        "weights": str(path),
        "starts": len(rows),
        "within_10_after_60": int(reached),
        "reward_per_step_eps0": float(np.mean([r["reward_per_step_eps0"] for r in rows])),
        "reward_per_step_eps005": float(np.mean([r["reward_per_step_eps005"] for r in rows])),
        "rows": rows,
    }


def markdown(result: dict) -> str:
    lines = ["| seed | start | after 60 | presses to <= 10 | after 1000 | reward/step eps 0 | eps 0.05 |",
             "|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        presses = r["presses_to_within_10"] if r["presses_to_within_10"] is not None else "-"
        lines.append(f"| {r['seed']} | {r['start_distance']} | {r['distance_after_60']} | {presses} | "
                     f"{r['final_distance']} | {r['reward_per_step_eps0']:.1f} | {r['reward_per_step_eps005']:.1f} |")
    lines.append(f"| all | | {result['within_10_after_60']}/{result['starts']} within 10 | | | "
                 f"{result['reward_per_step_eps0']:.1f} | {result['reward_per_step_eps005']:.1f} |")
    return "\n".join(lines)


@dataclass
class ReportArgs:
    """The explorer's table from the 20 seeded triad starts."""

    #: the explorer's weights (.safetensors, the .json beside it)
    weights: str = "agents/shipped/explorer.safetensors"
    #: presses per episode
    steps: int = 1000
    #: also write the result here (JSON)
    json: str | None = None


def main(argv=None) -> int:
    args = parse_dataclass(ReportArgs, argv, "python -m agents.explorer.report", positional=("weights",),
                           description=__doc__.split("\n\n")[0])
    result = report(args.weights, steps=args.steps)
    print(markdown(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
