"""``python -m agents train``: train SB3 DQN on Launchpad-v0 with one of the paper's presets.

    python -m agents train --preset mlp --timesteps 500000 --logdir runs/mlp
    python -m agents train --preset linear --set loss=mse --set grad_clip=per_tensor   # the paper's loss
    python -m agents train --logdir runs/mlp --resume                                  # continue a run

A run folder holds ``config.json`` (the arguments and the preset), ``tb/`` (TensorBoard: SB3's scalars
and the ``music/`` and ``eval/`` ones of :mod:`agents.callbacks`), ``checkpoints/`` (a model every
``--checkpoint-freq`` steps and the latest replay buffer), ``best_model.zip`` (best evaluation),
``final_model.zip``, and ``q_net.safetensors`` + ``q_net.json`` (the weights alone, loadable without
unpickling by :mod:`agents.pretrained`). Ctrl-C (or SIGTERM) saves a checkpoint, replay buffer included,
before it exits, so ``--resume`` continues from there.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path

from agents.presets import PRESETS, Preset, get_preset

CHECKPOINT_PREFIX = "dqn"


@dataclass
class TrainArgs:
    """The arguments of ``python -m agents train``."""

    preset: str = field(default="mlp", metadata={"help": f"Q-network and its paper settings: {', '.join(PRESETS)}"})
    timesteps: int = field(default=500_000, metadata={"help": "total env steps (a resumed run counts the steps done)"})
    logdir: str = field(default="runs/mlp", metadata={"help": "run folder: TensorBoard logs, checkpoints, models"})
    seed: int = field(default=0, metadata={"help": "seeds torch, numpy, the env resets and exploration"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (default: the shipped Bach chorales)"})
    n_envs: int = field(default=1, metadata={"help": "parallel envs; > 1 steps the native batched vector env"})
    set: list[str] = field(default_factory=list, metadata={
        "help": "override a preset field, e.g. --set loss=mse --set buffer_size=100000 (repeatable)"})
    resume: bool = field(default=False, metadata={"help": "continue from the newest checkpoint in --logdir"})
    checkpoint_freq: int = field(default=100_000, metadata={
        "help": "env steps between checkpoints (model + latest replay buffer); 0 turns them off"})
    threads: int = field(default=1, metadata={"help": "torch threads (1 is fastest on a small shared CPU)"})
    progress_bar: bool = field(default=True, metadata={"help": "show a progress bar (--no-progress-bar to hide)"})
    verbose: int = field(default=0, metadata={"help": "SB3 verbosity: 1 prints its tables"})


def dataclass_parser(cls, prog: str, description: str) -> argparse.ArgumentParser:
    """An argparse parser with one ``--option`` per field of the dataclass ``cls``, helped by its metadata."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        hint = hints[f.name]
        kwargs = {"default": default, "help": f.metadata.get("help", "")}
        if hint is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(hint) is list:
            kwargs.update(action="append", type=typing.get_args(hint)[0], default=None)
        else:
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            kwargs["type"] = args[0] if args else hint
        parser.add_argument(flag, dest=f.name, **kwargs)
    return parser


def parse_args(argv: list[str]) -> TrainArgs:
    namespace = dataclass_parser(TrainArgs, "python -m agents train", __doc__.split("\n\n")[0]).parse_args(argv)
    values = {k: (v if v is not None or k != "set" else []) for k, v in vars(namespace).items()}
    return TrainArgs(**values)


def parse_overrides(items: list[str]) -> dict:
    """``["key=value", ...]`` -> preset overrides, each value parsed as the field's type."""
    fields = {f.name: f for f in dataclasses.fields(Preset)}
    hints = typing.get_type_hints(Preset)
    overrides = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, got {item!r}")
        if key not in fields:
            raise ValueError(f"--set {key}: unknown preset field; known: {', '.join(sorted(fields))}")
        hint = hints[key]
        if hint is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError(f"--set {key}: expected true or false, got {text!r}")
            overrides[key] = text.lower() == "true"
        else:
            overrides[key] = json.loads(text) if hint is dict else hint(text)
    return overrides


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        preset = get_preset(args.preset, **parse_overrides(args.set))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    train(args, preset)
    return 0


