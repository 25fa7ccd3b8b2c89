"""SB3 callbacks for launchpad training: music scalars, the paper's evaluation, and lean checkpoints.

TensorBoard scalars written here (besides SB3's own ``rollout/``, ``train/`` and ``time/``):

- ``music/mean_distance_per_step``: an episode's mean distance to the nearest corpus bar (minus its mean
  reward per step in ``"nearest"`` mode);
- ``music/final_distance``: the distance of the episode's last bar;
- ``music/ceiling_fraction``: how far that last bar came from silence (0) to the exact ceiling (1);
- ``music/notes_per_bar``: sounding cells per bar, averaged over the episode;
- ``music/distinct_nearest_bars``: how many different corpus bars were nearest during the episode;
- ``eval/mean_reward_per_step``, ``eval/mean_reward`` (per episode) and ``eval/<metric>`` for every
  metric of :func:`agents.rollout.episode_metrics`, every ``eval_freq`` steps;
- with them, the last evaluation episode's ``media/`` image and audio (:mod:`agents.dqn.tensorboard_media`).
"""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from agents.dqn.runs import Run
from agents.dqn.tensorboard_media import record_episode_media
from agents.rollout import ceiling_fraction, episode_metrics, mean_metrics, rollout
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.observation import bars_from_observations


class MusicMetricsCallback(BaseCallback):
    """Logs the ``music/`` scalars for every finished training episode (averaged until SB3's next dump).

    Each step's bar is read from the observation SB3 hands over (the terminal one when an episode ends,
    since the env has already reset), so it works on any vectorised env.
    """

    def __init__(self, spec: LaunchpadSpec, obs_mode: str, silent_distance: int, verbose: int = 0):
        super().__init__(verbose)
        self.spec, self.obs_mode, self.silent_distance = spec, obs_mode, silent_distance

    def _init_callback(self) -> None:
        n_envs = self.training_env.num_envs
        self._distance_sum = np.zeros(n_envs)
        self._notes_sum = np.zeros(n_envs)
        self._steps = np.zeros(n_envs, dtype=np.int64)
        self._nearest = [set() for _ in range(n_envs)]

    def _on_step(self) -> bool:
        infos, dones = self.locals["infos"], self.locals["dones"]
        observations = np.stack([
            info["terminal_observation"] if done and "terminal_observation" in info else obs
            for obs, info, done in zip(self.locals["new_obs"], infos, dones, strict=True)
        ])
        notes = np.bitwise_count(bars_from_observations(self.spec, self.obs_mode, observations)).sum(axis=-1)
        for i, info in enumerate(infos):
            self._distance_sum[i] += info["distance"]
            self._notes_sum[i] += notes[i]
            self._steps[i] += 1
            self._nearest[i].add(info["nearest_bar"])
            if dones[i]:
                self._finish(i, info)
        return True

    def _finish(self, i: int, info: dict) -> None:
        steps = self._steps[i]
        self.logger.record_mean("music/mean_distance_per_step", self._distance_sum[i] / steps)
        self.logger.record_mean("music/final_distance", info["distance"])
        self.logger.record_mean("music/ceiling_fraction",
                                float(ceiling_fraction(info["distance"], info["best_distance"], self.silent_distance)))
        self.logger.record_mean("music/notes_per_bar", self._notes_sum[i] / steps)
        self.logger.record_mean("music/distinct_nearest_bars", len(self._nearest[i]))
        self._distance_sum[i] = self._notes_sum[i] = self._steps[i] = 0
        self._nearest[i] = set()


class LaunchpadEvalCallback(BaseCallback):
    """The paper's evaluation: every ``eval_freq`` steps, ``n_episodes`` seeded episodes with epsilon-greedy
    actions; logs ``eval/`` scalars and the last episode's ``media/``, and keeps the best model by mean reward
    per step as ``run``'s best model (:meth:`agents.dqn.runs.Run.save_best`), if a run is given."""

    def __init__(self, eval_env, eval_freq: int, n_episodes: int, epsilon: float, silent_distance: int,
                 seed: int = 0, run: Run | None = None, verbose: int = 0):
        super().__init__(verbose)
        self.eval_env, self.eval_freq, self.n_episodes, self.epsilon = eval_env, eval_freq, n_episodes, epsilon
        self.silent_distance, self.seed, self.run = silent_distance, seed, run
        self.best = -np.inf
        self._next = eval_freq

    def _init_callback(self) -> None:
        # A resumed run continues the schedule where the checkpoint left it.
        self._next = (self.num_timesteps // self.eval_freq + 1) * self.eval_freq

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += self.eval_freq
            self.evaluate()
        return True

    def evaluate(self) -> dict:
        spec = self.eval_env.unwrapped.launchpad
        episodes = [rollout(self.eval_env, self.model, seed=self.seed + i, epsilon=self.epsilon)
                    for i in range(self.n_episodes)]
        summary = mean_metrics([episode_metrics(spec, e, self.silent_distance) for e in episodes])
        summary["mean_reward"] = float(np.mean([e.rewards.sum() for e in episodes]))
        for key, value in summary.items():
            self.logger.record(f"eval/{key}", value)
        record_episode_media(self.logger, self.eval_env, episodes[-1])
        self.logger.dump(self.num_timesteps)
        if self.run is not None and summary["mean_reward_per_step"] > self.best:
            self.best = summary["mean_reward_per_step"]
            self.run.save_best(self.model)
        return summary


class LatestReplayCheckpoint(BaseCallback):
    """A checkpoint of the run every ``save_freq`` calls (:meth:`agents.dqn.runs.Run.save_checkpoint`): every
    model is kept, but only the latest replay buffer (up to ~600 MB each)."""

    def __init__(self, save_freq: int, run: Run):
        super().__init__()
        self.save_freq, self.run = save_freq, run

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq == 0:
            self.run.save_checkpoint(self.model)
        return True
