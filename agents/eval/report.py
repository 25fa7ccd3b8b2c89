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

#: The table's columns: (key, header, format).
COLUMNS = (
    ("mean_reward_per_step", "reward/step", "{:.1f}"),
    ("final_distance", "final dist.", "{:.1f}"),
    ("ceiling_fraction", "ceiling frac.", "{:.2f}"),
    ("notes_per_bar", "notes/bar", "{:.1f}"),
    ("pitch_class_entropy", "PC entropy", "{:.2f}"),
    ("in_scale_ratio", "in scale", "{:.2f}"),
    ("bar_to_bar_change", "change/bar", "{:.2f}"),
    ("distinct_nearest_bars", "distinct near", "{:.1f}"),
    ("mean_distance", "dist. after 30", "{:.1f}"),
    ("onsets_per_bar", "onsets/bar", "{:.1f}"),
    ("heard_change_fraction", "heard change", "{:.2f}"),
    ("distinct_nearest_per_100_bars", "near/100 bars", "{:.1f}"),
)


def markdown_table(results: dict) -> str:
    """The results as a markdown table, one row per policy, with its kind (baseline, planner or learned)."""
    header = "| policy | kind | " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 2)]
    for label, row in results.items():
        cells = []
        for key, _, fmt in COLUMNS:
            value = row[key]
            cell = "—" if value is None or np.isnan(value) else fmt.format(value)
            if key == "mean_reward_per_step" and row.get("mean_reward_per_step_std") is not None:
                cell += f" ± {row['mean_reward_per_step_std']:.1f}"
            cells.append(cell)
        lines.append(f"| {label} | {row.get('kind', '—')} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


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
