"""``python -m agents.explorer``: Go-Explore, then a DQN robustified on its own best trajectories.

    python -m agents.explorer --minutes 50 --seed 0 --out agents/pretrained/explorer.safetensors
    python -m agents.explorer --timesteps 2000 --demo-starts 1 --explore-steps 20000 --out /tmp/x.safetensors

1. Explore (:mod:`.go_explore`): from ``--demo-starts`` triad starts (seeds that no evaluation uses), archive
   the bars found, return to them by reset, explore from there; each start's best trajectory is shortened by
   replay. No planner, no ceiling: only the env's resets, steps and ``info["distance"]``.
2. Robustify: SB3's DQN (:class:`.self_imitation.SelfImitationDQN`, the paper's MLP) with the trajectories in
   its replay as DQfD's demonstrations, pre-trained on them, then trained on episodes that start along them
   and move back (:mod:`.backward_curriculum`) or from fresh triads. The learner's reward is the distance a
   press took off (potential-based, so the best policy is the env's), with double-DQN n-step targets.
3. Keep the weights that did best on held-out triad starts and export them (:func:`agents.pretrained.export`).

At evaluation the network acts from the observation alone.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv
from stable_baselines3.dqn.policies import DQNPolicy

from agents.dqn import linear_schedule
from agents.explorer.backward_curriculum import BackwardCurriculum
from agents.explorer.go_explore import GoExplore, replay, shorten
from agents.explorer.self_imitation import Demonstrations, SelfImitationDQN
from agents.learner_reward import LearnerReward, LearnerRewardVecEnv
from agents.networks import policy_kwargs
from agents.presets import get_preset
from agents.pretrained import export
from agents.train import dataclass_parser
from gym_launchpad.reward import silence_distance

#: Seeds of the triad starts the explorer explores from and selects its weights on, far from the
#: evaluation's 0..19.
EXPLORE_SEED_BASE, SELECTION_SEED_BASE = 100_000, 200_000

#: The DQN settings. The paper's linear Q-network on the toggles: one press's worth to a fixed good bar is
#: linear in the toggles (switch on what the bar lacks, off what it has too much), and on this shared CPU a
#: gradient step of it costs a tenth of the MLP's. The rest is this agent's (module docstring).
EXPLORER_PRESET = get_preset(
    "linear", learning_rate_start=1e-3, learning_rate_end=2e-4, exploration_initial_eps=0.2,
    exploration_final_eps=0.02, exploration_fraction=0.3, buffer_size=300_000, batch_size=32, train_freq=2,
    target_update_interval=2000, learning_starts=1000, reward_shaping="improvement", reward_scale=0.1,
    double_q=True, n_steps=10,
)


@dataclass
class ExplorerArgs:
    """The arguments of ``python -m agents.explorer``."""

    timesteps: int = field(default=2_000_000, metadata={"help": "DQN env steps at most (--minutes may stop it first)"})
    minutes: float = field(default=50.0, metadata={"help": "wall-clock budget of the whole run, exploration included"})
    seed: int = field(default=0, metadata={"help": "seeds exploration, torch, numpy and the env resets"})
    out: str = field(default="runs/explorer/explorer.safetensors", metadata={
        "help": "where the weights go (.safetensors, and the .json beside it)"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (default: the shipped Bach chorales)"})
    demo_starts: int = field(default=12, metadata={"help": "triad starts to explore from"})
    explore_steps: int = field(default=200_000, metadata={"help": "presses of exploration per start at most"})
    self_imitation: int = field(default=200, metadata={
        "help": "fresh episodes that end as near as the trajectories join the demonstrations, up to this many"})
    pretrain_steps: int = field(default=3000, metadata={"help": "gradient steps on the trajectories alone first"})
    hold_steps: int = field(default=10, metadata={"help": "no-op presses appended to each trajectory"})
    margin: float = field(default=0.8, metadata={"help": "DQfD's margin of the trajectory's action (learner reward)"})
    eval_freq: int = field(default=10_000, metadata={"help": "env steps between checks on held-out starts"})
    return_to_cells: bool = field(default=True, metadata={
        "help": "Go-Explore returns to archived cells (--no-return-to-cells: explore from the start only)"})
    curriculum: bool = field(default=True, metadata={
        "help": "backward curriculum (--no-curriculum: every episode from a fresh triad)"})
    demonstrations: bool = field(default=True, metadata={
        "help": "the trajectories in the replay (--no-demonstrations: no margin loss, no pre-training)"})
    threads: int = field(default=1, metadata={"help": "torch threads"})


def parse_args(argv) -> ExplorerArgs:

    namespace = dataclass_parser(ExplorerArgs, "python -m agents.explorer", __doc__.split("\n\n")[0]).parse_args(argv)
    return ExplorerArgs(**vars(namespace))


def main(argv=None) -> int:
    args = parse_args(argv)
    train(args)
    return 0


def log(text: str):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def explore(env, args: ExplorerArgs, deadline: float) -> list:
    """Phase 1 from ``args.demo_starts`` triad starts; the shortened trajectories that end on one bar (one bar
    to aim for: a linear Q-network cannot aim for whichever of several is nearer)."""

    trajectories = []
    for i in range(args.demo_starts):
        if time.time() > deadline and trajectories:
            break
        env.reset(seed=EXPLORE_SEED_BASE + 100 * args.seed + i)
        start = env.unwrapped.state.copy()
        go_explore = GoExplore(env, return_to_cells=args.return_to_cells, seed=args.seed * 1000 + i)
        found = go_explore.run(start, args.explore_steps)
        trajectory = shorten(env, found)
        trajectories.append(trajectory)
        log(f"start {i}: distance {trajectory.distances[0]} -> {trajectory.final_distance} in "
            f"{len(trajectory.actions)} presses (found in {len(found.actions)}; {len(go_explore.cells)} cells)")
    # The bar most of the near-best trajectories end on, then the nearest, then the shortest way.
    best = min(t.final_distance for t in trajectories)
    near = [t for t in trajectories if t.final_distance <= best + 2]
    bars = [final_bar(env, t).tobytes() for t in near]
    aim = min(range(len(near)), key=lambda i: (-bars.count(bars[i]), near[i].final_distance, len(near[i].actions)))
    return [t for t, bar in zip(near, bars, strict=True) if bar == bars[aim]]


def final_bar(env, trajectory):
    """The bar (one word per row) a trajectory ends on."""

    replay(env, trajectory.start, trajectory.actions)
    return env.unwrapped.words.copy()


def selection_score(model, env, episodes: int = 10, presses: int = 60) -> tuple[int, float]:
    """(starts within distance 10 after ``presses`` greedy presses, minus their mean final distance)."""

    finals = []
    for i in range(episodes):
        obs, info = env.reset(seed=SELECTION_SEED_BASE + i)
        for _ in range(presses):
            action, _ = model.predict(obs, deterministic=True)
            obs, _, _, _, info = env.step(int(action))
        finals.append(info["distance"])
    finals = np.array(finals)
    return int((finals <= 10).sum()), -float(finals.mean())


def train(args: ExplorerArgs):
    """Explore, robustify, export; returns the path of the weights."""


    began = time.time()
    deadline = began + 60 * args.minutes
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    preset = EXPLORER_PRESET
    corpus = preset.load_corpus(args.corpus)
    env = preset.make_env(corpus)

    trajectories = explore(env, args, began + 60 * args.minutes / 4)
    explored = time.time() - began
    log(f"explored in {explored:.0f}s: {len(trajectories)} trajectories, final distances "
        f"{[t.final_distance for t in trajectories]}, presses {[len(t.actions) for t in trajectories]}")

    reward = LearnerReward.of_preset(preset, silence_distance(corpus))
    demonstrations = Demonstrations.from_trajectories(env, trajectories, reward, preset.gamma, preset.n_steps,
                                                      args.hold_steps) if args.demonstrations else None
    imitated = []

    def imitate(trajectory):
        """Self-imitation: a fresh episode that ended well, shortened, joins the demonstrations."""
        if demonstrations is None or len(imitated) >= args.self_imitation:
            return
        trajectory = shorten(env, replay(env, trajectory.start, trajectory.actions))
        imitated.append(len(trajectory.actions))
        demonstrations.extend(Demonstrations.from_trajectories(env, [trajectory], reward, preset.gamma,
                                                               preset.n_steps, args.hold_steps))

    # Without the curriculum every episode starts fresh; the trajectories still set what counts as success.
    fresh = {} if args.curriculum else {"fresh_fraction": 1.0, "fresh_fraction_end": 1.0}
    curriculum = BackwardCurriculum(preset.make_env(corpus), trajectories, seed=args.seed, on_success=imitate,
                                    **fresh)
    vec_env = LearnerRewardVecEnv(DummyVecEnv([lambda: Monitor(curriculum)]), reward)
    vec_env.seed(args.seed)
    model = SelfImitationDQN(
        DQNPolicy, vec_env, demonstrations=demonstrations, margin=args.margin,
        learning_rate=linear_schedule(preset.learning_rate_start, preset.learning_rate_end),
        buffer_size=preset.buffer_size, learning_starts=preset.learning_starts, batch_size=preset.batch_size,
        gamma=preset.gamma, n_steps=preset.n_steps, train_freq=preset.train_freq,
        target_update_interval=preset.target_update_interval, exploration_fraction=preset.exploration_fraction,
        exploration_initial_eps=preset.exploration_initial_eps, exploration_final_eps=preset.exploration_final_eps,
        max_grad_norm=preset.max_grad_norm, loss=preset.loss, grad_clip=preset.grad_clip, double_q=preset.double_q,
        policy_kwargs=policy_kwargs(preset), seed=args.seed, device="cpu",
    )
    if demonstrations is not None and args.pretrain_steps > 0:
        loss = model.pretrain(args.pretrain_steps)
        log(f"pre-trained {args.pretrain_steps} steps on {len(demonstrations)} transitions, loss {loss:.3f}")

    selection_env = preset.make_env(corpus)
    best = {"score": selection_score(model, selection_env), "weights": _weights(model), "step": 0}
    log(f"after pre-training: {best['score'][0]}/10 held-out starts within 10, mean final {-best['score'][1]:.1f}")

    class Robustify(BaseCallback):
        """Stops at the deadline; every ``eval_freq`` steps keeps the weights best on held-out starts."""

        def _on_step(self) -> bool:
            if self.num_timesteps % args.eval_freq == 0:
                score = selection_score(self.model, selection_env)
                if score > best["score"]:
                    best.update(score=score, weights=_weights(self.model), step=self.num_timesteps)
                log(f"step {self.num_timesteps}: {score[0]}/10 within 10, mean final {-score[1]:.1f}; "
                    f"curriculum {curriculum.progress:.2f}, eps {self.model.exploration_rate:.3f}, "
                    f"self-imitated {len(imitated)}; "
                    f"best {best['score'][0]}/10 at {best['step']}")
            return time.time() < deadline

    model.learn(args.timesteps, callback=Robustify())
    model.q_net.load_state_dict(best["weights"])
    wall = time.time() - began
    path = export(model, "linear", preset, corpus, args.out, extra={
        "agent": "explorer", "timesteps": int(model.num_timesteps), "seed": args.seed,
        "selected_at_step": best["step"], "selection_within_10": best["score"][0],
        "explore_seconds": round(explored), "wall_clock_seconds": round(wall),
        "trajectories": [{"presses": len(t.actions), "final_distance": t.final_distance} for t in trajectories],
        "self_imitated": len(imitated),
        "args": dataclasses.asdict(args),
        "command": "python -m agents.explorer " + " ".join(_argv(args)),
    })
    log(f"wrote {path} after {wall / 60:.1f} min, {model.num_timesteps} steps (weights of step {best['step']})")
    print(json.dumps({"wall_clock_seconds": round(wall), "timesteps": int(model.num_timesteps)}))
    return Path(path)


def _weights(model) -> dict:
    return {name: value.detach().clone() for name, value in model.q_net.state_dict().items()}


def _argv(args: ExplorerArgs) -> list[str]:
    defaults = ExplorerArgs()
    flags = []
    for f in dataclasses.fields(args):
        value = getattr(args, f.name)
        if value != getattr(defaults, f.name):
            name = f.name.replace("_", "-")
            flags.append(f"--{name}" if value is True else f"--no-{name}" if value is False else f"--{name} {value}")
    return flags
