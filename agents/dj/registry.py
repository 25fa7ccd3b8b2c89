"""The DJ task's agents by name: ``hopper`` (the planner) and ``dj`` (the learned agent), and the env they play.

:mod:`agents.policies` hands these names here, so ``python -m agents evaluate hopper dj`` and ``python -m
agents play --agent dj`` find them like any other policy.
"""

from __future__ import annotations

import gymnasium as gym

from agents.dj import learned
from agents.dj.hopper import Hopper

#: The id of the task these agents play.
DJ_ENV_ID = "gym_launchpad/LaunchpadDJ-v0"
#: The DJ task's agents: the hopper planner and the learned agent (its weights: :data:`learned.DJ_WEIGHTS`).
DJ_POLICIES = ("hopper", "dj")


def make_dj_env(corpus=None, episode_steps: int | None = None, **env_kwargs):
    """``gym.make`` of the DJ task: ``corpus`` None (the shipped onsets), a path or a Corpus of onsets;
    ``episode_steps`` bars a song (default: the task's 300)."""
    limit = {} if episode_steps is None else {"max_episode_steps": episode_steps}
    return gym.make(DJ_ENV_ID, corpus=corpus, **limit, **env_kwargs)


def make_dj_policy(name: str, env):
    """The policy ``name`` (one of :data:`DJ_POLICIES`) playing ``env``; raises ValueError for another name
    and :class:`agents.dj.learned.DJWeightsError` when the learned agent's weights do not fit."""
    if name == "hopper":
        return Hopper(env)
    if name == "dj":
        return learned.load(learned.DJ_WEIGHTS, env)
    raise ValueError(f"unknown DJ agent {name!r}; choose one of {', '.join(DJ_POLICIES)}")
