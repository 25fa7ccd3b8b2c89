"""The evaluation written down: markdown tables of policies and of training runs, a run's TensorBoard
scalars, and figures like the paper's 5 to 7.

matplotlib and tensorboard are imported inside the functions that draw or read with them: they are only
needed when ``python -m agents evaluate`` writes figures.
"""

from __future__ import annotations

import csv

import numpy as np

from agents.dqn.presets import PRESETS
from agents.dqn.runs import Run
from agents.policies import load_policy
from agents.rollout import rollout

#: Every column a table of policies may have: key -> (header, format, the legend's line on what it means).
COLUMNS = {
    "epsilon": ("eps", "{:g}", "the chance of a random press each bar (learned agents are evaluated as in the paper; "
                               "baselines and planners act as defined, at 0)"),
    "mean_reward_per_step": ("reward/step", "{:.1f}", "the env's reward a bar, mean ± std over the episodes"),
    "final_distance": ("final dist.", "{:.1f}", "cells between the last bar and its nearest corpus bar (0: a "
                                               "corpus bar)"),
    "ceiling_fraction": ("ceiling frac.", "{:.2f}", "how far the last bar came from silence (0) to the exact ceiling "
                                                   "(1); below 0 is worse than silence"),
    "onsets_per_bar": ("notes/bar", "{:.1f}", "notes struck a bar, as a listener counts them (a note held over "
                                             "several steps is one note)"),
    "pitch_class_entropy": ("PC entropy", "{:.2f}", "pitch-class entropy in bits (0: one pitch class)"),
    "in_scale_ratio": ("in scale", "{:.2f}", "the fraction of cells in the best-fitting major or minor key"),
    "bar_to_bar_change": ("change/bar", "{:.2f}", "cells that differ between consecutive bars"),
    "distinct_nearest_bars": ("distinct near", "{:.1f}", "distinct corpus bars that were nearest during an episode"),
    "mean_distance": ("dist. after 30", "{:.1f}", "mean distance to the nearest corpus bar after the first 30 bars"),
    "heard_change_fraction": ("heard change", "{:.2f}", "the fraction of bars a listener hears differ from the "
                                                       "bar before"),
    "distinct_nearest_per_100_bars": ("near/100 bars", "{:.1f}", "distinct nearest corpus bars per 100 bars"),
}
#: The columns of each task's table (after policy and kind): Launchpad-v0 is judged by where its bars end, the
#: DJ task by how close its bars stay while they move.
TASK_COLUMNS = {
    "gym_launchpad/Launchpad-v0": ("epsilon", "mean_reward_per_step", "final_distance", "ceiling_fraction",
                                   "onsets_per_bar", "pitch_class_entropy", "in_scale_ratio", "bar_to_bar_change",
                                   "distinct_nearest_bars"),
    "gym_launchpad/LaunchpadDJ-v0": ("epsilon", "mean_reward_per_step", "mean_distance", "onsets_per_bar",
                                     "heard_change_fraction", "distinct_nearest_per_100_bars", "pitch_class_entropy",
                                     "in_scale_ratio"),
}


def markdown_table(results: dict, columns=TASK_COLUMNS["gym_launchpad/Launchpad-v0"]) -> str:
    """The results as a markdown table, one row per policy (its ``label`` when it has one, else its key) with its
    kind (baseline, planner or learned), then a legend: one line per column."""
    header = "| policy | kind | " + " | ".join(COLUMNS[key][0] for key in columns) + " |"
    lines = [header, "|" + "---|" * (len(columns) + 2)]
    for key_label, row in results.items():
        cells = []
        for key in columns:
            _, fmt, _ = COLUMNS[key]
            value = row.get(key)
            cell = "—" if value is None or np.isnan(value) else fmt.format(value)
            if key == "mean_reward_per_step" and row.get("mean_reward_per_step_std") is not None:
                cell += f" ± {row['mean_reward_per_step_std']:.1f}"
            cells.append(cell)
        lines.append(f"| {row.get('label', key_label)} | {row.get('kind', '—')} | " + " | ".join(cells) + " |")
    legend = ["", "- kind: baseline (a fixed rule), planner (searches in the env as a simulator), learned (reads "
                  "the observation alone)"]
    legend += [f"- {COLUMNS[key][0]}: {COLUMNS[key][2]}" for key in columns]
    return "\n".join(lines + legend) + "\n"


