"""Train an agent on the launchpad with Ray RLlib: PPO, sampling in several env runners at once.

    pip install "gym_launchpad[rllib]"
    python examples/rllib_train.py --env-runners 2 --iterations 20            # this machine
    ray start --head                                                         # a cluster: on the head node,
    ray start --address HEAD:6379                                            # on every other machine,
    python examples/rllib_train.py --address auto --env-runners 32           # then on the head node

Every env runner (a process, on any machine of the Ray cluster) builds its own env from the creator
registered with ``register_env`` below, so gym_launchpad must be installed on every machine. RLlib's default
networks read flat ``Box`` observations; the launchpad's are ``MultiBinary`` (``(312,)`` toggles by default),
which RLlib's ``FlattenObservations`` connector hands over as such a ``Box``, so the env is used as it is.
The reward the runners report is the env's: minus the Hamming distance to the nearest corpus bar, per bar.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.env_to_module import FlattenObservations
from ray.tune.registry import register_env

#: The name the env is registered under in RLlib (its own registry, separate from Gymnasium's).
ENV_NAME = "launchpad"


def make_launchpad(env_config: dict) -> gym.Env:
    """The env an env runner steps: ``gym.make("gym_launchpad/Launchpad-v0", **env_config)``.

    gym_launchpad is imported here, inside the runner's process, since importing it registers the env."""
    import gym_launchpad  # noqa: F401 - registers gym_launchpad/Launchpad-v0 with Gymnasium

    return gym.make("gym_launchpad/Launchpad-v0", **env_config)


def _flatten_observations(env=None, spaces=None, device=None):
    return FlattenObservations()


def ppo_config(env_runners: int, episode_steps: int = 1000, corpus: str | None = None,
               batch_size: int = 4000) -> PPOConfig:
    """PPO on the launchpad with ``env_runners`` sampling processes, ``batch_size`` env steps per iteration."""
    register_env(ENV_NAME, make_launchpad)
    env_config = {"max_episode_steps": episode_steps, **({"corpus": corpus} if corpus else {})}
    return (
        PPOConfig()
        .environment(ENV_NAME, env_config=env_config)
        .env_runners(num_env_runners=env_runners, env_to_module_connector=_flatten_observations,
                     rollout_fragment_length="auto")
        .training(train_batch_size_per_learner=batch_size, minibatch_size=min(128, batch_size), num_epochs=4)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--env-runners", type=int, default=2, help="sampling processes (across the Ray cluster)")
    parser.add_argument("--iterations", type=int, default=20, help="PPO iterations (each samples --batch-size steps)")
    parser.add_argument("--batch-size", type=int, default=4000, help="env steps per iteration")
    parser.add_argument("--episode-steps", type=int, default=1000, help="bars per episode (the time limit)")
    parser.add_argument("--corpus", default=None, help="corpus .npz (default: the shipped Bach chorales)")
    parser.add_argument("--address", default=None, help="a running Ray cluster ('auto'), else a local one")
    args = parser.parse_args(argv)
    import ray

    ray.init(address=args.address)
    algo = ppo_config(args.env_runners, args.episode_steps, args.corpus, args.batch_size).build_algo()
    try:
        for iteration in range(1, args.iterations + 1):
            runners = algo.train()["env_runners"]
            steps = runners.get("episode_len_mean", float("nan"))
            print(f"iteration {iteration}: mean episode return {runners.get('episode_return_mean', float('nan')):.1f}"
                  f" over {steps:.0f} bars ({runners.get('episode_return_mean', float('nan')) / steps:.2f} per bar)")
    finally:
        algo.stop()
        ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
