"""``python -m agents.explorer``: Go-Explore, then a DQN robustified on its own best trajectories.

    python -m agents.explorer --families triad triad "random launchpad" "corpus bar + 20 presses" \
        "corpus bar + 50 presses" "ceiling bar + 5 presses" --demo-starts 240 --knocked-starts 50 --rounds 3 \
        --round-starts 36 --correction-states 2 --minutes 40 --network linear --margin-weight 5 --dueling \
        --row-advantage --aim-reward --out agents/shipped/explorer.safetensors     # the shipped weights (#22)
    python -m agents.explorer --discover-starts 2 --demo-starts 4 --rounds 1 --out /tmp/x.safetensors

1. Explore (:mod:`.go_explore`, :func:`explore`): from ``--discover-starts`` triad starts (seeds that no
   evaluation uses), archive the bars found, return to them by reset, explore from there. The bar most of
   the nearest trajectories end on becomes the aim; from ``--demo-starts`` more triad starts Go-Explore finds
   the way to that same bar (the old ways played first, as options), and from the aim knocked off by every
   single press and by random runs of presses, the way back. Each trajectory is shortened by replay. No
   planner, no ceiling: only the env's resets, steps and ``info["distance"]``, and the bar it found itself.
2. Robustify: SB3's DQN (:class:`.self_imitation.SelfImitationDQN`, the paper's MLP Q-network) with the
   trajectories as DQfD's demonstrations (n-step TD and the large-margin loss), pre-trained on them; then
   ``--rounds`` of self-correction (:func:`correct`): the network plays fresh triads with the evaluation's
   epsilon, Go-Explore finds the way back from where it went astray, and it trains on those too.
   ``--timesteps`` adds online DQN on episodes that start along the trajectories and move back
   (:mod:`.backward_curriculum`) or from fresh triads (off by default: it made the held-out score worse).
   The learner's reward is the distance a press took off (potential-based, so the best policy is the env's).
3. Keep the weights that did best on held-out triad starts and export them (:func:`agents.dqn.export.export`).

At evaluation the network acts from the observation alone.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from agents import starts as start_families
from agents.arguments import parse_dataclass
from agents.dqn.export import export
from agents.dqn.launchpad_dqn import new_model
from agents.dqn.learner_reward import LearnerReward, LearnerRewardVecEnv
from agents.dqn.presets import get_preset
from agents.explorer.backward_curriculum import BackwardCurriculum
from agents.explorer.go_explore import GoExplore, replay, shorten
from agents.explorer.self_imitation import Demonstrations, SelfImitationDQN
from agents.planners.navigator import ceiling_bars
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.reward import silence_distance

#: Seeds of the triad starts the explorer explores from and selects its weights on, far from the
#: evaluation's 0..19.
EXPLORE_SEED_BASE, SELECTION_SEED_BASE, CORRECTION_SEED_BASE = 100_000, 200_000, 300_000

#: Held-out triad starts the weights are selected on (and as many of each other family of ``--families``).
SELECTION_STARTS = 20
#: Presses from a selection start of a family other than triads: the jam's window (a random launchpad's way to
#: the aim is about 80 presses, ``python -m agents.explorer.ablation``).
SELECTION_FAMILY_PRESSES = 100

#: A self-correction episode: its presses and the share of them that are random (the evaluation's epsilon).
CORRECTION_PRESSES, CORRECTION_EPSILON = 120, 0.05

#: The DQN settings, for the paper's two Q-networks on the toggles. With ``--network linear``: one press's worth
#: to a fixed good bar is linear in the toggles (switch on what the bar lacks, off what it has too much), and a
#: gradient step of it costs a tenth of the MLP's, but it undoes fewer slips. The rest is this agent's.
EXPLORER_SETTINGS = dict(
    exploration_initial_eps=0.2, exploration_final_eps=0.02, exploration_fraction=0.3, buffer_size=300_000,
    batch_size=32, train_freq=2, target_update_interval=2000, learning_starts=1000, reward_shaping="improvement",
    reward_scale=0.1, double_q=True, n_steps=10,
)
EXPLORER_PRESET = get_preset("linear", learning_rate_start=1e-3, learning_rate_end=2e-4, **EXPLORER_SETTINGS)
#: With ``--network mlp``: the paper's 1024-512 MLP, at its own preset's learning rates.
EXPLORER_MLP_PRESET = get_preset("mlp", **EXPLORER_SETTINGS)


@dataclass
class ExplorerArgs:
    """The arguments of ``python -m agents.explorer``."""

    timesteps: int = field(default=0, metadata={
        "help": "env steps of online DQN after the rounds, at most (--minutes may stop it first)"})
    minutes: float = field(default=60.0, metadata={"help": "wall-clock budget of the whole run, exploration included"})
    seed: int = field(default=0, metadata={"help": "seeds exploration, torch, numpy and the env resets"})
    out: str = field(default="runs/explorer/explorer.safetensors", metadata={
        "help": "where the weights go (.safetensors, and the .json beside it)"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (none given: the shipped Bach chorales)"})
    discover_starts: int = field(default=8, metadata={"help": "triad starts to explore from with the full budget"})
    explore_steps: int = field(default=200_000, metadata={"help": "presses of exploration per discovering start"})
    demo_starts: int = field(default=200, metadata={
        "help": "more triad starts, explored from with the trajectories found as options"})
    spread_steps: int = field(default=20_000, metadata={"help": "presses of exploration per further start at most"})
    options: int = field(default=8, metadata={"help": "latest trajectories to the aim played first from a new start"})
    knocked_starts: int = field(default=100, metadata={
        "help": "starts from the aim knocked off by random presses (besides one start per single press)"})
    knocks: int = field(default=6, metadata={"help": "random presses that knock the aim off, at most"})
    rounds: int = field(default=6, metadata={"help": "rounds of self-correction after pre-training"})
    round_starts: int = field(default=60, metadata={"help": "fresh triad starts the network plays each round"})
    round_steps: int = field(default=5000, metadata={"help": "gradient steps on the demonstrations after a round"})
    self_imitation: int = field(default=200, metadata={
        "help": "fresh episodes that end as near as the trajectories join the demonstrations, up to this many"})
    pretrain_steps: int = field(default=20_000, metadata={"help": "gradient steps on the trajectories alone first"})
    hold_steps: int = field(default=10, metadata={"help": "no-op presses appended to each trajectory"})
    margin: float = field(default=0.8, metadata={"help": "DQfD's margin of the trajectory's action (learner reward)"})
    margin_weight: float = field(default=1.0, metadata={
        "help": "weight of DQfD's large-margin loss against the TD loss (far from the aim Q is ~50 and a press's "
                "advantage under 1: the TD error there drowns the margin)"})
    eval_freq: int = field(default=10_000, metadata={"help": "env steps between checks on held-out starts"})
    return_to_cells: bool = field(default=True, metadata={
        "help": "Go-Explore returns to archived cells (--no-return-to-cells: explore from the start only)"})
    curriculum: bool = field(default=True, metadata={
        "help": "backward curriculum (--no-curriculum: every episode from a fresh triad)"})
    demonstrations: bool = field(default=True, metadata={
        "help": "the trajectories in the replay (--no-demonstrations: no margin loss, no pre-training)"})
    network: str = field(default="mlp", metadata={
        "choices": ("mlp", "linear"),
        "help": "the Q-network: mlp (the paper's 1024-512, the default) or linear (the paper's, a tenth of the CPU a "
                "step, less robust to random presses)"})
    threads: int = field(default=1, metadata={"help": "torch threads"})
    families: tuple[str, ...] = field(default=("triad",), metadata={
        "choices": tuple(start_families.FAMILIES),
        "help": "start families (agents.starts) the spread, the rounds and the selection draw starts "
                "from, in turn (a name given twice: twice as often); discovery is from triads always"})
    dueling: bool = field(default=False, metadata={
        "help": "a dueling head (a state's value apart from each press's advantage, Wang et al. 2016) on the "
                "--network: far from the aim a state's value (~50) drowns a press's worth (< 1)"})
    row_advantage: bool = field(default=False, metadata={
        "help": "with --dueling and --network linear: each press's advantage reads only the toggles of the row it "
                "edits (far states light half the buttons, and the other rows' weights add up to noise there)"})
    aim_reward: bool = field(default=False, metadata={
        "help": "the learner's reward of a demonstrated press is the distance to the aim it took off (the cells in "
                "which the bar differs from the explorer's own aim bar), not the distance to the nearest corpus bar "
                "(info['distance']): the TD target then follows the bar the ways walk to; not with --timesteps"})
    any_order: bool = field(default=False, metadata={
        "help": "DQfD's margin ranks first every press the rest of a way still makes, not only the next one, where "
                "the env shows the way's presses commute (replayed shuffled, it ends on the same bar): every order "
                "of them is a way to the aim of the same length"})
    gamma: float | None = field(default=None, metadata={
        "help": "the learner's discount (default: the preset's, 0.99); with the improvement reward a press's "
                "advantage over the no-op is about (1 - gamma) times the state's value"})
    ways: str | None = field(default=None, metadata={
        "help": "an .npz of the exploration's ways: read if it is there and was made by the same exploration "
                "arguments and corpus, else explored and written (runs that differ only after exploring share it)"})
    correction_states: int = field(default=0, metadata={
        "help": "ways back Go-Explore looks for per episode of a round, at most: from the first states it went "
                "astray (0: from every one)"})


def parse_args(argv) -> ExplorerArgs:
    return parse_dataclass(ExplorerArgs, argv, "python -m agents.explorer", description=__doc__.split("\n\n")[0])


def main(argv=None) -> int:
    args = parse_args(argv)
    train(args)
    return 0


def log(text: str):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def explore(env, args: ExplorerArgs, deadline: float) -> list:
    """Phase 1: trajectories that all end on one bar, from many triad starts and from that bar knocked off.

    1. *Discover*: Go-Explore from ``args.discover_starts`` triad starts with the full budget each.
    2. *Aim*: the bar most of the nearest trajectories end on (one bar to aim for, so that every trajectory
       teaches the same walk: the network maps each row to "make it like the aim's row").
    3. *Spread*: from ``args.demo_starts`` more triad starts, Go-Explore again with the trajectories to the
       aim as options (played first from the new start, then explored from), ``args.spread_steps`` presses
       each; those that end on the aim join.
    4. *Recover*: from the aim bar knocked off by each single press, then ``args.knocked_starts`` times by 2 to
       ``args.knocks`` random presses, Go-Explore back: the way home from the states a slip leads to.
    Every trajectory is shortened by replay. No planner, no ceiling: the env's resets, steps and distances.
    """

    rng = np.random.default_rng(args.seed)
    found = []
    for i in range(args.discover_starts):
        if time.time() > deadline and found:
            break
        found.append(_go_explore(env, args, _triad(env, args, i), args.explore_steps, seed=i))
        log(f"discover {i}: {_describe(found[-1])}")
    best = min(t.final_distance for t in found)
    near = [t for t in found if t.final_distance <= best + 2]
    bars = [final_bar(env, t).tobytes() for t in near]
    aim = bars[min(range(len(near)), key=lambda i: (-bars.count(bars[i]), near[i].final_distance,
                                                       len(near[i].actions)))]
    aimed = [t for t, bar in zip(near, bars, strict=True) if bar == aim]
    aim_words = final_bar(env, aimed[0])
    log(f"aim: a bar at distance {aimed[0].final_distance}, reached from {len(aimed)} of {len(found)} starts")
    missed = 0
    for i in range(args.demo_starts):
        if time.time() > deadline:
            break
        options = [t.actions for t in aimed[-args.options:]]
        start = _family_start(env, args, args.families[i % len(args.families)],
                              EXPLORE_SEED_BASE + 1000 * args.seed + args.discover_starts + i)
        trajectory = _go_explore(env, args, start, args.spread_steps,
                                 seed=args.discover_starts + i, options=options, aim=aim_words)
        if ends_on(env, trajectory, aim_words):
            aimed.append(trajectory)
        else:
            missed += 1
    log(f"spread: {len(aimed)} trajectories to the aim ({missed} starts ended elsewhere)")
    spread = len(aimed)
    home = aimed[0]
    # Every single press first (each slip an epsilon-greedy step can make at the aim), then random runs of them.
    knocks = [[a] for a in range(env.action_space.n - 1)]
    knocks += [list(rng.integers(env.action_space.n - 1, size=int(rng.integers(2, args.knocks + 1))))
               for _ in range(args.knocked_starts)]
    for i, presses in enumerate(knocks):
        if time.time() > deadline:
            break
        replay(env, home.start, [*home.actions, *(int(a) for a in presses)])
        knocked = env.unwrapped.state.copy()
        trajectory = _go_explore(env, args, knocked, args.spread_steps, seed=10_000 + i, aim=aim_words)
        if ends_on(env, trajectory, aim_words):
            aimed.append(trajectory)
    log(f"recover: {len(aimed) - spread} of {len(knocks)} knocked bars brought back")
    return aimed


#: The arguments that decide what :func:`explore` finds (with the corpus): a ``--ways`` file made with others is
#: explored again. (``--minutes`` is not among them: its deadline can only cut exploration short, and the run's
#: log says how many ways it read.)
EXPLORATION_ARGS = ("seed", "discover_starts", "explore_steps", "demo_starts", "spread_steps", "options",
                    "knocked_starts", "knocks", "return_to_cells", "families")


def _explore_or_read(env, args: ExplorerArgs, deadline: float) -> list:
    """:func:`explore`, or with ``--ways`` the ways a run with the same exploration arguments wrote there."""
    if args.ways is None:
        return explore(env, args, deadline)
    key = json.dumps({"corpus": env.unwrapped.corpus.hash,
                      **{name: getattr(args, name) for name in EXPLORATION_ARGS}}, sort_keys=True)
    path = Path(args.ways)
    if path.is_file():
        with np.load(path) as saved:
            if str(saved["key"]) == key:
                trajectories = read_ways(env, saved)
                log(f"read {len(trajectories)} ways from {path} (explored by a run with the same arguments)")
                return trajectories
        log(f"{path} was explored with other arguments: exploring again")
    trajectories = explore(env, args, deadline)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, key=key, masks=np.stack([t.start.masks for t in trajectories]),
             offsets=np.stack([t.start.offsets for t in trajectories]),
             lengths=np.array([len(t.actions) for t in trajectories]),
             actions=np.concatenate([np.asarray(t.actions, dtype=np.int64) for t in trajectories]))
    return trajectories


def read_ways(env, saved) -> list:
    """The trajectories of a ``--ways`` file, replayed in ``env`` (their distances are the env's again)."""
    spec = env.unwrapped.launchpad
    ends = np.cumsum(saved["lengths"])
    return [replay(env, LaunchpadState(spec, masks, offsets), [int(a) for a in saved["actions"][end - n:end]])
            for masks, offsets, n, end in zip(saved["masks"], saved["offsets"], saved["lengths"], ends, strict=True)]


def _triad(env, args: ExplorerArgs, i: int):
    env.reset(seed=EXPLORE_SEED_BASE + 1000 * args.seed + i)
    return env.unwrapped.state.copy()


def _family_start(env, args: ExplorerArgs | None, family: str, seed: int):
    """A start of ``family`` drawn from ``seed``: a triad is the env's ``reset(seed=seed)`` (as before the option
    existed); any other family's state is drawn by :mod:`agents.starts` from ``seed`` (training
    seeds 100,000-399,999, apart from the jam's 500,000-599,999 and the evaluation's 0-19)."""
    if family == "triad":
        env.reset(seed=seed)
        return env.unwrapped.state.copy()
    corpus, kind = env.unwrapped.corpus, start_families.FAMILIES[family]
    ceiling = ceiling_bars(corpus) if kind.base == "ceiling" else None
    return kind.state(corpus, np.random.default_rng(seed), ceiling)


def _go_explore(env, args: ExplorerArgs, start, steps: int, seed: int, options=(), aim=None):
    # Toward a bar already found, the distance to it falls press by press with no barrier in between: the
    # archive can keep every distance apart and return to the nearest cells almost always.
    sharp = {} if aim is None else {"distance_bucket": 1, "temperature": 2.0}
    go_explore = GoExplore(env, return_to_cells=args.return_to_cells, aim=aim, seed=args.seed * 100_000 + seed,
                           **sharp)
    return shorten(env, go_explore.run(start, steps, options=options))


def _describe(trajectory) -> str:
    return (f"distance {trajectory.distances[0]} -> {trajectory.final_distance} in "
            f"{len(trajectory.actions)} presses")


def final_bar(env, trajectory):
    """The bar (one word per row) a trajectory ends on."""

    replay(env, trajectory.start, trajectory.actions)
    return env.unwrapped.words.copy()


def ends_on(env, trajectory, bar) -> bool:
    """Whether ``trajectory`` ends on ``bar`` (one word per row)."""
    return np.array_equal(final_bar(env, trajectory), bar)


def correct(model, env, args: ExplorerArgs, aim, round_index: int) -> list:
    """One round of self-correction: the network plays ``args.round_starts`` fresh triad starts for
    ``CORRECTION_PRESSES`` presses with epsilon ``CORRECTION_EPSILON`` (the evaluation's slips); from every 15th
    state that it did not turn into the aim within the next 15 presses, Go-Explore back to the aim.

    Go-Explore's robustification learns from its own trajectories, and the network's own mistakes lead to
    states no trajectory passes: the ways back from them are what it lacks (DAgger's idea, with the explorer
    as its own teacher: no planner, only the env's resets and the bar it found)."""

    corrections = []
    rng = np.random.default_rng(CORRECTION_SEED_BASE + 1000 * args.seed + round_index)
    for i in range(args.round_starts):
        seed = CORRECTION_SEED_BASE + 1000 * args.seed + round_index * args.round_starts + i
        start = _family_start(env, args, args.families[i % len(args.families)], seed)
        obs, _ = env.reset(seed=seed, options={"state": start})
        states, home = [env.unwrapped.state.copy()], [False]
        for _ in range(CORRECTION_PRESSES):
            if rng.random() < CORRECTION_EPSILON:
                action = int(rng.integers(env.action_space.n))
            else:
                action = int(model.predict(obs, deterministic=True)[0])
            obs, _, _, _, _ = env.step(action)
            states.append(env.unwrapped.state.copy())
            home.append(np.array_equal(env.unwrapped.words, aim))
        astray = [k for k in range(15, len(states), 15) if not any(home[k:k + 16])]
        for k in astray[:args.correction_states or None]:
            trajectory = _go_explore(env, args, states[k], args.spread_steps, seed=20_000 + 1000 * i + k, aim=aim)
            if ends_on(env, trajectory, aim):
                corrections.append(trajectory)
    return corrections


def selection_score(model, env, episodes: int = SELECTION_STARTS, presses: int = 60,
                    families: tuple[str, ...] = ("triad",)) -> tuple[int, float]:
    """(starts within distance 10 after ``presses`` greedy presses, minus their mean final distance), from
    ``episodes`` held-out starts of each of ``families`` (triads: ``reset(seed=200_000 + i)``; any other family
    drawn from seed ``200_000 + 10_000 f + i``, f its place in :data:`agents.starts.FAMILIES`, with
    :data:`SELECTION_FAMILY_PRESSES` presses: the jam's window)."""

    finals = []
    names = list(start_families.FAMILIES)
    for family in dict.fromkeys(families):
        for i in range(episodes):
            if family == "triad":
                obs, info = env.reset(seed=SELECTION_SEED_BASE + i)
                steps = presses
            else:
                start = _family_start(env, None, family, SELECTION_SEED_BASE + 10_000 * names.index(family) + i)
                obs, info = env.reset(options={"state": start})
                steps = SELECTION_FAMILY_PRESSES
            for _ in range(steps):
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
    if args.network not in ("linear", "mlp"):
        raise SystemExit(f"--network {args.network!r}: choose linear or mlp")
    preset = EXPLORER_PRESET if args.network == "linear" else EXPLORER_MLP_PRESET
    if args.dueling:
        preset = preset.replace(dueling=True, row_advantage=args.row_advantage)
    elif args.row_advantage:
        raise SystemExit("--row-advantage is the dueling head's: add --dueling (and --network linear)")
    if args.gamma is not None:
        preset = preset.replace(gamma=args.gamma)
    corpus = preset.load_corpus(args.corpus)
    env = preset.make_env(corpus)

    if args.aim_reward and args.timesteps:
        raise SystemExit("--aim-reward rewards the demonstrations by the aim's distance; the online phase "
                         "(--timesteps) learns the env's: drop one of them")
    trajectories = _explore_or_read(env, args, began + 60 * args.minutes / 4)
    explored = time.time() - began
    presses = [len(t.actions) for t in trajectories]
    log(f"explored in {explored:.0f}s: {len(trajectories)} trajectories to distance "
        f"{trajectories[0].final_distance}, {sum(presses)} presses (longest {max(presses)})")

    reward = LearnerReward.of_preset(preset, silence_distance(corpus))
    aim = final_bar(env, trajectories[0])
    # The aim's distance is on the env distance's scale: cells of one bar.
    reward_aim = aim if args.aim_reward else None
    # With --aim-reward the reward is the aim's distance; with --any-order the margin ranks a way's remaining presses.
    ways_kwargs = {"aim": reward_aim, "any_order": args.any_order, "seed": args.seed}
    demonstrations = Demonstrations.from_trajectories(env, trajectories, reward, preset.gamma, preset.n_steps,
                                                      args.hold_steps, **ways_kwargs) if args.demonstrations else None
    imitated = []

    def imitate(trajectory):
        """Self-imitation: a fresh episode that ended well, shortened, joins the demonstrations."""
        if demonstrations is None or len(imitated) >= args.self_imitation:
            return
        trajectory = shorten(env, replay(env, trajectory.start, trajectory.actions))
        imitated.append(len(trajectory.actions))
        demonstrations.extend(Demonstrations.from_trajectories(env, [trajectory], reward, preset.gamma,
                                                               preset.n_steps, args.hold_steps, **ways_kwargs))

    # Without the curriculum every episode starts fresh; the trajectories still set what counts as success.
    fresh = {} if args.curriculum else {"fresh_fraction": 1.0, "fresh_fraction_end": 1.0}
    curriculum = BackwardCurriculum(preset.make_env(corpus), trajectories, seed=args.seed, on_success=imitate,
                                    **fresh)
    vec_env = LearnerRewardVecEnv(DummyVecEnv([lambda: Monitor(curriculum)]), reward)
    vec_env.seed(args.seed)
    model = new_model(preset, vec_env, seed=args.seed, model_class=SelfImitationDQN, demonstrations=demonstrations,
                      margin=args.margin, margin_weight=args.margin_weight)
    if demonstrations is not None and args.pretrain_steps > 0:
        loss = model.pretrain(args.pretrain_steps)
        log(f"pre-trained {args.pretrain_steps} steps on {len(demonstrations)} transitions, loss {loss:.3f}")

    selection_env = preset.make_env(corpus)
    def select(model):
        return selection_score(model, selection_env, families=args.families)

    best = {"score": select(model), "weights": _weights(model), "step": 0}
    selected = SELECTION_STARTS * len(set(args.families))
    log(f"after pre-training: {best['score'][0]}/{selected} held-out starts within 10, "
        f"mean final {-best['score'][1]:.1f}")
    corrected = []
    for round_index in range(args.rounds if demonstrations is not None else 0):
        if time.time() > deadline:
            break
        corrections = correct(model, env, args, aim, round_index)
        corrected.append(len(corrections))
        if corrections:
            demonstrations.extend(Demonstrations.from_trajectories(env, corrections, reward, preset.gamma,
                                                                   preset.n_steps, args.hold_steps, **ways_kwargs))
            model.pretrain(args.round_steps)
        score = select(model)
        if score >= best["score"]:
            best.update(score=score, weights=_weights(model))
        log(f"round {round_index}: {len(corrections)} ways back from where it went astray, "
            f"{len(demonstrations)} transitions; {score[0]}/{selected} within 10, mean final {-score[1]:.1f}")

    class Robustify(BaseCallback):
        """Stops at the deadline; every ``eval_freq`` steps keeps the weights best on held-out starts."""

        def _on_step(self) -> bool:
            if self.num_timesteps % args.eval_freq == 0:
                score = select(self.model)
                if score > best["score"]:
                    best.update(score=score, weights=_weights(self.model), step=self.num_timesteps)
                log(f"step {self.num_timesteps}: {score[0]}/{selected} within 10, mean final {-score[1]:.1f}; "
                    f"curriculum {curriculum.progress:.2f}, eps {self.model.exploration_rate:.3f}, "
                    f"self-imitated {len(imitated)}; "
                    f"best {best['score'][0]}/{selected} at {best['step']}")
            return time.time() < deadline

    model.learn(args.timesteps, callback=Robustify())
    model.q_net.load_state_dict(best["weights"])
    wall = time.time() - began
    path = export(model, args.network, preset, corpus, args.out, extra={
        "agent": "explorer", "timesteps": int(model.num_timesteps), "seed": args.seed,
        "selected_at_step": best["step"], "selection_within_10": best["score"][0],
        "explore_seconds": round(explored), "wall_clock_seconds": round(wall),
        "trajectories": {"count": len(trajectories), "presses": int(sum(len(t.actions) for t in trajectories)),
                         "final_distance": trajectories[0].final_distance},
        "corrections": corrected, "demonstration_transitions": len(demonstrations) if demonstrations else 0,
        "self_imitated": len(imitated), "aim": aim.tolist(), "selection_families": list(dict.fromkeys(args.families)),
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
            if isinstance(value, tuple):
                flags.append(" ".join([f"--{name}", *map(shlex.quote, value)]))
            elif isinstance(value, bool):
                flags.append(f"--{name}" if value else f"--no-{name}")
            else:
                flags.append(f"--{name} {value}")
    return flags