def task_tables(results: dict) -> str:
    """One :func:`markdown_table` per task of ``results`` (rows with a ``task``; a row without one is
    Launchpad-v0's), each under a heading naming the task."""
    by_task: dict[str, dict] = {}
    for label, row in results.items():
        by_task.setdefault(row.get("task", "gym_launchpad/Launchpad-v0"), {})[label] = row
    return "\n".join(f"{task.split('/')[-1]}:\n\n" + markdown_table(rows, TASK_COLUMNS[task])
                     for task, rows in by_task.items())


#: The front's metrics (:func:`agents.music_metrics.front_metrics`) and their table headers.
FRONT_KEYS = ("mean_distance", "onsets_per_bar", "heard_change_fraction", "distinct_nearest_per_100_bars")
_FRONT_HEADERS = ("distance after 30 bars", "onsets/bar", "bars that change audibly", "distinct nearest/100 bars")
#: The colour of each kind of policy in the figures.
KIND_COLORS = {"baseline": "tab:gray", "planner": "tab:red", "learned": "tab:blue"}


def front_table(rows: dict) -> str:
    """The front as a markdown table: per row its task, its kind (baseline, planner or learned), and
    :data:`FRONT_KEYS`."""
    lines = ["| policy | task | kind | " + " | ".join(_FRONT_HEADERS) + " |", "|" + "---|" * 7]
    for row in rows.values():
        values = " | ".join(f"{row[key]:.2f}" for key in FRONT_KEYS)
        lines.append(f"| {row['policy']} | {row['task']} | {row['kind']} | {values} |")
    return "\n".join(lines) + "\n"


def plot_front(rows: dict, path) -> None:
    """Distance after 30 bars against distinct nearest corpus bars per 100 bars: one point a policy, a marker
    a task (each distance is to its own task's corpus)."""
    import matplotlib  # optional: imported when a figure is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7, 5))
    markers, labelled = {}, {}
    for row in rows.values():
        marker = markers.setdefault(row["task"], "os^D"[len(markers) % 4])
        point = (row["distinct_nearest_per_100_bars"], row["mean_distance"])
        ax.scatter(*point, marker=marker, s=60, color=KIND_COLORS[row["kind"]])
        # Policies that land near one spot (pretrained and greedy hold the same chord) get their labels stacked.
        spot = (round(2 * np.log1p(point[0])), round(2 * np.log1p(point[1])))
        labelled[spot] = labelled.get(spot, -1) + 1
        ax.annotate(f"{row['policy']} ({row['kind']}) [{row['task']}]", point, fontsize=7,
                    textcoords="offset points", xytext=(5, 3 - 9 * labelled[spot]))
    for task, marker in markers.items():
        ax.scatter([], [], marker=marker, color="gray", label=task)
    ax.set(xscale="symlog", yscale="symlog", xlabel="distinct nearest corpus bars per 100 bars (more: moves more)",
           ylabel="mean distance to the task's corpus after 30 bars (less: closer)",
           title="the reward-vs-variety front (red: planners, blue: learned, grey: baselines)")
    ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def runs_table(run_dirs) -> str:
    """A markdown table of training runs: preset, reward scale, steps trained, wall-clock time and steps/s,
    read from their config and SB3's ``progress.csv`` (a resumed run counts its last stretch only)."""
    lines = ["| run | preset | changed from the preset | steps logged | wall-clock (min) | steps/s | "
             "last eval reward/step |",
             "|---|---|---|---|---|---|---|"]
    for run in map(Run, run_dirs):
        config = run.config()
        with open(run.progress_csv, newline="") as file:
            timed = [row for row in csv.DictReader(file) if row.get("time/time_elapsed")]
        _, evals = read_scalars(run.path, "eval/mean_reward_per_step")
        last_step, seconds = ((int(timed[-1]["time/total_timesteps"]), float(timed[-1]["time/time_elapsed"]))
                              if timed else (0, float("nan")))
        changes = ", ".join(preset_changes(config["preset_name"], config["preset"])) or "—"
        lines.append(f"| {run.name} | {config['preset_name']} | {changes} | "
                     f"{last_step} | {seconds / 60:.0f} | "
                     + (f"{last_step / seconds:.0f} | " if seconds > 0 else "— | ")
                     + (f"{evals[-1]:.1f} |" if len(evals) else "— |"))
    return "\n".join(lines) + "\n"


#: Preset fields that set the evaluation protocol during training, stated with it rather than per run.
PROTOCOL_FIELDS = ("eval_freq", "eval_episodes")


def preset_changes(preset_name: str, preset: dict) -> list[str]:
    """``field=value`` for each field of a run's preset that differs from the named preset's default (the
    evaluation protocol aside), so a table says exactly how a run departs from the paper's settings."""
    default = PRESETS[preset_name].as_dict()
    return [f"{name}={_short(value)}" for name, value in preset.items()
            if name not in PROTOCOL_FIELDS and default.get(name) != value]


