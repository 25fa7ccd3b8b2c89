"""``python -m agents front``: the reward-vs-variety front of every policy on both tasks, as a table and a figure.

    python -m agents front --episodes 5 --bars 300 --out agents/results/front

``Launchpad-v0`` (sounding cells) is played by the shipped pretrained agent and the baselines; ``LaunchpadDJ-v0``
(onsets) by the learned dj agent, the hopper planner and the baselines. Every policy plays the same seeded
songs (``reset(seed=SEED+i)``, no exploration) through :func:`agents.rollout.evaluate_policy`; each row gives the
front (:func:`agents.music_metrics.front_metrics`): mean distance to its task's corpus after 30 bars, onsets a bar,
the fraction of bars that change audibly, and distinct nearest corpus bars per 100 bars. Planners (policies that
use the env as a simulator) are labelled so. The figure puts distance against distinct bars, one point a policy.

Under it, the DJ task's music as the field measures it (:mod:`agents.eval.music_table`): each DJ policy's same
seeded songs written as MIDI (``agents.rollout.write_song``, into a temporary folder), read back with
:func:`agents.eval.song_metrics.song_metrics`: issue #21's measures and muspy's statistics, beside 60 chorales.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agents import policies
from agents.arguments import parse_dataclass
from agents.eval import music_table, report
from agents.rollout import evaluate_policy

#: The policies of the front, per task: every registered one with its weights there, except the Launchpad-v0
#: planners, which search for minutes a song (``python -m agents compare`` has them).
TASKS = {task: [name for name in policies.names(task=task)
                if policies.REGISTRY[name].kind != "planner" or task == policies.DJ]
         for task in (policies.LAUNCHPAD, policies.DJ)}


@dataclass
class FrontArgs:
    """The reward-vs-variety front of every policy on both tasks, as a table and a figure."""

    #: folder for front.md, front.json and front.png
    out: Path
    #: seeded songs per policy
    episodes: int = 5
    #: bars a song
    bars: int = 300
    #: song i starts from reset(seed=SEED+i)
    seed: int = 0


def evaluate_front(episodes: int, bars: int, seed: int, tasks=TASKS, songs: Path | None = None) -> dict:
    """``{row label: metrics with task and planner}`` of every (task, policy) pair; with ``songs`` (a folder), each
    DJ policy's songs are also written there as MIDI and measured (:func:`agents.eval.music_table.measure_songs`),
    under the row's ``"music"``."""
    rows = {}
    for task, names in tasks.items():
        for name in names:
            if policies.REGISTRY[name].kind == "learned" and name not in policies.shipped_names(task):
                continue
            loaded = policies.load_policy(policies.parse_policy(name, task), seed=seed, episode_steps=bars)
            kind = loaded.source.kind
            label = f"{name} ({kind}) [{task.split('/')[-1]}]"
            rows[label] = {**evaluate_policy(loaded.policy, loaded.env, episodes, bars, seed, epsilon=0.0),
                           "task": task.split("/")[-1], "policy": name, "kind": kind}
            if songs is not None and task == policies.DJ:
                rows[label]["music"] = music_table.measure_songs(loaded.env, loaded.policy, episodes, bars, seed,
                                                                 songs, name)
            loaded.env.close()
            print(f"{label}: " + ", ".join(f"{k} {rows[label][k]:.2f}" for k in report.FRONT_KEYS), flush=True)
    return rows


def main(argv=None) -> int:
    args = parse_dataclass(FrontArgs, argv, "python -m agents front")
    with tempfile.TemporaryDirectory() as songs:
        rows = evaluate_front(args.episodes, args.bars, args.seed, songs=Path(songs))
    table = (f"{args.episodes} songs x {args.bars} bars from reset(seed={args.seed}+i), no exploration; distance "
             "after the first 30 bars, to the task's own corpus (sounding cells for Launchpad-v0, onsets for "
             "LaunchpadDJ-v0)\n\n" + report.front_table(rows))
    music = {f"{row['policy']} ({row['kind']})": row["music"] for row in rows.values() if "music" in row}
    if music:
        table += ("\n" + music_table.table_heading(args.episodes, args.bars, args.seed)
                  + music_table.music_table(music, music_table.chorale_reference()))
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "front.md").write_text(table)
    (args.out / "front.json").write_text(json.dumps({"episodes": args.episodes, "bars": args.bars, "seed": args.seed,
                                                      "rows": rows}, indent=2, sort_keys=True) + "\n")
    report.plot_front(rows, args.out / "front.png")
    print(f"wrote {args.out}/front.md, front.json and front.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
