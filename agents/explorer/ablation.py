"""``python -m agents.explorer.ablation``: is it exploration or generalisation that stops the explorer off triads?

The explorer ends within distance 10 from triads but from none of a random launchpad, a corpus bar + 20 or + 50
random presses, a ceiling bar + 5 (``python -m agents jam --agent explorer``). Two things could stop it: its
Go-Explore cannot find the way back from such states (exploration), or it can, and the network was never shown
those states (its trajectories start from triads and from the aim knocked by 1-6 presses: generalisation).

This runs the explorer's own Go-Explore (:func:`agents.explorer.train._go_explore`'s settings: the aim, one cell
per distance, temperature 2, ``--spread-steps`` presses, then shortened by replay) from the jam's own held-out
starts of each family (:func:`agents.starts.held_out_seed`) and prints, per family: how many it brought within
distance 10 (the env's ``info["distance"]``) and onto the aim, the presses of the way found (shortened), the
presses explored and the seconds. Only the env's resets, steps and distances, as in the explorer's training.

The aim is the one in the weights' JSON (``"aim"``, written by runs since this module) or else the bar the
network holds most often after 60 greedy presses from the selection's triad starts: the shipped explorer holds
one bar at distance 0 from 20 of 20 of them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agents import starts
from agents.arguments import parse_dataclass
from agents.explorer.go_explore import GoExplore, shorten
from agents.planners.navigator import ceiling_bars

#: The jam's families the shipped explorer fails on (``agents.starts.FAMILIES``), and triads to compare.
FAILING = ("random launchpad", "corpus bar + 20 presses", "corpus bar + 50 presses", "ceiling bar + 5 presses")


class CountingEnv:
    """The env with its presses counted (Go-Explore's budget is in presses); everything else passes through."""

    def __init__(self, env):
        self.env, self.presses = env, 0

    def step(self, action):
        self.presses += 1
        return self.env.step(action)

    def __getattr__(self, name):
        return getattr(self.env, name)


def held_aim(agent, env, starts: int = 20, presses: int = 60, seed_base: int = 200_000) -> np.ndarray:
    """The bar (one word per row) the network holds most often after ``presses`` greedy presses from triads."""
    bars = []
    for i in range(starts):
        obs, _ = env.reset(seed=seed_base + i)
        for _ in range(presses):
            obs, _, _, _, _ = env.step(int(np.asarray(agent.predict(obs, deterministic=True)[0]).reshape(-1)[0]))
        bars.append(env.unwrapped.words.tobytes())
    dtype = env.unwrapped.words.dtype
    return np.frombuffer(Counter(bars).most_common(1)[0][0], dtype=dtype).copy()


def aim_of(weights, agent, env) -> np.ndarray:
    """The aim stored beside the weights, or the bar the network holds (:func:`held_aim`)."""
    description = json.loads(Path(weights).with_suffix(".json").read_text())
    if "aim" in description:
        return np.asarray(description["aim"], dtype=env.unwrapped.words.dtype)
    return held_aim(agent, env)


def go_back(env, start, aim, budget: int, seed: int) -> dict:
    """Go-Explore from ``start`` toward ``aim`` (the explorer's settings) for ``budget`` presses at most."""
    counting = CountingEnv(env)
    began = time.perf_counter()
    found = GoExplore(counting, distance_bucket=1, temperature=2.0, aim=aim, seed=seed).run(start, budget)
    explored = counting.presses - len(found.actions)  # not the replay of the way found that ends run()
    found = shorten(env, found)
    env.reset(options={"state": start})
    on_aim = bool(np.array_equal(_final_words(env, found), aim))
    return {"start_distance": found.distances[0], "final_distance": found.final_distance,
            "aim_distance": int(np.bitwise_count(_final_words(env, found) ^ aim).sum()), "on_aim": on_aim,
            "presses": len(found.actions), "explored": explored, "seconds": time.perf_counter() - began}


def _final_words(env, trajectory):
    env.reset(options={"state": trajectory.start})
    for action in trajectory.actions:
        env.step(action)
    return env.unwrapped.words.copy()


def ablation(env, aim, families=("triad", *FAILING), starts_per_family: int = 5, budget: int = 20_000,
             within: int = 10, progress=None) -> list[dict]:
    """One row per family: Go-Explore toward ``aim`` from the jam's first ``starts_per_family`` held-out starts."""
    corpus = env.unwrapped.corpus
    ceiling = ceiling_bars(corpus) if any(starts.FAMILIES[f].base == "ceiling" for f in families) else None
    index = {name: i for i, name in enumerate(starts.FAMILIES)}
    rows = []
    for name in families:
        runs = []
        for i in range(starts_per_family):
            rng = np.random.default_rng(starts.held_out_seed(index[name], i))
            state = starts.FAMILIES[name].state(corpus, rng, ceiling)
            runs.append(go_back(env, state, aim, budget, seed=i))
            if progress:
                progress(name, i, runs[-1])
        reached = [r for r in runs if r["final_distance"] <= within]
        rows.append({
            "family": name, "starts": len(runs), "within": sum(r["final_distance"] <= within for r in runs),
            "on_aim": sum(r["on_aim"] for r in runs),
            "start_distance": float(np.mean([r["start_distance"] for r in runs])),
            "final_distance": float(np.mean([r["final_distance"] for r in runs])),
            "presses": float(np.mean([r["presses"] for r in reached])) if reached else None,
            "explored": float(np.mean([r["explored"] for r in runs])),
            "seconds": float(np.mean([r["seconds"] for r in runs])), "runs": runs})
    return rows


def fit_rows(agent, env, description: dict, families, starts_per_family: int = 15, presses: int = 100,
             within: int = 10) -> list[dict]:
    """The network's side: per family, greedy from the spread's own training starts (whose ways to the aim it was
    pre-trained on, those that ended there) and from the jam's held-out starts, ``presses`` presses each; and
    its Q-values at the held-out starts: the best, and how far the fifth best is below it."""
    import torch

    from agents.explorer.train import EXPLORE_SEED_BASE, _family_start

    args = description.get("args", {})
    mix = tuple(args.get("families", ("triad",)))
    first = EXPLORE_SEED_BASE + 1000 * args.get("seed", 0) + args.get("discover_starts", 8)
    index = {name: i for i, name in enumerate(starts.FAMILIES)}

    def play(state):
        obs, info = env.reset(options={"state": state})
        with torch.no_grad():
            q = agent.policy.q_net(torch.as_tensor(obs[None], dtype=torch.float32))[0]
        top = torch.topk(q, 5).values
        for _ in range(presses):
            obs, _, _, _, info = env.step(int(np.asarray(agent.predict(obs, deterministic=True)[0]).reshape(-1)[0]))
        return int(info["distance"]), float(top[0]), float(top[0] - top[-1])

    rows = []
    for name in families:
        trained_seeds = [first + i for i in range(args.get("demo_starts", 0)) if mix[i % len(mix)] == name]
        trained = [play(_family_start(env, None, name, s)) for s in trained_seeds[:starts_per_family]]
        held = [play(starts.FAMILIES[name].state(env.unwrapped.corpus, np.random.default_rng(starts.held_out_seed(
            index[name], i)), ceiling_bars(env.unwrapped.corpus))) for i in range(starts_per_family)]
        rows.append({"family": name, "trained": trained, "held_out": held,
                     "trained_within": sum(d <= within for d, _, _ in trained),
                     "held_out_within": sum(d <= within for d, _, _ in held),
                     "q_top": float(np.mean([q for _, q, _ in held])),
                     "q_gap": float(np.mean([g for _, _, g in held]))})
    return rows


def fit_markdown(rows, presses: int = 100, within: int = 10) -> str:
    lines = [f"| start family | within {within} after {presses}: its training starts | the jam's held-out starts | "
             "best Q at a held-out start | best minus 5th best |", "|---|---|---|---|---|"]
    for r in rows:
        trained = f"{r['trained_within']}/{len(r['trained'])}" if r["trained"] else "- (none)"
        mean = f" (mean {np.mean([d for d, _, _ in r['trained']]):.0f})" if r["trained"] else ""
        held_mean = np.mean([d for d, _, _ in r["held_out"]])
        lines.append(f"| {r['family']} | {trained}{mean} | {r['held_out_within']}/{len(r['held_out'])} "
                     f"(mean {held_mean:.0f}) | {r['q_top']:.1f} | {r['q_gap']:.2f} |")
    return "\n".join(lines)


def markdown(rows, budget: int, within: int = 10) -> str:
    lines = [f"| start family | within {within} (env distance) | on the aim | start distance | final distance | "
             f"presses of the way (shortened) | presses explored (budget {budget}) | seconds a start |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        presses = "-" if r["presses"] is None else f"{r['presses']:.0f}"
        lines.append(f"| {r['family']} | {r['within']}/{r['starts']} | {r['on_aim']}/{r['starts']} | "
                     f"{r['start_distance']:.0f} | {r['final_distance']:.1f} | {presses} | {r['explored']:.0f} | "
                     f"{r['seconds']:.1f} |")
    return "\n".join(lines)


@dataclass
class AblationArgs:
    """Go-Explore toward the explorer's aim from the jam's held-out starts of each family: can it find the way?"""

    #: the explorer's weights (their env and aim)
    weights: str = "agents/shipped/explorer.safetensors"
    #: starts per family (the jam's first ones)
    starts: int = 5
    #: presses of Go-Explore per start at most (the explorer's --spread-steps)
    budget: int = 20_000
    #: families (names of agents.starts.FAMILIES)
    families: tuple[str, ...] = field(default=("triad", *FAILING))
    #: also write the rows here (JSON)
    json: str | None = None
    #: instead, the network's side: greedy from its own training starts and from held-out ones (:func:`fit_rows`)
    fit: bool = False


def main(argv=None) -> int:
    from agents.dqn.export import load

    args = parse_dataclass(AblationArgs, argv, "python -m agents.explorer.ablation", positional=("weights",))
    agent = load(args.weights)
    env = agent.make_env()
    if args.fit:
        rows = fit_rows(agent, env, agent.description, args.families, args.starts)
        print(fit_markdown(rows))
        if args.json:
            Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2) + "\n")
        return 0
    aim = aim_of(args.weights, agent, env)

    def progress(name, i, run):
        print(f"{name} {i}: {run['start_distance']} -> {run['final_distance']} (aim {run['aim_distance']}) in "
              f"{run['presses']} presses, {run['explored']} explored, {run['seconds']:.1f}s", flush=True)

    rows = ablation(env, aim, args.families, args.starts, args.budget, progress=progress)
    print(markdown(rows, args.budget))
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "aim": aim.tolist(), "rows": rows}, indent=2,
                                              default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
