"""Evaluate policies on seeded episodes: reward, distance to the ceiling, and what the music is like.

Every policy (an SB3 model, a pretrained agent, or a baseline) plays the same seeded episodes; the
corpus itself is described by the same music statistics. See :func:`evaluate_policy` for the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents import music_metrics
from gym_launchpad.reward import bar_distances


@dataclass
class Episode:
    """One played episode: per step the reward, the distance and nearest corpus bar, and the bar itself."""

    rewards: np.ndarray  # (T,) float
    distances: np.ndarray  # (T,) int, info["distance"]
    nearest: np.ndarray  # (T,) int, info["nearest_bar"]
    bars: np.ndarray  # (T, N) uint64, the bar after each step
    best_distance: int  # the ceiling of the env's corpus
    start_bar: np.ndarray  # (N,) uint64, the bar after reset


def rollout(env, policy, seed: int, n_steps: int | None = None, epsilon: float = 0.0,
            deterministic: bool = True) -> Episode:
    """Play one episode of ``env`` from ``reset(seed=seed)`` with ``policy.predict``.

    It stops at the env's time limit or after ``n_steps``. With probability ``epsilon`` a step takes a
    uniformly random action instead (the paper evaluates DQN this way, with 0.05); those draws come from
    a generator seeded by ``seed``, so an episode is reproducible.
    """
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    start_bar = env.unwrapped.words.copy()
    rewards, distances, nearest, bars = [], [], [], []
    state, episode_start = None, np.ones(1, dtype=bool)
    while n_steps is None or len(rewards) < n_steps:
        action, state = policy.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)
        episode_start = np.zeros(1, dtype=bool)
        if epsilon > 0 and rng.random() < epsilon:
            action = rng.integers(env.action_space.n)
        obs, reward, terminated, truncated, info = env.step(int(action))
        rewards.append(reward)
        distances.append(info["distance"])
        nearest.append(info["nearest_bar"])
        bars.append(env.unwrapped.words.copy())
        if terminated or truncated:
            break
    return Episode(np.asarray(rewards, dtype=np.float64), np.asarray(distances), np.asarray(nearest),
                   np.asarray(bars, dtype=np.uint64).reshape(len(bars), -1), int(info["best_distance"]), start_bar)


def silence_distance(corpus) -> int:
    """Distance of the silent bar to the corpus: the fewest notes of any corpus bar."""
    return int(bar_distances(corpus.bars, np.zeros(corpus.spec.n_notes, dtype=np.uint64)).min())


def ceiling_fraction(distance, best_distance: int, silent_distance: int):
    """How far a distance has come from silence (0) to the ceiling (1); below 0 is worse than silence.

    Silence is the reference because it is what a policy gets by pressing nothing useful on an empty
    launchpad, and the paper notes that dropping notes is the first thing an agent learns.
    """
    span = silent_distance - best_distance
    if span <= 0:
        return np.where(np.asarray(distance) <= best_distance, 1.0, 0.0)
    return (silent_distance - np.asarray(distance, dtype=np.float64)) / span


def episode_metrics(spec, episode: Episode, silent_distance: int) -> dict:
    """The metrics of one episode (see :func:`evaluate_policy`)."""
    entropy = music_metrics.pitch_class_entropy(spec, episode.bars)
    in_scale, key = music_metrics.in_scale_ratio(spec, episode.bars)
    return {
        "mean_reward_per_step": float(episode.rewards.mean()),
        "final_distance": int(episode.distances[-1]),
        "ceiling_fraction": float(ceiling_fraction(episode.distances[-1], episode.best_distance, silent_distance)),
        "notes_per_bar": music_metrics.notes_per_bar(episode.bars),
        "pitch_class_entropy": entropy,
        "in_scale_ratio": in_scale,
        "key": key,
        "bar_to_bar_change": music_metrics.bar_to_bar_change(np.concatenate([episode.start_bar[None], episode.bars])),
        "distinct_nearest_bars": music_metrics.distinct(episode.nearest),
    }


# --- policies by name or path ----------------------------------------------------------------------
@dataclass
class Contender:
    """A policy to evaluate: its label, how to build it for an env, and the env it plays."""

    label: str
    kind: str  # "baseline", "pretrained" or "sb3"
    source: str  # baseline name or file path


def parse_contender(text: str) -> Contender:
    """``random`` | ``noop`` | ``greedy`` | ``PATH`` | ``LABEL=PATH``, where PATH is a ``.safetensors`` weights file,
    an SB3 ``.zip`` model, or a run folder of ``python -m agents train`` (its ``q_net.safetensors``)."""
    from pathlib import Path

    from agents.baselines import BASELINES

    label, sep, source = text.rpartition("=")
    if not sep:
        label, source = "", text
    if source in BASELINES:
        return Contender(label or source, "baseline", source)
    path = Path(source)
    default_label = path.name if path.is_dir() else path.stem
    if path.is_dir():
        path = path / "q_net.safetensors"
    kinds = {".safetensors": "pretrained", ".zip": "sb3"}
    if path.suffix not in kinds or not path.is_file():
        raise ValueError(f"{text!r} is neither a baseline ({', '.join(BASELINES)}) nor an existing .safetensors "
                         "file, SB3 .zip model, or run folder holding q_net.safetensors")
    return Contender(label or default_label, kinds[path.suffix], str(path))


def build_contender(contender: Contender, corpus, seed: int, steps: int | None = None):
    """(policy, env) for a contender. Every env is the default launchpad with the same start distribution
    and episode length (``steps`` bars, else the paper's 1000), whatever episodes a policy trained on; a
    learned policy's env shows it the observation it was trained on."""
    from agents.baselines import make_baseline
    from agents.presets import get_preset

    def evaluation_env(preset):
        return preset.replace(episode_steps=steps or get_preset("mlp").episode_steps).make_env(corpus)

    if contender.kind == "baseline":
        env = evaluation_env(get_preset("mlp"))
        return make_baseline(contender.source, env, seed=seed), env
    if contender.kind == "pretrained":
        from agents import pretrained

        agent = pretrained.load(contender.source, corpus=corpus)
        return agent, evaluation_env(agent.preset)
    import json
    from pathlib import Path

    from agents.networks import LaunchpadDQN
    from agents.presets import Preset

    model = LaunchpadDQN.load(contender.source, device="cpu")
    config_path = _run_config(Path(contender.source))
    preset = Preset(**json.loads(config_path.read_text())["preset"]) if config_path else get_preset("mlp")
    return model, evaluation_env(preset)


def _run_config(model_path):
    """The config.json of the run a model file belongs to, if any (models sit in the run or its checkpoints/)."""
    for folder in (model_path.parent, model_path.parent.parent):
        if (folder / "config.json").is_file():
            return folder / "config.json"
    return None


# --- the evaluation ----------------------------------------------------------------------------
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
)


