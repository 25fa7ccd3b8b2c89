"""What share of SB3 DQN training time is spent in the environment?

Trains Stable-Baselines3's DQN on ``gym.make("gym_launchpad/Launchpad-v0")`` (shipped corpus, toggles
observation) with the paper's settings (batch 32, a gradient step every 4 env steps, learning starts
after 500 steps), one torch thread, for the linear Q-network (``net_arch=[]``) and the 1024-512 MLP.
A wrapper outside the env accumulates the wall time of every ``step`` and ``reset`` SB3 makes; the share
is that over the wall time of ``model.learn``. For comparison the same loop is timed on CartPole-v1, and the
env is stepped alone. Target: <= 2%.

    python benchmarks/dqn_share.py [--quick] [--steps N]
    python benchmarks/dqn_share.py --profile     # where the linear network's training time goes
"""

from __future__ import annotations

import argparse
import sys
import time

import gymnasium as gym
from _common import Row, table
from env_step import seconds_per_step

import gym_launchpad  # noqa: F401  (registers the ids)

TARGET = "<= 0.02x"
NETWORKS = {"linear": [], "1024-512 MLP": [1024, 512]}
ENV_ID = "gym_launchpad/Launchpad-v0"


class EnvClock(gym.Wrapper):
    """Adds the wall time of each ``step`` and ``reset`` to :attr:`seconds`."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.seconds = 0.0
        self.steps = 0

    def step(self, action):
        start = time.perf_counter()
        result = self.env.step(action)
        self.seconds += time.perf_counter() - start
        self.steps += 1
        return result

    def reset(self, **kwargs):
        start = time.perf_counter()
        result = self.env.reset(**kwargs)
        self.seconds += time.perf_counter() - start
        return result


def env_share(env_id: str, net_arch: list[int], steps: int, seed: int = 0) -> tuple[float, float]:
    """(env seconds, learn seconds) of ``steps`` DQN steps on ``env_id`` with Q-network ``net_arch``.

    The env is made before the clock starts, so its one-off costs (the ceiling, loading the compiled
    kernel) are not counted; every step and reset SB3 makes is.
    """
    import torch
    from stable_baselines3 import DQN

    torch.set_num_threads(1)
    env = EnvClock(gym.make(env_id))
    model = DQN("MlpPolicy", env, learning_starts=500, batch_size=32, train_freq=4, buffer_size=100_000,
                target_update_interval=1000, policy_kwargs={"net_arch": net_arch}, seed=seed, device="cpu")
    start = time.perf_counter()
    model.learn(steps)
    return env.seconds, time.perf_counter() - start


def run(quick: bool = False, steps: int | None = None) -> list[Row]:
    steps = steps or (600 if quick else 10_000)
    # The env stepped alone, and CartPole-v1 in the same training loop, show what training does to an
    # env step: the network's work between steps evicts the caches the step would have found warm.
    alone = seconds_per_step(gym.make(ENV_ID), min(steps, 5000))
    rows = []
    for name, net_arch in NETWORKS.items():
        env_seconds, total = env_share(ENV_ID, net_arch, steps)
        cartpole_seconds, cartpole_total = env_share("CartPole-v1", net_arch, steps)
        share = env_seconds / total
        figures = (f"{steps} steps: env {env_seconds:.2f} s of {total:.1f} s learn = {share:.2%} "
                   f"({total / steps * 1e6:.0f} us/step); an env step costs {env_seconds / steps * 1e6:.1f} us in "
                   f"the loop, {alone * 1e6:.1f} us alone; CartPole-v1 in the same loop: "
                   f"{cartpole_seconds / steps * 1e6:.1f} us/step, {cartpole_seconds / cartpole_total:.2%} of its run")
        rows.append(Row(f"DQN training, {name}, env share", figures, share, TARGET, share <= 0.02))
    return rows


def profile(steps: int, top: int = 25):
    """cProfile of ``model.learn`` with the linear Q-network: where a training step's time goes."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(env_share, ENV_ID, NETWORKS["linear"], steps)
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(r"launchpad_env|reward\.py|gymnasium/wrappers|dqn\.py|off_policy|dummy_vec", top)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke size: 600 steps")
    parser.add_argument("--steps", type=int, default=None, help="DQN steps per network (default 10000)")
    parser.add_argument("--profile", action="store_true",
                        help="instead, print a cProfile of the linear network's training (env parts and SB3's)")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.steps or 4000)
    else:
        print(table(run(args.quick, args.steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