def train(args: TrainArgs, preset: Preset):
    """Train (or resume) a run as ``args`` and ``preset`` say; returns the model."""
    # isort: off
    # agents.networks first: without the [agents] extra it raises DependencyNotInstalled naming it.
    from agents.networks import LaunchpadDQN, linear_schedule, policy_class, policy_kwargs
    import torch
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.logger import configure
    # isort: on

    from agents.callbacks import LatestReplayCheckpoint, LaunchpadEvalCallback, MusicMetricsCallback
    from agents.pretrained import export

    torch.set_num_threads(args.threads)
    logdir = Path(args.logdir)
    config = {"args": dataclasses.asdict(args), "preset_name": args.preset, "preset": preset.as_dict()}
    corpus = preset.load_corpus(args.corpus)
    vec_env = make_vec_env(preset, corpus, args.n_envs, args.seed)
    checkpoint = _resume_point(logdir, config) if args.resume else None
    if checkpoint is None:
        logdir.mkdir(parents=True, exist_ok=True)
        (logdir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        model = LaunchpadDQN(
            policy_class(preset), vec_env,
            learning_rate=linear_schedule(preset.learning_rate_start, preset.learning_rate_end),
            buffer_size=preset.buffer_size, learning_starts=preset.learning_starts, batch_size=preset.batch_size,
            gamma=preset.gamma, n_steps=preset.n_steps, train_freq=preset.train_freq,
            target_update_interval=preset.target_update_interval,
            exploration_fraction=preset.exploration_fraction,
            exploration_initial_eps=preset.exploration_initial_eps,
            exploration_final_eps=preset.exploration_final_eps, max_grad_norm=preset.max_grad_norm,
            loss=preset.loss, grad_clip=preset.grad_clip, double_q=preset.double_q,
            policy_kwargs=policy_kwargs(preset), replay_buffer_class=_replay_buffer_class(preset),
            seed=args.seed, device="cpu", verbose=args.verbose,
        )
    else:
        model_path, buffer_path = checkpoint
        model = LaunchpadDQN.load(model_path, env=vec_env, device="cpu")
        if buffer_path is not None:
            model.load_replay_buffer(buffer_path)
        print(f"resuming from {model_path} at step {model.num_timesteps}"
              + (f" with replay buffer {buffer_path.name}" if buffer_path else " without a replay buffer"))
    if preset.reward_head:
        from agents.reward_head import ActionRewardModel

        model.replay_buffer.action_rewards_of = ActionRewardModel(preset, corpus, learner_reward(preset, corpus))
    formats = ["tensorboard", "csv"] + (["stdout"] if args.verbose else [])
    model.set_logger(configure(str(logdir / "tb"), formats))

    eval_env = preset.make_env(corpus)
    callbacks = [
        MusicMetricsCallback(eval_env.unwrapped.launchpad, preset.obs_mode, corpus),
        LaunchpadEvalCallback(eval_env, preset.eval_freq, preset.eval_episodes, preset.eval_epsilon, corpus,
                              seed=10_000 + args.seed, best_model_path=str(logdir / "best_model.zip")),
    ]
    if args.checkpoint_freq > 0:
        callbacks.append(LatestReplayCheckpoint(max(args.checkpoint_freq // args.n_envs, 1),
                                                str(logdir / "checkpoints"), CHECKPOINT_PREFIX,
                                                save_replay_buffer=True))
    remaining = args.timesteps - model.num_timesteps
    # SIGTERM (a scheduler, `kill`) saves like Ctrl-C; and SIGINT is re-armed, since a shell starts
    # background jobs with it ignored.
    handlers = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if remaining > 0:
            model.learn(remaining, callback=CallbackList(callbacks), reset_num_timesteps=checkpoint is None,
                        progress_bar=args.progress_bar)
    except KeyboardInterrupt:
        path = save_checkpoint(model, logdir)
        print(f"\ninterrupted at step {model.num_timesteps}: saved {path} and its replay buffer; "
              f"continue with --resume --logdir {logdir}", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        vec_env.close()
        eval_env.close()
    model.save(logdir / "final_model.zip")
    export(model, args.preset, preset, corpus, logdir / "q_net.safetensors",
           extra={"timesteps": int(model.num_timesteps), "seed": args.seed})
    return model


def _replay_buffer_class(preset: Preset):
    """SB3's default replay buffer (None), or the one that also stores every action's reward."""
    if not preset.reward_head:
        return None
    from agents.reward_head import ActionRewardReplayBuffer

    return ActionRewardReplayBuffer


def learner_reward(preset: Preset, corpus):
    """The reward the learner sees, as a function of the distances before and after a press."""
    from agents.evaluate import silence_distance
    from agents.networks import LearnerReward

    offset = silence_distance(corpus) if preset.center_reward else 0.0
    return LearnerReward(preset.reward_scale, offset, preset.reward_shaping)


def make_vec_env(preset: Preset, corpus, n_envs: int, seed: int):
    """The training envs: one Monitor-wrapped env in a DummyVecEnv, or the native batched vector env."""
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from agents.networks import LearnerRewardVecEnv

    if n_envs < 1:
        raise ValueError(f"--n-envs must be >= 1, got {n_envs}")
    if n_envs > 1:
        from stable_baselines3.common.vec_env import VecMonitor

        from agents.sb3_vec_env import make_sb3_vec_env

        vec_env = VecMonitor(make_sb3_vec_env(num_envs=n_envs, seed=seed, corpus=corpus, obs_mode=preset.obs_mode,
                                              max_episode_steps=preset.episode_steps, **preset.env_kwargs))
    else:
        vec_env = DummyVecEnv([lambda: Monitor(preset.make_env(corpus))])
        vec_env.seed(seed)
    reward = learner_reward(preset, corpus)
    return vec_env if reward.is_env_reward else LearnerRewardVecEnv(vec_env, reward)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def save_checkpoint(model, logdir: Path) -> Path:
    """Save the model and its replay buffer as a checkpoint ``--resume`` picks up."""
    from agents.callbacks import prune_replay_buffers

    folder = logdir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{CHECKPOINT_PREFIX}_{model.num_timesteps}_steps.zip"
    model.save(path)
    model.save_replay_buffer(folder / f"{CHECKPOINT_PREFIX}_replay_buffer_{model.num_timesteps}_steps.pkl")
    prune_replay_buffers(str(folder), CHECKPOINT_PREFIX)
    return path


def _resume_point(logdir: Path, config: dict):
    """(newest checkpoint, its replay buffer or None), checking the run was made with the same settings."""
    saved_path = logdir / "config.json"
    if not saved_path.is_file():
        raise SystemExit(f"--resume: {logdir} has no config.json; start the run without --resume")
    saved = json.loads(saved_path.read_text())
    # Through Preset, so fields added since the run started compare at their defaults.
    if Preset(**saved["preset"]) != Preset(**config["preset"]) or saved["args"]["corpus"] != config["args"]["corpus"]:
        raise SystemExit(f"--resume: {logdir} was trained with preset {saved['preset_name']} {saved['preset']} "
                         f"on corpus {saved['args']['corpus']}; pass the same --preset, --set and --corpus")
    models = sorted((logdir / "checkpoints").glob(f"{CHECKPOINT_PREFIX}_*_steps.zip"), key=_steps)
    if not models:
        raise SystemExit(f"--resume: no checkpoint in {logdir / 'checkpoints'}")
    model = models[-1]
    buffer = model.with_name(f"{CHECKPOINT_PREFIX}_replay_buffer_{_steps(model)}_steps.pkl")
    return model, (buffer if buffer.is_file() else None)


def _steps(path: Path) -> int:
    return int(path.stem.split("_")[-2])
