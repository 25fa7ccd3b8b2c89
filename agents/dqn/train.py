"""``python -m agents train``: train SB3 DQN on Launchpad-v0 with one of the paper's presets.

    python -m agents train --preset mlp --timesteps 500000 --logdir runs/mlp
    python -m agents train --preset linear --set loss=mse --set grad_clip=per_tensor   # the paper's loss
    python -m agents train --logdir runs/mlp --resume                                  # continue a run

A run folder holds ``config.json`` (the arguments and the preset), ``tb/`` (TensorBoard: SB3's scalars
and the ``music/``, ``eval/`` and ``media/`` ones of :mod:`agents.dqn.callbacks`), ``checkpoints/`` (a model every
``--checkpoint-freq`` steps and the latest replay buffer), ``best_model.zip`` (best evaluation),
``final_model.zip``, and ``q_net.safetensors`` + ``q_net.json`` (the weights alone, loadable without
unpickling by :mod:`agents.dqn.export`); :mod:`agents.dqn.runs` knows its layout. Ctrl-C (or SIGTERM) saves a
checkpoint, replay buffer included, before it exits, so ``--resume`` continues from there.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from dataclasses import dataclass, field

import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import CSVOutputFormat, Logger, make_output_format
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

from agents.arguments import parse_dataclass
from agents.dqn.callbacks import LatestReplayCheckpoint, LaunchpadEvalCallback, MusicMetricsCallback
from agents.dqn.export import export
from agents.dqn.launchpad_dqn import new_model
from agents.dqn.learner_reward import LearnerReward, LearnerRewardVecEnv
from agents.dqn.model_files import ModelFileError
from agents.dqn.presets import PRESETS, Preset, get_preset, parse_overrides
from agents.dqn.runs import Run, run_config
from agents.dqn.sb3_vec_env import make_sb3_vec_env
from agents.dqn.tensorboard_media import MediaTensorBoardFormat
from gym_launchpad.reward import silence_distance


@dataclass
class TrainArgs:
    """Train SB3 DQN on Launchpad-v0 with one of the paper's presets."""

    preset: str = field(default="mlp", metadata={"help": f"Q-network and its paper settings: {', '.join(PRESETS)}"})
    timesteps: int = field(default=500_000, metadata={"help": "total env steps (a resumed run counts the steps done)"})
    logdir: str = field(default="runs/mlp", metadata={"help": "run folder: TensorBoard logs, checkpoints, models"})
    seed: int = field(default=0, metadata={"help": "seeds torch, numpy, the env resets and exploration"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (none given: the shipped Bach chorales)"})
    n_envs: int = field(default=1, metadata={"help": "parallel envs; > 1 steps the native batched vector env"})
    set: list[str] = field(default_factory=list, metadata={
        "help": "override a preset field, e.g. --set loss=mse --set buffer_size=100000 (repeatable)"})
    resume: bool = field(default=False, metadata={"help": "continue from the newest checkpoint in --logdir"})
    checkpoint_freq: int = field(default=100_000, metadata={
        "help": "env steps between checkpoints (model + latest replay buffer); 0 turns them off"})
    threads: int = field(default=1, metadata={"help": "torch threads (1 is fastest on a small shared CPU)"})
    progress_bar: bool = field(default=True, metadata={"help": "show a progress bar (--no-progress-bar to hide)"})
    verbose: int = field(default=0, metadata={"help": "SB3 verbosity: 1 prints its tables"})


def parse_args(argv: list[str]) -> TrainArgs:
    return parse_dataclass(TrainArgs, argv, "python -m agents train")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        preset = get_preset(args.preset, **parse_overrides(args.set))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"train: {args.preset} preset, {args.timesteps} steps on {args.n_envs} env(s), into {args.logdir}; loading "
          "the corpus and building the envs and the Q-network first (some seconds)", flush=True)
    try:
        model = train(args, preset)
    except ModelFileError as error:  # --resume over a refused or damaged checkpoint: the message names the file
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"train: {model.num_timesteps} steps done; the run is {args.logdir}: {Run(args.logdir).final_model.name}, "
          f"{Run(args.logdir).exported_weights.name} (play it: python -m agents play --agent {args.logdir}), "
          f"TensorBoard: tensorboard --logdir {args.logdir}")
    return 0