def evaluate_policy(policy, env, episodes: int, steps: int | None, seed: int, epsilon: float) -> dict:
    """Mean (and std of the reward) over ``episodes`` seeded episodes (seeds ``seed, seed+1, ...``).

    Metrics per episode: mean reward per step; the distance of the final bar; how far the final bar
    came from silence (0) to the exact ceiling (1); sounding cells per bar; pitch-class entropy (bits);
    the fraction of sounding cells in the best-fitting major/minor key; mean Hamming distance between
    consecutive bars; and how many distinct corpus bars were nearest.
    """
    spec, corpus = env.unwrapped.launchpad, env.unwrapped.corpus
    silent = silence_distance(corpus)
    metrics = [episode_metrics(spec, rollout(env, policy, seed + i, n_steps=steps, epsilon=epsilon), silent)
               for i in range(episodes)]
    summary = {key: float(np.mean([m[key] for m in metrics])) for key, _, _ in COLUMNS}
    summary["mean_reward_per_step_std"] = float(np.std([m["mean_reward_per_step"] for m in metrics]))
    summary["keys"] = [m["key"] for m in metrics]
    return summary


def corpus_metrics(corpus) -> dict:
    """The music statistics of the corpus itself; bar-to-bar change over consecutive bars of one source."""
    spec, bars = corpus.spec, corpus.bars
    in_scale, key = music_metrics.in_scale_ratio(spec, bars)
    places = zip(corpus.source_index, corpus.bar_number, strict=True)
    position = {(int(s), int(b)): i for i, (s, b) in enumerate(places)}
    pairs = [(i, position[s, b + 1]) for (s, b), i in position.items() if (s, b + 1) in position]
    change = (float(np.bitwise_count(bars[[p for p, _ in pairs]] ^ bars[[q for _, q in pairs]]).sum(axis=1).mean())
              if pairs else float("nan"))
    return {
        "mean_reward_per_step": float("nan"), "final_distance": float("nan"), "ceiling_fraction": float("nan"),
        "notes_per_bar": music_metrics.notes_per_bar(bars),
        "pitch_class_entropy": music_metrics.pitch_class_entropy(spec, bars),
        "in_scale_ratio": in_scale, "keys": [key], "bar_to_bar_change": change,
        "distinct_nearest_bars": float("nan"),
    }


