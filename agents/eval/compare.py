"""``python -m agents compare``: baselines, planners and learned agents on one protocol, and the barrier drawn.

    python -m agents compare greedy beam anneal navigator pretrained --out agents/results/compare

Every policy (any name :mod:`agents.policies` takes) plays the same seeded starts (``env.reset(seed=s)``,
``s < --seeds``, triads unless ``--init``) for ``--bars`` bars on the shipped corpus, once per
``--epsilons`` value: with that probability a step presses a random button instead, whatever the policy's
kind (the paper evaluates DQN with 0.05). Per policy the table gives its kind (baseline, planner: it acts
by searching in the env as a simulator, learned: it reads the observation alone), the mean reward per step
at each epsilon, and at the first epsilon the final distance, from how many starts and after how many
presses the bar first reaches the ceiling, notes (sounding cells) per bar, seconds of play per episode, and
the wall clock of training read from a learned agent's weights description.

``--out`` also writes ``compare.json``, ``compare.md`` and ``fig_barrier.png``: the distance over the first
``--presses`` presses at the first epsilon, the mean over the starts with its range, one line per policy.
With ``--append`` the policies join those already in ``OUT/compare.json`` (same protocol; a policy of the
same label is played again), so slow rows need not be played twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.arguments import parse_dataclass
from agents.policies import load_policy, parse_policy
from agents.rollout import rollout

HEADER = ("| policy | kind | {rewards} | final distance (max) | reached ceiling | presses to ceiling (max) | "
          "notes/bar | play s/episode | training s |")
#: The start distributions of ``--init``.
INITS = ("triad", "random", "empty")


@dataclass
class CompareArgs:
    """Baselines, planners and learned agents on one protocol, and the barrier drawn."""

    #: policy names or files (python -m agents evaluate --help)
    policies: tuple[str, ...]
    #: seeded starts, reset(seed=0..SEEDS-1)
    seeds: int = 20
    #: bars per episode
    bars: int = 1000
    #: random-press probabilities, each a run of every start
    epsilons: tuple[float, ...] = (0.0, 0.05)
    #: policies (labels) played at the first epsilon only (the annealer replans from every random press, minutes an
    #: episode)
    epsilon_zero_only: tuple[str, ...] = ()
    #: the start distribution: triad, random or empty
    init: str = "triad"
    #: presses the figure shows
    presses: int = 100
    #: folder for compare.md, compare.json, fig_barrier.png
    out: Path | None = None
    #: keep the other policies of OUT/compare.json, played with the same protocol
    append: bool = False


def measure(loaded, seeds: int, bars: int, epsilon: float) -> tuple[dict, np.ndarray]:
    """The table's columns for one policy at one epsilon, and its distances ``(seeds, bars)``."""
    rewards, distances, presses, notes, seconds = [], [], [], [], []
    for seed in range(seeds):
        started = time.perf_counter()
        episode = rollout(loaded.env, loaded.policy, seed, n_steps=bars, epsilon=epsilon)
        seconds.append(time.perf_counter() - started)
        rewards.append(episode.rewards.mean())
        distances.append(episode.distances)
        at_ceiling = np.flatnonzero(episode.distances == episode.best_distance)
        presses.append(int(at_ceiling[0]) + 1 if len(at_ceiling) else None)
        notes.append(np.bitwise_count(episode.bars).sum(axis=1).mean())
    reached = [p for p in presses if p is not None]
    finals = [int(d[-1]) for d in distances]
    return {"reward_per_step": float(np.mean(rewards)), "final_distance": float(np.mean(finals)),
            "final_distance_max": max(finals), "reached_ceiling": len(reached),
            "presses_to_ceiling": float(np.mean(reached)) if reached else None,
            "presses_to_ceiling_max": max(reached) if reached else None,
            "notes_per_bar": float(np.mean(notes)), "play_s_per_episode": float(np.mean(seconds))}, np.stack(distances)


def training_seconds(policy) -> float | None:
    """The wall clock of training a learned agent, from its weights' description; None when unknown."""
    description = getattr(policy, "description", None) or {}
    return description.get("training", {}).get("wall_clock_s") or description.get("wall_clock_seconds")


def table(rows: list[dict], epsilons, seeds: int) -> str:
    rewards = " | ".join(f"reward/step eps {e:g}" for e in epsilons)
    header = HEADER.format(rewards=rewards)
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in rows:
        first = row["epsilons"][f"{epsilons[0]:g}"]
        rewards = " | ".join(f"{row['epsilons'][f'{e:g}']['reward_per_step']:.2f}" if f"{e:g}" in row["epsilons"]
                             else "not run" for e in epsilons)
        presses = ("-" if first["presses_to_ceiling"] is None else
                   f"{first['presses_to_ceiling']:.1f} ({first['presses_to_ceiling_max']})")
        training = "-" if row["training_s"] is None else f"{row['training_s']:.0f}"
        lines.append(f"| {row['policy']} | {row['kind']} | {rewards} | {first['final_distance']:.1f} "
                     f"({first['final_distance_max']}) | {first['reached_ceiling']}/{seeds} | {presses} | "
                     f"{first['notes_per_bar']:.1f} | {first['play_s_per_episode']:.2f} | {training} |")
    return "\n".join(lines) + "\n"


