"""examples/rllib_train.py: RLlib's PPO trains on the launchpad with two env runners, and the returns it
reports are the env's own rewards (minus the distances the env reports in ``info``)."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _import_ray():
    if os.environ.get("CI"):
        import ray  # CI installs the [rllib] extra (the Makefile) and must run this test

        return ray
    return pytest.importorskip("ray", reason="the RLlib test needs the [rllib] extra: pip install -e .[rllib]")


def _load_example():
    spec = importlib.util.spec_from_file_location("rllib_train", REPO / "examples" / "rllib_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env_reward_check():
    """An RLlib callback (defined here, so Ray ships it to the runners by value, and ray is imported only when
    this test runs): per finished episode, how far RLlib's rewards are from minus the env's distances, the
    env's return, and which runner played it."""
    from ray.rllib.callbacks.callbacks import RLlibCallback

    class EnvRewardCheck(RLlibCallback):
        def on_episode_end(self, *, episode, prev_episode_chunks=None, env_runner=None, metrics_logger=None,
                           **kwargs):
            rewards, distances = [], []
            for chunk in [*(prev_episode_chunks or []), episode]:
                rewards.extend(chunk.get_rewards())
                distances.extend(info["distance"] for info in chunk.get_infos()[1:])  # [0]: before the first step
            gap = (np.abs(np.asarray(rewards) + np.asarray(distances)).max() if len(rewards) == len(distances)
                   else np.inf)
            metrics_logger.log_value("reward_gap", float(gap), reduce="max")
            metrics_logger.log_value(f"episodes_of_runner_{env_runner.worker_index}", 1, reduce="sum")
            metrics_logger.log_value("env_return", -float(np.sum(distances)), reduce="mean")

    return EnvRewardCheck


@pytest.mark.slow
def test_ppo_trains_with_two_env_runners_on_the_env_reward():
    ray = _import_ray()
    rllib_train = _load_example()
    # The runners import this checkout's gym_launchpad, like the test.
    ray.init(num_cpus=3, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
    try:
        config = rllib_train.ppo_config(env_runners=2, episode_steps=20, batch_size=80)
        algo = config.callbacks(_env_reward_check()).build_algo()
        assert algo.env_runner_group.num_healthy_remote_workers() == 2
        results = [algo.train()["env_runners"] for _ in range(3)]
        algo.stop()
    finally:
        ray.shutdown()
    last = results[-1]
    assert last["reward_gap"] == 0.0
    assert last["episodes_of_runner_1"] > 0 and last["episodes_of_runner_2"] > 0
    assert last["episode_len_mean"] == 20
    assert last["episode_return_mean"] == pytest.approx(last["env_return"])
    assert last["episode_return_mean"] < 0  # minus distances: PPO's first policies never match Bach exactly
