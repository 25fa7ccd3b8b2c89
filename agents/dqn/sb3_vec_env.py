"""Stable-Baselines3 training on :class:`~gym_launchpad.envs.LaunchpadVectorEnv`.

SB3 takes its own ``VecEnv``, not a Gymnasium vector env: it resets a finished env within the same step,
and wants one info dict per env holding the last observation of an ended episode
(``terminal_observation``) and whether the end was a time limit (``TimeLimit.truncated``). This adapter runs
the vector env with ``AutoresetMode.SAME_STEP`` and translates, so SB3 sees exactly what a ``DummyVecEnv``
of single envs would show it::

    from stable_baselines3 import DQN
    from agents.dqn.sb3_vec_env import make_sb3_vec_env

    venv = make_sb3_vec_env("gym_launchpad/Launchpad-v0", num_envs=8, seed=0)
    DQN("MlpPolicy", venv).learn(10_000)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

import gym_launchpad  # noqa: F401  (registers the ids)
from gym_launchpad.envs.vector import LaunchpadVectorEnv


class LaunchpadSB3VecEnv(VecEnv):
    """An SB3 ``VecEnv`` over a :class:`LaunchpadVectorEnv` made with ``autoreset_mode=SAME_STEP``.

    Attributes live on the one vector env, so ``get_attr`` returns the same value for every index.
    """

    def __init__(self, venv: LaunchpadVectorEnv):
        if not isinstance(venv.unwrapped, LaunchpadVectorEnv):
            raise TypeError(f"LaunchpadSB3VecEnv wraps a LaunchpadVectorEnv, got {type(venv).__name__}")
        if venv.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
            raise ValueError("SB3 resets an ended env within the step: make the vector env with "
                             "autoreset_mode=AutoresetMode.SAME_STEP (make_sb3_vec_env does)")
        self.venv = venv
        self._actions: np.ndarray | None = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)

    def reset(self) -> VecEnvObs:
        options = self._options[0]
        if any(o != options for o in self._options):
            raise ValueError("LaunchpadSB3VecEnv resets every env with the same options; got different ones per env")
        seeds = None if all(s is None for s in self._seeds) else list(self._seeds)
        obs, infos = self.venv.reset(seed=seeds, options=options or None)
        self.reset_infos = _split_infos(infos, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terminated, truncated, infos = self.venv.step(self._actions)
        dones = terminated | truncated
        step_infos = _split_infos(infos, self.num_envs)
        if dones.any():
            # An ended env's info is its last step's (as DummyVecEnv); the new episode's goes to reset_infos.
            final_infos = _split_infos(infos["final_info"], self.num_envs)
            for e in np.flatnonzero(dones):
                self.reset_infos[e] = step_infos[e]
                step_infos[e] = final_infos[e]
                step_infos[e]["terminal_observation"] = infos["final_obs"][e]
        for info, time_limit in zip(step_infos, (truncated & ~terminated).tolist(), strict=True):
            info["TimeLimit.truncated"] = time_limit
        return obs, rewards.astype(np.float32), dones, step_infos

    def close(self) -> None:
        self.venv.close()

    def distances_after_each_action(self) -> np.ndarray:
        """``(num_envs, n_actions)`` int64: each env's ``"nearest"`` distance after each action, leaving the envs
        untouched (the one-step lookahead of :meth:`LaunchpadEnv.distances_after_each_action`, per env)."""
        return self.venv.unwrapped.distances_after_each_action()

    def get_images(self) -> Sequence[np.ndarray | None]:
        # The vector env draws env 0 only.
        return [self.venv.render()] + [None] * (self.num_envs - 1)

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self.venv, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        if len(list(self._get_indices(indices))) != self.num_envs:
            raise ValueError("the envs share one LaunchpadVectorEnv: set_attr applies to all of them or none")
        setattr(self.venv, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        method = getattr(self.venv, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


def make_sb3_vec_env(env_id: str = "gym_launchpad/Launchpad-v0", num_envs: int = 1, seed: int | None = None,
                     **env_kwargs) -> LaunchpadSB3VecEnv:
    """``gym.make_vec(env_id, num_envs, **env_kwargs)`` (its registered time limit included) for SB3."""
    venv = gym.make_vec(env_id, num_envs=num_envs, autoreset_mode=AutoresetMode.SAME_STEP, **env_kwargs)
    sb3_env = LaunchpadSB3VecEnv(venv)
    if seed is not None:
        sb3_env.seed(seed)
    return sb3_env


def _split_infos(infos: dict, num_envs: int) -> list[dict]:
    """Gymnasium's dict of arrays with ``_key`` masks -> SB3's list of one dict per env."""
    out: list[dict] = [{} for _ in range(num_envs)]
    for key, values in infos.items():
        if key.startswith("_") or key in ("final_obs", "final_info"):
            continue
        values = values.tolist()
        for e in np.flatnonzero(infos[f"_{key}"]).tolist():
            out[e][key] = values[e]
    return out