def plot_barrier(curves: dict, kinds: dict, presses: int, title: str, path: Path) -> None:
    """Distance over the first ``presses`` presses: the mean over the starts per policy, and the range of the
    planners and learned agents. The axis ends at twice the mean start distance, so the climb over the barrier
    shows; a random policy's climb to hundreds leaves the top of the figure."""
    # matplotlib: optional, only to draw the figure.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {"baseline": ":", "planner": "--", "learned": "-"}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for i, (label, distances) in enumerate(curves.items()):
        d = distances[:, :presses]
        x = np.arange(1, d.shape[1] + 1)
        # Lines drawn later are thinner, so a policy that walks exactly where another does still shows.
        line, = ax.plot(x, d.mean(axis=0), styles[kinds[label]], lw=max(1.0, 4.0 - 0.6 * i),
                        label=f"{label} ({kinds[label]})")
        if kinds[label] != "baseline":
            ax.fill_between(x, d.min(axis=0), d.max(axis=0), color=line.get_color(), alpha=0.12)
    ax.set(title=title, xlabel="press (bar)", ylabel="distance to the nearest corpus bar (ceiling: 0)")
    ax.set_ylim(-2, 2 * max(distances[:, 0].mean() for distances in curves.values()))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    args = parse_dataclass(CompareArgs, argv, "python -m agents compare", positional=("policies",))
    if args.seeds < 1 or args.bars < 1 or args.presses < 1:
        raise SystemExit("--seeds, --bars and --presses must be >= 1")
    if args.init not in INITS:
        raise SystemExit(f"--init must be one of {', '.join(INITS)}, not {args.init!r}")
    try:
        sources = [parse_policy(text) for text in args.policies]
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}")
        return 2
    epsilon_keys = [f"{e:g}" for e in args.epsilons]
    protocol = {"seeds": args.seeds, "bars": args.bars, "init": args.init, "epsilons": list(args.epsilons)}
    rows, curves = [], {}
    if args.append:
        if args.out is None or not (args.out / "compare.json").is_file():
            raise SystemExit("--append adds to OUT/compare.json: give --out a folder that holds one")
        earlier = json.loads((args.out / "compare.json").read_text())
        if {key: earlier[key] for key in protocol} != protocol:
            raise SystemExit(f"--append: {args.out}/compare.json was played with "
                             f"{ {key: earlier[key] for key in protocol} }, not {protocol}")
        labels = {source.label for source in sources}
        rows = [row for row in earlier["rows"] if row["policy"] not in labels]
        curves = {row["policy"]: np.array(earlier["distances"][row["policy"]]) for row in rows}
    print(table([], args.epsilons, args.seeds), end="", flush=True)
    for source in sources:
        loaded = load_policy(source, episode_steps=args.bars, init=args.init)
        row = {"policy": source.label, "kind": source.kind, "source": source.source,
               "training_s": training_seconds(loaded.policy), "epsilons": {}}
        for i, (epsilon, key) in enumerate(zip(args.epsilons, epsilon_keys, strict=True)):
            if i > 0 and source.label in args.epsilon_zero_only:
                continue
            row["epsilons"][key], distances = measure(loaded, args.seeds, args.bars, epsilon)
            if i == 0:
                curves[source.label] = distances
        loaded.env.close()
        rows.append(row)
        print(table([row], args.epsilons, args.seeds).splitlines()[-1], flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        heading = (f"{args.seeds} seeded {args.init} starts x {args.bars} bars, shipped corpus; reward/step at "
                   f"epsilon {', '.join(epsilon_keys)}, the other columns at epsilon {epsilon_keys[0]}\n\n")
        (args.out / "compare.md").write_text(heading + table(rows, args.epsilons, args.seeds))
        (args.out / "compare.json").write_text(json.dumps(
            {**protocol, "rows": rows,
             "distances": {label: d[:, :args.presses].tolist() for label, d in curves.items()}}) + "\n")
        plot_barrier(curves, {row["policy"]: row["kind"] for row in rows}, args.presses,
                     f"distance over the first {args.presses} presses, {args.seeds} seeded {args.init} starts "
                     f"(epsilon {epsilon_keys[0]})", args.out / "fig_barrier.png")
        print(f"wrote {args.out}/compare.md, compare.json and fig_barrier.png")
    return 0