def _short(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def read_scalars(run_dir, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of one scalar from a run's TensorBoard event files."""
    # tensorboard: optional, only to read a run's scalars.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(Run(run_dir).tb), size_guidance={"scalars": 0})
    events.Reload()
    if tag not in events.Tags()["scalars"]:
        return np.array([]), np.array([])
    points = events.Scalars(tag)
    return np.array([p.step for p in points]), np.array([p.value for p in points])


def plot_training_curves(run_dirs, results: dict, path) -> None:
    """Figure 5: training reward (per step, per episode) and evaluation reward against env steps, per run,
    with the baselines' evaluation rewards as horizontal lines."""
    # matplotlib: optional, only to draw figures.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for i, run in enumerate(map(Run, run_dirs)):
        label = run.name
        color = plt.cm.tab20(i % 20)  # more runs than the 10 default colours
        steps, distance = read_scalars(run.path, "music/mean_distance_per_step")
        axes[0].plot(steps, -distance, color=color, alpha=0.7, label=label)
        steps, reward = read_scalars(run.path, "eval/mean_reward_per_step")
        axes[1].plot(steps, reward, "o-", color=color, alpha=0.8, label=label)
    for label, row in results.items():
        if row.get("kind") == "baseline":
            for ax in axes:
                ax.axhline(row["mean_reward_per_step"], linestyle="--", color="black", alpha=0.4)
                ax.annotate(label, (ax.get_xlim()[1], row["mean_reward_per_step"]), fontsize=8,
                            ha="right", va="bottom")
    axes[0].set(title="training: mean reward per step of each episode", xlabel="env steps",
                ylabel="reward per step (minus distance to nearest corpus bar)")
    axes[1].set(title="evaluation (epsilon 0.05): mean reward per step", xlabel="env steps")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _show_bar(ax, spec, words, title):
    ax.imshow(spec.words_to_roll(words)[::-1], cmap="gray", aspect="auto", interpolation="nearest", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("step")
    ax.set_yticks([0, spec.n_notes - 1], [str(spec.pitches[-1]), str(spec.pitches[0])])


def plot_bars_over_training(stages, corpus, seed: int, steps: int, path) -> None:
    """Figure 6: per training stage, the bar a model ends an episode on beside its nearest corpus bar,
    and (C) a corpus bar. ``stages`` is ``[(title, policy, env)]``."""
    # matplotlib: optional, only to draw figures.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = corpus.spec
    fig, axes = plt.subplots(len(stages) + 1, 2, figsize=(12, 2.8 * (len(stages) + 1)))
    for row, (title, policy, env) in enumerate(stages):
        episode = rollout(env, policy, seed, n_steps=steps)
        nearest = int(episode.nearest[-1])
        last = f"its bar after {len(episode.bars)} bars (distance {episode.distances[-1]})"
        _show_bar(axes[row, 0], spec, episode.bars[-1], f"{chr(65 + row)}: {title}: {last}")
        _show_bar(axes[row, 1], spec, corpus.bars[nearest],
                  "its nearest corpus bar ({} bar {})".format(*corpus.source_of(nearest)))
    rng = np.random.default_rng(seed)
    samples = rng.choice(len(corpus), size=2, replace=False)
    for col, i in enumerate(samples):
        _show_bar(axes[-1, col], spec, corpus.bars[i],
                  "{}: corpus bar ({} bar {})".format(chr(65 + len(stages)), *corpus.source_of(int(i))))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_random_state(env, seed: int, path) -> None:
    """Figure 7: the bar of a random launchpad state (every toggle a fair coin, every offset uniform)."""
    # matplotlib: optional, only to draw figures.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    env.reset(seed=seed, options={"init": "random"})
    fig, ax = plt.subplots(figsize=(6, 3))
    _show_bar(ax, env.unwrapped.launchpad, env.unwrapped.words, "bar of a random launchpad state")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_stages(run_dir, corpus):
    """[(title, model, env)] for the earliest checkpoint and the final model of a run (Figure 6's stages)."""
    run = Run(run_dir)
    checkpoints = run.checkpoint_models()
    chosen = checkpoints[:1] + ([run.final_model] if run.final_model.is_file() else checkpoints[-1:])
    stages = []
    for path in chosen:
        loaded = load_policy(str(path), corpus)
        stages.append((f"{run.name}, {loaded.policy.num_timesteps} training steps", loaded.policy, loaded.env))
    return stages
