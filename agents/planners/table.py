"""``python -m agents.planners.table``: planners beside learned agents and the greedy baseline, one protocol.

    python -m agents.planners.table --seeds 20 --bars 1000 --composer agents/pretrained/composer.safetensors

Every policy plays the same seeded triad starts (``env.reset(seed=s)``, ``s < --seeds``) for ``--bars``
bars on the shipped corpus, at epsilon 0. Per policy: mean reward per step, final distance, presses until
the bar first reaches the ceiling (and from how many starts it does), notes (sounding cells) per bar,
and wall clock: seconds of play per episode for planners, training time for learned agents (from their
weights' description). Planners are labelled as such: they use the simulator to act.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from agents.baselines import make_baseline
from agents.planners import PLANNERS
from agents.rollout import rollout


def measure(env, policy, seeds: int, bars: int) -> dict:
    """The table's columns for ``policy`` over ``seeds`` seeded episodes of ``bars`` bars."""
    rewards, finals, presses, notes, seconds = [], [], [], [], []
    for seed in range(seeds):
        started = time.perf_counter()
        episode = rollout(env, policy, seed, n_steps=bars)
        seconds.append(time.perf_counter() - started)
        rewards.append(episode.rewards.mean())
        finals.append(int(episode.distances[-1]))
        at_ceiling = np.flatnonzero(episode.distances == episode.best_distance)
        presses.append(int(at_ceiling[0]) + 1 if len(at_ceiling) else None)
        notes.append(np.bitwise_count(episode.bars).sum(axis=1).mean())
    reached = [p for p in presses if p is not None]
    return {"reward_per_step": float(np.mean(rewards)), "final_distance": float(np.mean(finals)),
            "final_distance_max": int(max(finals)), "reached_ceiling": len(reached),
            "presses_to_ceiling": float(np.mean(reached)) if reached else None,
            "presses_to_ceiling_max": max(reached) if reached else None,
            "notes_per_bar": float(np.mean(notes)), "play_s_per_episode": float(np.mean(seconds))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.planners.table", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeded triad starts")
    parser.add_argument("--bars", type=int, default=1000, help="bars per episode")
    parser.add_argument("--planners", nargs="*", default=sorted(PLANNERS), help="planners to play")
    parser.add_argument("--learned", nargs="*", default=["agents/pretrained/composer.safetensors"],
                        help="weights of learned agents (agents.pretrained.load)")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)

    import gymnasium as gym

    import gym_launchpad  # noqa: F401  (registers the env ids)
    from agents.pretrained import load

    env = gym.make("gym_launchpad/Launchpad-v0", max_episode_steps=args.bars)
    rows = [("greedy", "baseline (simulator)", make_baseline("greedy", env), None)]
    rows += [(name, "planner", PLANNERS[name](env, seed=0), None) for name in args.planners]
    for path in args.learned:
        agent = load(path)
        training = agent.description.get("training", {}).get("wall_clock_s")
        rows.append((path.rsplit("/", 1)[-1].split(".")[0], "learned (observation only)", agent, training))
    results = []
    header = ("| policy | kind | reward/step | final distance (max) | reached ceiling | presses to ceiling (max) "
              "| notes/bar | play s/episode | training s |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, kind, policy, training in rows:
        row = {"policy": name, "kind": kind, **measure(env, policy, args.seeds, args.bars), "training_s": training}
        results.append(row)
        presses = ("-" if row["presses_to_ceiling"] is None else
                   f"{row['presses_to_ceiling']:.1f} ({row['presses_to_ceiling_max']})")
        print(f"| {name} | {kind} | {row['reward_per_step']:.2f} | {row['final_distance']:.1f} "
              f"({row['final_distance_max']}) | {row['reached_ceiling']}/{args.seeds} | {presses} "
              f"| {row['notes_per_bar']:.1f} | {row['play_s_per_episode']:.2f} | "
              f"{'-' if training is None else f'{training:.0f}'} |", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"seeds": args.seeds, "bars": args.bars, "rows": results}, file, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
