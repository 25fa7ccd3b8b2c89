"""``python -m agents evaluate``: play policies on the same seeded episodes and write what they did.

    python -m agents evaluate pretrained navigator anneal:sweeps=50 greedy random --episodes 2 --out runs/eval

Each policy (:mod:`agents.policies`: a baseline, a planner, a learned agent) plays through
:func:`agents.rollout.evaluate_policy`; the table, ``results.json`` and the figures come from
:mod:`agents.eval.report`. Only learned policies take ``--epsilon``: baselines and planners act as defined.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agents import policies
from agents.dqn.presets import get_preset
from agents.dqn.runs import check_run_models
from agents.eval import report
from agents.policies import load_policy, parse_policy
from agents.rollout import corpus_metrics, evaluate_policy
from gym_launchpad.reward import silence_distance


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents evaluate",
        description="Evaluate policies on seeded episodes; print a markdown table, write results.md, "
                    "results.json and (with --runs) figures like the paper's 5-7.")
    parser.add_argument("policies", nargs="*", help="a baseline (random, noop, greedy), a planner (beam, anneal, "
                        "navigator, options as anneal:sweeps=50), a shipped agent (pretrained, explorer), the DJ "
                        "task's hopper (planner) or dj (learned) on LaunchpadDJ-v0, a .safetensors / SB3 .zip / run "
                        "folder, or LABEL=any of them (default: the shipped agents whose weights are there, on the "
                        "shipped corpus, the planners and the baselines)")
    parser.add_argument("--corpus", default=None, help="corpus .npz (default: the shipped Bach chorales)")
    parser.add_argument("--episodes", type=int, default=5, help="seeded episodes per policy")
    parser.add_argument("--steps", type=int, default=1000, help="bars per episode")
    parser.add_argument("--epsilon", type=float, default=0.05,
                        help="random-action probability of learned policies (the paper's evaluation: 0.05); "
                             "baselines act as defined")
    parser.add_argument("--seed", type=int, default=0, help="episode i starts from reset(seed=SEED+i)")
    parser.add_argument("--out", default=None, help="folder for results.md, results.json and the figures")
    parser.add_argument("--runs", nargs="*", default=[], help="training run folders to plot (Figures 5 and 6)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="let a policy be an SB3 .zip from outside a training run folder: loading it unpickles "
                             "code stored in it, so only for a file you trust")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.episodes < 1 or args.steps < 1:
        raise SystemExit("--episodes and --steps must be >= 1")
    # The shipped agents were trained on the shipped corpus; on another corpus only the baselines and the planners
    # play by default.
    shipped = policies.shipped_names() if args.corpus is None else []
    texts = args.policies or shipped + sorted(policies.names("planner", policies.LAUNCHPAD)) + policies.names(
        "baseline")
    try:
        sources = [parse_policy(text) for text in texts]
        for run in args.runs:  # a run whose model files would run code is refused before anything plays
            check_run_models(run)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}")
        return 2
    corpus = get_preset("mlp").load_corpus(args.corpus)
    results = {}
    for source in sources:
        # The DJ agents play their own corpus of onsets unless --corpus is one.
        own_corpus = corpus if source.task == policies.LAUNCHPAD or corpus.cells == "onsets" else None
        try:
            loaded = load_policy(source, own_corpus, seed=args.seed, episode_steps=args.steps,
                                 trust_pickle=args.trust_pickle)
        except ValueError as error:
            print(f"error: {error}")
            return 2
        epsilon = args.epsilon if source.kind == "learned" else 0.0
        results[source.label] = {"kind": source.kind, **evaluate_policy(
            loaded.policy, loaded.env, args.episodes, args.steps, args.seed, epsilon)}
        loaded.env.close()
    results["corpus"] = corpus_metrics(corpus)
    ceiling = get_preset("mlp").make_env(corpus).unwrapped.ceiling
    heading = (f"{args.episodes} episodes x {args.steps} bars from reset(seed={args.seed}+i), learned policies with "
               f"epsilon {args.epsilon}; corpus {corpus.hash[:12]} ({len(corpus)} bars); ceiling: distance "
               f"{ceiling.distance} (reward {-ceiling.distance} per step); silence: distance "
               f"{silence_distance(corpus)}\n\n")
    table = heading + report.markdown_table(results)
    if args.runs:
        table += "\ntraining runs (steps/s on this machine, shared with other jobs):\n\n" + report.runs_table(args.runs)
    print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.md").write_text(table)
        document = {"episodes": args.episodes, "steps": args.steps, "epsilon": args.epsilon, "seed": args.seed,
                    "corpus_hash": corpus.hash, "ceiling_distance": ceiling.distance,
                    "policies": {s.label: {"source": s.source, "kind": s.kind, "task": s.task,
                                           "options": dict(s.options)} for s in sources},
                    "results": results}
        (out / "results.json").write_text(json.dumps(document, indent=2, sort_keys=True, allow_nan=True) + "\n")
        report.plot_random_state(get_preset("mlp").make_env(corpus), args.seed, out / "fig7_random_state.png")
        if args.runs:
            report.plot_training_curves(args.runs, results, out / "fig5_training_curves.png")
            stages = report.training_stages(args.runs[0], corpus)
            report.plot_bars_over_training(stages, corpus, args.seed, args.steps, out / "fig6_bars_over_training.png")
        print(f"wrote {out}/results.md, results.json and figures")
    return 0
