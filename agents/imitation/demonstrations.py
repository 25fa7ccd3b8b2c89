"""A teacher's walks as a Minari dataset, the offline-RL field's format: written once, read by anyone.

    python -m agents demos                                   # gym_launchpad/Launchpad-v0/navigator-v0
    python -m agents imitate --demos-dataset gym_launchpad/Launchpad-v0/navigator-v0

:func:`record` plays a teacher through an imitation task (:class:`agents.imitation.dagger.Task`: its env, start
distribution and episode budget), pressing a random button with probability ``noise`` (so the walks hold the
way back from states off the teacher's path); every step keeps the observation, the press made, the reward,
and in ``infos`` the teacher's own press (``teacher_action``) and every press of a shortest walk
(``allowed``). :func:`save` writes the episodes with ``minari.create_dataset_from_buffers`` (HDF5, under
Minari's data path: ``$MINARI_DATASETS_PATH``, else ``~/.minari/datasets``), and ``minari.load_dataset(ID)``
reads them back, as :func:`load` does for the imitation loop. The composer's demonstrations are the
navigator's walks (``python -m agents demos``, :func:`agents.imitation.composer.write_demonstrations`); the
dataset's env is ``gym_launchpad/Launchpad-v0``: ``dataset.recover_environment()`` makes it (``import
gym_launchpad`` first).
"""

from __future__ import annotations

import numpy as np
from gymnasium.error import DependencyNotInstalled

from agents.imitation.dagger import Gathered, Task

#: The dataset the composer's demonstrations are published as: (namespace/)(env)/name-vN.
DATASET_ID = "gym_launchpad/Launchpad-v0/navigator-v0"


def _minari():
    try:
        import minari
        from minari.data_collector.episode_buffer import EpisodeBuffer
    except ImportError as error:
        raise DependencyNotInstalled(f"Minari datasets need minari and h5py ({error.name} is not installed): "
                                     "pip install gym_launchpad[offline]") from error
    return minari, EpisodeBuffer


def record(task: Task, episodes: int, noise: float, seed: int) -> list:
    """``episodes`` walks of ``task``'s teacher from its starts, as Minari episode buffers."""
    _, EpisodeBuffer = _minari()
    rng = np.random.default_rng(seed)
    env = task.make_env()
    teacher = task.make_teacher(env)
    buffers = []
    for episode in range(episodes):
        obs = task.start(env, rng, episode, 0)
        observations, actions, rewards, teacher_actions, allowed = [obs], [], [], [], []
        budget = task.budget(teacher)
        while True:
            label, ok = teacher.label()
            action = int(rng.integers(env.action_space.n)) if rng.random() < noise else label
            obs, reward, *_ = env.step(action)
            observations.append(obs)
            actions.append(action)
            rewards.append(float(reward))
            teacher_actions.append(label)
            allowed.append(ok)
            budget -= 1
            if label == task.stop_action or budget <= 0:
                break
        n = len(actions)
        buffers.append(EpisodeBuffer(
            id=episode, observations=[np.asarray(o, dtype=np.int8) for o in observations], actions=actions,
            rewards=rewards, terminations=[False] * n, truncations=[False] * (n - 1) + [True],
            infos={"teacher_action": np.asarray(teacher_actions, dtype=np.int64),
                   "allowed": np.asarray(allowed, dtype=bool)}))
    env.close()
    return buffers


def save(buffers: list, env, dataset_id: str = DATASET_ID, algorithm: str = "", description: str = ""):
    """Write ``buffers`` as the Minari dataset ``dataset_id`` of ``env`` (made by ``gym.make`` with arguments a
    JSON file can hold, so that ``recover_environment()`` makes it again); returns the ``MinariDataset``."""
    minari, _ = _minari()
    if dataset_id in minari.list_local_datasets():
        minari.delete_dataset(dataset_id)
    return minari.create_dataset_from_buffers(
        dataset_id, buffers, env=env, eval_env=env, algorithm_name=algorithm, author="gym_launchpad",
        code_permalink="agents/imitation/demonstrations.py", description=description, data_format="hdf5")


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