def markdown_table(results: dict) -> str:
    """The results as a markdown table, one row per policy."""
    header = "| policy | " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 1)]
    for label, row in results.items():
        cells = []
        for key, _, fmt in COLUMNS:
            value = row[key]
            cell = "—" if value is None or np.isnan(value) else fmt.format(value)
            if key == "mean_reward_per_step" and row.get("mean_reward_per_step_std") is not None:
                cell += f" ± {row['mean_reward_per_step_std']:.1f}"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def runs_table(run_dirs) -> str:
    """A markdown table of training runs: preset, reward scale, steps trained, wall-clock time and steps/s,
    read from their config and SB3's ``progress.csv`` (a resumed run counts its last stretch only)."""
    import csv
    import json
    from pathlib import Path

    lines = ["| run | preset | changed from the preset | steps logged | wall-clock (min) | steps/s | "
             "last eval reward/step |",
             "|---|---|---|---|---|---|---|"]
    for run in map(Path, run_dirs):
        config = json.loads((run / "config.json").read_text())
        with open(run / "tb" / "progress.csv", newline="") as file:
            timed = [row for row in csv.DictReader(file) if row.get("time/time_elapsed")]
        _, evals = read_scalars(run, "eval/mean_reward_per_step")
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
    from agents.presets import PRESETS

    default = PRESETS[preset_name].as_dict()
    return [f"{name}={_short(value)}" for name, value in preset.items()
            if name not in PROTOCOL_FIELDS and default.get(name) != value]


