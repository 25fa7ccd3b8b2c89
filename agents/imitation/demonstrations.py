"""The teacher's walks as a Minari dataset, the offline-RL field's format: written once, read by anyone.

    python -m agents demos                                   # gym_launchpad/Launchpad-v0/navigator-v0
    python -m agents imitate --demos gym_launchpad/Launchpad-v0/navigator-v0

:func:`record` plays the navigator (:class:`agents.imitation.composer.Teacher`) from the composer's start
distribution, pressing a random button with probability ``noise`` (so the walks hold the way back from states
off the teacher's path); every step keeps the observation, the press made, the reward, and in ``infos`` the
teacher's own press (``teacher_action``) and every press of a shortest walk to the ceiling (``allowed``).
:func:`save` writes the episodes with ``minari.create_dataset_from_buffers`` (HDF5, under Minari's data path:
``$MINARI_DATASETS_PATH``, else ``~/.minari/datasets``), and ``minari.load_dataset(ID)`` reads them back,
as :func:`load` does for the imitation command. The dataset's env is ``gym_launchpad/Launchpad-v0``:
``dataset.recover_environment()`` makes it (``import gym_launchpad`` first).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from gymnasium.error import DependencyNotInstalled

from agents.arguments import parse_dataclass
from agents.dqn.presets import get_preset
from agents.imitation.composer import PRESET_NAME, SLACK_PRESSES, Gathered, Teacher, draw_start
from agents.planners.navigator import ceiling_bars
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.reward import best_row_fits

#: The dataset the composer's demonstrations are published as: (namespace/)(env)/name-vN.
DATASET_ID = "gym_launchpad/Launchpad-v0/navigator-v0"


def ceiling_start_states(corpus) -> list[LaunchpadState]:
    """The launchpad states that play the ceiling's corpus bars as nearly as the launchpad can."""
    states = []
    for bar in ceiling_bars(corpus):
        _, masks, offsets = best_row_fits(corpus.spec, corpus.bars[bar])
        states.append(LaunchpadState(corpus.spec, masks.astype(np.int64), offsets.astype(np.int64)))
    return states


def _minari():
    try:
        import minari
        from minari.data_collector.episode_buffer import EpisodeBuffer
    except ImportError as error:
        raise DependencyNotInstalled(f"Minari datasets need minari and h5py ({error.name} is not installed): "
                                     "pip install gym_launchpad[offline]") from error
    return minari, EpisodeBuffer


def record(corpus, episodes: int, noise: float, seed: int) -> list:
    """``episodes`` teacher walks from starts drawn as the composer's are, as Minari episode buffers."""
    _, EpisodeBuffer = _minari()
    rng = np.random.default_rng(seed)
    env = get_preset(PRESET_NAME).make_env(corpus)
    teacher = Teacher(corpus)
    ceiling_states = ceiling_start_states(corpus)
    buffers = []
    for episode in range(episodes):
        obs = draw_start(env, rng, ceiling_states)
        observations, actions, rewards, teacher_actions, allowed = [obs], [], [], [], []
        budget = 2 * teacher.walk_length(env.unwrapped.state) + SLACK_PRESSES
        while True:
            label, ok = teacher.label(env.unwrapped.state)
            action = int(rng.integers(env.action_space.n)) if rng.random() < noise else label
            obs, reward, *_ = env.step(action)
            observations.append(obs)
            actions.append(action)
            rewards.append(float(reward))
            teacher_actions.append(label)
            allowed.append(ok)
            budget -= 1
            if label == teacher.noop_action or budget <= 0:
                break
        n = len(actions)
        buffers.append(EpisodeBuffer(
            id=episode, observations=[np.asarray(o, dtype=np.int8) for o in observations], actions=actions,
            rewards=rewards, terminations=[False] * n, truncations=[False] * (n - 1) + [True],
            infos={"teacher_action": np.asarray(teacher_actions, dtype=np.int64),
                   "allowed": np.asarray(allowed, dtype=bool)}))
    env.close()
    return buffers


def save(buffers: list, corpus_path: str | None = None, dataset_id: str = DATASET_ID, description: str = ""):
    """Write ``buffers`` as the Minari dataset ``dataset_id`` of the env on ``corpus_path`` (None: the shipped
    corpus; a path, so that the dataset's env spec names it and ``recover_environment()`` can make the env);
    returns the ``MinariDataset``."""
    minari, _ = _minari()
    if dataset_id in minari.list_local_datasets():
        minari.delete_dataset(dataset_id)
    env = get_preset(PRESET_NAME).make_env(corpus_path)
    try:
        return minari.create_dataset_from_buffers(
            dataset_id, buffers, env=env, eval_env=env, algorithm_name="navigator planner (agents.planners.navigator)",
            author="gym_launchpad", code_permalink="agents/imitation/demonstrations.py",
            description=description or "The navigator's walks to the exact ceiling from the composer's starts.",
            data_format="hdf5")
    finally:
        env.close()


def load(dataset_id: str = DATASET_ID) -> Gathered:
    """The dataset's steps as the imitation loop's labelled states (the observation before each press)."""
    minari, _ = _minari()
    try:
        dataset = minari.load_dataset(dataset_id)
    except (FileNotFoundError, ValueError) as error:
        raise ValueError(f"no Minari dataset {dataset_id!r} here ({error}): write it with "
                         "`python -m agents demos`") from error
    parts = []
    for episode in dataset.iterate_episodes():
        labels = np.asarray(episode.infos["teacher_action"], dtype=np.int64)
        parts.append(Gathered(np.asarray(episode.observations[:-1], dtype=np.int8), labels,
                              np.asarray(episode.infos["allowed"], dtype=bool),
                              np.asarray(episode.actions, dtype=np.int64)))
    if not parts:
        raise ValueError(f"the Minari dataset {dataset_id!r} holds no episode")
    return sum(parts[1:], parts[0])


@dataclass
class DemosArgs:
    """Write the navigator's walks, the composer's demonstrations, as a Minari dataset."""

    #: the Minari dataset id
    dataset_id: str = DATASET_ID
    #: teacher episodes
    episodes: int = 800
    #: probability that a step presses a random button instead of the teacher's
    noise: float = 0.1
    #: seeds the starts and the noise
    seed: int = 0
    #: corpus .npz (default: the shipped Bach chorales)
    corpus: str | None = None


def main(argv=None, prog: str = "python -m agents demos") -> int:
    args = parse_dataclass(DemosArgs, argv, prog)
    corpus = get_preset(PRESET_NAME).load_corpus(args.corpus)
    dataset = save(record(corpus, args.episodes, args.noise, args.seed), args.corpus, args.dataset_id)
    print(f"wrote the Minari dataset {args.dataset_id}: {dataset.total_episodes} episodes, {dataset.total_steps} "
          f"steps (minari.load_dataset({args.dataset_id!r}))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