def train(args: TrainArgs, preset: Preset):
    """Train (or resume) a run as ``args`` and ``preset`` say; returns the model.

    The corpus, the learner's reward and the envs are built here, once, and handed to what needs them.
    """
    torch.set_num_threads(args.threads)
    run = Run(args.logdir)
    config = run_config(dataclasses.asdict(args), args.preset, preset)
    corpus = preset.load_corpus(args.corpus)
    silent_distance = silence_distance(corpus)
    learner_reward = LearnerReward.of_preset(preset, silent_distance)
    vec_env = make_vec_env(preset, corpus, args.n_envs, args.seed, learner_reward)
    checkpoint = run.resume(config, vec_env) if args.resume else None
    if checkpoint is None:
        run.write_config(config)
        model = new_model(preset, vec_env, seed=args.seed, verbose=args.verbose)
    else:
        # The run's own checkpoint: loaded without unpickling (agents.dqn.runs, agents.dqn.model_files).
        model, model_path, buffer_path = checkpoint
        print(f"resuming from {model_path} at step {model.num_timesteps}"
              + (f" with replay buffer {buffer_path.name}" if buffer_path else " without a replay buffer"))
    model.set_logger(_logger(run, args.verbose))

    eval_env = preset.make_env(corpus)
    callbacks = [
        MusicMetricsCallback(eval_env.unwrapped.launchpad, preset.obs_mode, silent_distance),
        LaunchpadEvalCallback(eval_env, preset.eval_freq, preset.eval_episodes, preset.eval_epsilon, silent_distance,
                              seed=10_000 + args.seed, run=run),
    ]
    if args.checkpoint_freq > 0:
        callbacks.append(LatestReplayCheckpoint(max(args.checkpoint_freq // args.n_envs, 1), run))
    # SIGTERM (a scheduler, `kill`) stops like Ctrl-C. The handler only asks, and the run stops at the next
    # step (that step's transition is not stored), so no file is being written when it saves: raising from
    # the handler could land inside a torch.save.
    stop = _StopRequest()
    callbacks.append(_StopOnRequest(stop))
    remaining = args.timesteps - model.num_timesteps
    try:
        if remaining > 0:
            model.learn(remaining, callback=CallbackList(callbacks), reset_num_timesteps=checkpoint is None,
                        progress_bar=args.progress_bar)
    finally:
        stop.restore()
        vec_env.close()
        eval_env.close()
    if stop.requested:
        path = run.save_checkpoint(model)
        print(f"\ninterrupted at step {model.num_timesteps}: saved {path} and its replay buffer; "
              f"continue with --resume --logdir {run.path}", file=sys.stderr)
        raise SystemExit(130)
    run.save_final(model)
    export(model, args.preset, preset, corpus, run.exported_weights,
           extra={"timesteps": int(model.num_timesteps), "seed": args.seed})
    return model


class _StopRequest:
    """SIGINT and SIGTERM ask training to stop; a second signal interrupts at once. SIGINT is armed even
    when the shell started the job with it ignored (background jobs)."""

    def __init__(self):
        self.requested = False
        self._previous = {}
        if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
            self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def restore(self):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class _StopOnRequest(BaseCallback):
    """Ends training once a stop was requested."""

    def __init__(self, stop: _StopRequest):
        super().__init__()
        self.stop = stop

    def _on_step(self) -> bool:
        return not self.stop.requested


def make_vec_env(preset: Preset, corpus, n_envs: int, seed: int, learner_reward: LearnerReward):
    """The training envs: one Monitor-wrapped env in a DummyVecEnv, or the native batched vector env; wrapped
    so the learner sees ``learner_reward`` (and with ``reward_head`` every action's, from the lookahead)."""
    if n_envs < 1:
        raise ValueError(f"--n-envs must be >= 1, got {n_envs}")
    if n_envs > 1:
        vec_env = VecMonitor(make_sb3_vec_env(num_envs=n_envs, seed=seed, corpus=corpus, obs_mode=preset.obs_mode,
                                              max_episode_steps=preset.episode_steps, **preset.env_kwargs))
    else:
        vec_env = DummyVecEnv([lambda: Monitor(preset.make_env(corpus))])
        vec_env.seed(seed)
    if learner_reward.is_env_reward and not preset.reward_head:
        return vec_env
    return LearnerRewardVecEnv(vec_env, learner_reward, action_rewards=preset.reward_head)


class _AppendingCSV(CSVOutputFormat):
    """SB3's ``progress.csv``, continued: a resumed run appends its rows under the header already there
    (SB3's own opens the file with ``w+``, truncating every row before the resume)."""

    def __init__(self, filename):
        super().__init__(os.devnull)
        self.file.close()
        self.file = open(filename, "r+" if os.path.isfile(filename) else "w+")  # noqa: SIM115 - the logger closes it
        header = self.file.readline().strip()
        self.keys = header.split(self.separator) if header else []
        self.file.seek(0, os.SEEK_END)


def _logger(run: Run, verbose: int) -> Logger:
    """TensorBoard events with media and ``progress.csv`` in ``run.tb`` (appended to when resuming), stdout with
    ``verbose``."""
    run.tb.mkdir(parents=True, exist_ok=True)
    formats = [MediaTensorBoardFormat(str(run.tb)), _AppendingCSV(str(run.progress_csv))]
    if verbose:
        formats.append(make_output_format("stdout", str(run.tb)))
    return Logger(str(run.tb), formats)