def _short(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- figures like the paper's 5 to 7 ------------------------------------------------------------
def read_scalars(run_dir, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of one scalar from a run's TensorBoard event files."""
    from pathlib import Path

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(Path(run_dir) / "tb"), size_guidance={"scalars": 0})
    events.Reload()
    if tag not in events.Tags()["scalars"]:
        return np.array([]), np.array([])
    points = events.Scalars(tag)
    return np.array([p.step for p in points]), np.array([p.value for p in points])


def plot_training_curves(run_dirs, results: dict, path) -> None:
    """Figure 5: training reward (per step, per episode) and evaluation reward against env steps, per run,
    with the baselines' evaluation rewards as horizontal lines."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for i, run in enumerate(map(Path, run_dirs)):
        label = run.name
        color = plt.cm.tab20(i % 20)  # more runs than the 10 default colours
        steps, distance = read_scalars(run, "music/mean_distance_per_step")
        axes[0].plot(steps, -distance, color=color, alpha=0.7, label=label)
        steps, reward = read_scalars(run, "eval/mean_reward_per_step")
        axes[1].plot(steps, reward, "o-", color=color, alpha=0.8, label=label)
    for label, row in results.items():
        if label in ("random", "noop", "greedy"):
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    env.reset(seed=seed, options={"init": "random"})
    fig, ax = plt.subplots(figsize=(6, 3))
    _show_bar(ax, env.unwrapped.launchpad, env.unwrapped.words, "bar of a random launchpad state")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- the command ----------------------------------------------------------------------------------
def build_parser():
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m agents evaluate",
        description="Evaluate policies on seeded episodes; print a markdown table, write results.md, "
                    "results.json and (with --runs) figures like the paper's 5-7.")
    parser.add_argument("policies", nargs="*", help="random, noop, greedy, a .safetensors / SB3 .zip / run folder, "
                        "or LABEL=PATH (default: the shipped pretrained agent, on the shipped corpus, and the "
                        "three baselines)")
    parser.add_argument("--corpus", default=None, help="corpus .npz (default: the shipped Bach chorales)")
    parser.add_argument("--episodes", type=int, default=5, help="seeded episodes per policy")
    parser.add_argument("--steps", type=int, default=1000, help="bars per episode")
    parser.add_argument("--epsilon", type=float, default=0.05,
                        help="random-action probability of learned policies (the paper's evaluation: 0.05); "
                             "baselines act as defined")
    parser.add_argument("--seed", type=int, default=0, help="episode i starts from reset(seed=SEED+i)")
    parser.add_argument("--out", default=None, help="folder for results.md, results.json and the figures")
    parser.add_argument("--runs", nargs="*", default=[], help="training run folders to plot (Figures 5 and 6)")
    return parser


def main(argv: list[str]) -> int:
    import json
    from pathlib import Path

    from agents.presets import get_preset
    from agents.pretrained import DEFAULT_PRETRAINED

    args = build_parser().parse_args(argv)
    if args.episodes < 1 or args.steps < 1:
        raise SystemExit("--episodes and --steps must be >= 1")
    # The shipped agent was trained on the shipped corpus; on another corpus only the baselines play by default.
    shipped = DEFAULT_PRETRAINED.is_file() and args.corpus is None
    baselines = ["random", "noop", "greedy"]
    texts = args.policies or ([f"pretrained-mlp={DEFAULT_PRETRAINED}"] if shipped else []) + baselines
    try:
        contenders = [parse_contender(text) for text in texts]
    except ValueError as error:
        print(f"error: {error}")
        return 2
    corpus = get_preset("mlp").load_corpus(args.corpus)
    results = {}
    for contender in contenders:
        policy, env = build_contender(contender, corpus, args.seed, args.steps)
        epsilon = 0.0 if contender.kind == "baseline" else args.epsilon
        results[contender.label] = evaluate_policy(policy, env, args.episodes, args.steps, args.seed, epsilon)
        env.close()
    results["corpus"] = corpus_metrics(corpus)
    ceiling = get_preset("mlp").make_env(corpus).unwrapped.ceiling
    heading = (f"{args.episodes} episodes x {args.steps} bars from reset(seed={args.seed}+i), learned policies with "
               f"epsilon {args.epsilon}; corpus {corpus.hash[:12]} ({len(corpus)} bars); ceiling: distance "
               f"{ceiling.distance} (reward {-ceiling.distance} per step); silence: distance "
               f"{silence_distance(corpus)}\n\n")
    table = heading + markdown_table(results)
    if args.runs:
        table += "\ntraining runs (steps/s on this machine, shared with other jobs):\n\n" + runs_table(args.runs)
    print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.md").write_text(table)
        document = {"episodes": args.episodes, "steps": args.steps, "epsilon": args.epsilon, "seed": args.seed,
                    "corpus_hash": corpus.hash, "ceiling_distance": ceiling.distance,
                    "policies": {label: {"source": c.source, "kind": c.kind} for label, c in
                                 ((c.label, c) for c in contenders)},
                    "results": results}
        (out / "results.json").write_text(json.dumps(document, indent=2, sort_keys=True, allow_nan=True) + "\n")
        plot_random_state(get_preset("mlp").make_env(corpus), args.seed, out / "fig7_random_state.png")
        if args.runs:
            plot_training_curves(args.runs, results, out / "fig5_training_curves.png")
            stages = _training_stages(Path(args.runs[0]), corpus)
            plot_bars_over_training(stages, corpus, args.seed, args.steps, out / "fig6_bars_over_training.png")
        print(f"wrote {out}/results.md, results.json and figures")
    return 0


def _training_stages(run, corpus):
    """[(title, model, env)] for the earliest checkpoint and the final model of a run."""
    from agents.train import CHECKPOINT_PREFIX, _steps

    checkpoints = sorted((run / "checkpoints").glob(f"{CHECKPOINT_PREFIX}_*_steps.zip"), key=_steps)
    final = run / "final_model.zip"
    chosen = ([checkpoints[0]] if checkpoints else []) + ([final] if final.is_file() else checkpoints[-1:])
    stages = []
    for path in chosen:
        policy, env = build_contender(Contender(path.stem, "sb3", str(path)), corpus, 0)
        stages.append((f"{run.name}, {policy.num_timesteps} training steps", policy, env))
    return stages
