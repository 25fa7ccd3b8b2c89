"""``python -m agents evaluate``: play policies on the same seeded episodes and write what they did.

    python -m agents evaluate pretrained navigator anneal:sweeps=50 greedy random --episodes 2 --out runs/eval

Each policy (:mod:`agents.policies`: a baseline, a planner, a learned agent) plays through
:func:`agents.rollout.evaluate_policy`; the table, ``results.json`` and the figures come from
:mod:`agents.eval.report`. Only learned policies take ``--epsilon``: baselines and planners act as defined.

On ``LaunchpadDJ-v0`` (``--tasks LaunchpadDJ-v0``) a second table follows the task's: each policy's seeded songs
written as MIDI (``agents.rollout.write_song``, no exploration; kept in ``--out``/songs) and read back with
:func:`agents.eval.song_metrics.song_metrics`: issue #21's measures and muspy's statistics, beside 60 chorales
(:mod:`agents.eval.music_table`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from agents import policies
from agents.arguments import parse_dataclass
from agents.dqn.presets import get_preset
from agents.dqn.runs import check_run_models
from agents.eval import music_table, report
from agents.policies import load_policy, parse_policy
from agents.rollout import corpus_metrics, evaluate_policy
from gym_launchpad.reward import silence_distance


@dataclass
class EvaluateArgs:
    """Evaluate policies on seeded episodes; print a markdown table per task, write results.md, results.json and
    (with --runs) figures like the paper's 5-7."""

    #: a baseline (random, noop, greedy), a planner (beam, anneal, navigator, options as anneal:sweeps=50), a
    #: shipped agent (pretrained, explorer), the DJ task's hopper (planner) or dj (learned) on LaunchpadDJ-v0, a
    #: .safetensors / SB3 .zip / run folder, or LABEL=any of them (default: on each of --tasks, the shipped agents
    #: whose weights are there, on the shipped corpus, the planners and the baselines)
    policies: tuple[str, ...] = ()
    #: corpus .npz (default: the shipped Bach chorales)
    corpus: str | None = None
    #: seeded episodes per policy
    episodes: int = 5
    #: bars per episode
    steps: int = 1000
    #: random-action probability of learned policies (the paper's evaluation: 0.05); baselines and planners act
    #: as defined
    epsilon: float = 0.05
    #: episode i starts from reset(seed=SEED+i)
    seed: int = 0
    #: folder for results.md, results.json and the figures
    out: str | None = None
    #: training run folders to plot (Figures 5 and 6)
    runs: tuple[str, ...] = ()
    #: let a policy be an SB3 .zip from outside a training run folder: loading it unpickles code stored in it, so
    #: only for a file you trust
    trust_pickle: bool = False
    #: the tasks whose policies play when none are named (Launchpad-v0, LaunchpadDJ-v0); a table each
    tasks: tuple[str, ...] = ("Launchpad-v0",)


PROG = "python -m agents evaluate"


def default_policies(tasks, corpus) -> list:
    """What plays when no policy is named: on each task, the shipped learned agents (on the shipped corpus), the
    planners and the baselines."""
    sources = []
    for task in tasks:
        shipped = policies.shipped_names(task) if corpus is None else []
        for name in shipped + sorted(policies.names("planner", task)) + policies.names("baseline", task):
            sources.append(parse_policy(name, task))
    return sources


def main(argv: list[str]) -> int:
    args = parse_dataclass(EvaluateArgs, argv, PROG, positional=("policies",))
    if args.episodes < 1 or args.steps < 1:
        raise SystemExit("--episodes and --steps must be >= 1")
    tasks = [task if "/" in task else f"gym_launchpad/{task}" for task in args.tasks]
    try:
        unknown = [task for task in tasks if task not in report.TASK_COLUMNS]
        if unknown:
            raise ValueError(f"--tasks: {', '.join(unknown)} is not a task ({', '.join(report.TASK_COLUMNS)})")
        # The shipped agents were trained on the shipped corpus; on another corpus only the baselines and the
        # planners play by default.
        sources = [parse_policy(text) for text in args.policies] or default_policies(tasks, args.corpus)
        for run in args.runs:  # a run whose model files would run code is refused before anything plays
            check_run_models(run)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}")
        return 2
    corpus = get_preset("mlp").load_corpus(args.corpus)
    results, corpora, music = {}, {}, {}
    songs, scratch = music_table.temporary_folder(args.out)
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
        label = loaded.label  # the source's, and "(walk head)" after a composer that chooses targets
        key = label if label not in results else f"{label} [{source.task.split('/')[-1]}]"
        results[key] = {"label": label, "kind": source.kind, "task": source.task, "epsilon": epsilon,
                        **evaluate_policy(loaded.policy, loaded.env, args.episodes, args.steps, args.seed, epsilon)}
        corpora.setdefault(source.task, loaded.env.unwrapped.corpus)
        if source.task == policies.DJ:
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in source.label)
            music[f"{source.label} ({source.kind})"] = music_table.measure_songs(
                loaded.env, loaded.policy, args.episodes, args.steps, args.seed, songs, name)
        loaded.env.close()
    if scratch is not None:
        scratch.cleanup()
    for task, played in corpora.items():
        key = "corpus" if "corpus" not in results else f"corpus [{task.split('/')[-1]}]"
        results[key] = {"label": "corpus", "task": task, **corpus_metrics(played)}
    ceiling = get_preset("mlp").make_env(corpus).unwrapped.ceiling
    heading = (f"{args.episodes} episodes x {args.steps} bars from reset(seed={args.seed}+i), learned policies with "
               f"epsilon {args.epsilon} (a random press in that share of bars; the eps column); Launchpad-v0's "
               f"corpus {corpus.hash[:12]} ({len(corpus)} bars); ceiling: distance {ceiling.distance} (reward "
               f"{-ceiling.distance} per step); silence: distance {silence_distance(corpus)}\n\n")
    table = heading + report.task_tables(results)
    if music:
        table += ("\nLaunchpadDJ-v0, the music:\n\n" + music_table.table_heading(args.episodes, args.steps, args.seed)
                  + music_table.music_table(music, music_table.chorale_reference()))
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
                    "results": results, "music": music}
        (out / "results.json").write_text(json.dumps(document, indent=2, sort_keys=True, allow_nan=True) + "\n")
        report.plot_random_state(get_preset("mlp").make_env(corpus), args.seed, out / "fig7_random_state.png")
        if args.runs:
            report.plot_training_curves(args.runs, results, out / "fig5_training_curves.png")
            stages = report.training_stages(args.runs[0], corpus)
            report.plot_bars_over_training(stages, corpus, args.seed, args.steps, out / "fig6_bars_over_training.png")
        print(f"wrote {out}/results.md, results.json and figures")
    return 0
