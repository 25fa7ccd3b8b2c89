"""What every planner shares: it plays one env, reads that env's state, and answers SB3's ``predict``.

A planner decides from the launchpad's state, not from ``obs``: it uses the env as a simulator (its
one-step lookahead, or a second env reset to a state), so the registry (:mod:`agents.policies`) calls it a
planner in every table. Its options (``beam:width=64``) are declared as :class:`Option` s, typed and bounded so
that one press stays within a few seconds on a small machine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gym_launchpad.launchpad import LaunchpadState

#: A number as an option's value: digits, an optional fraction and exponent (no ``inf``, ``nan``, ``0x``, ``_``).
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Option:
    """One option of a planner: its type (``int`` or ``float``), its bounds, and why the upper one is there
    (what one press cost at it, measured)."""

    type: type
    low: float
    high: float
    why: str = ""

    def allowed(self) -> str:
        kind = "an integer" if self.type is int else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}" + (f" ({self.why})" if self.why else "")

    def parse(self, planner: str, key: str, text: str) -> int | float:
        """``text`` as this option's value, or one ValueError naming the option and what it allows."""
        shown = _shown(text)
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{planner} option {key}={shown!r} is not a number; {key} is {self.allowed()}")
        value = float(text)  # digits beyond a float's range read as inf: out of range
        if math.isfinite(value) and self.type is int and not value.is_integer():
            raise ValueError(f"{planner} option {key}={shown} is not a whole number; {key} is {self.allowed()}")
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError(f"{planner} option {key}={shown} is out of range; {key} is {self.allowed()}")
        return int(value) if self.type is int else value


def parse_options(planner: str, text: str, options: dict[str, Option],
                  check: Callable[[dict[str, int | float]], None] | None = None) -> tuple[tuple[str, int | float], ...]:
    """``width=64,depth=4`` as ``(("width", 64), ("depth", 4))``, each checked by its :class:`Option`, then all
    together by ``check`` (a planner's limit on options jointly, e.g. beam's width x depth); one ValueError for an
    unknown, repeated, malformed or out-of-range option."""
    parsed: dict[str, int | float] = {}
    for item in text.split(",") if text else ():
        key, sep, value = item.partition("=")
        if not sep or key not in options:
            raise ValueError(f"{planner} option {_shown(item)!r} is not OPTION=VALUE with OPTION one of "
                             f"{', '.join(options) or '(none: it takes no options)'}")
        if key in parsed:
            raise ValueError(f"{planner} option {key} is given twice; give it once")
        parsed[key] = options[key].parse(planner, key, value)
    if check is not None:
        check(parsed)
    return tuple(parsed.items())


def _shown(text: str, limit: int = 40) -> str:
    """``text`` as a refusal quotes it: cut to ``limit`` characters, so a hostile value stays one short line."""
    return text if len(text) <= limit else text[:limit] + "..."


def state_key(state: LaunchpadState) -> bytes:
    """A hashable key of a state: planners cache what they decided for the state they decided it in."""
    return state.masks.tobytes() + state.offsets.tobytes()


class Planner:
    """A policy that acts by planning in ``env`` (possibly wrapped), one env at a time.

    Subclasses implement :meth:`act`: the action for the env's current state.
    """

    name = "planner"

    def __init__(self, env):
        self.env = env.unwrapped
        self.action_space = env.action_space
        self.observation_space = env.observation_space
        self.spec = self.env.launchpad
        self.noop_action = self.spec.noop_action

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        if obs.shape != self.observation_space.shape and obs.shape[0] != 1:
            raise ValueError(f"{type(self).__name__} plans on one env's state; got a batch of {obs.shape[0]} "
                             "observations")
        action = np.int64(self.act())
        return (action if obs.shape == self.observation_space.shape else np.array([action])), state

    def act(self) -> int:
        raise NotImplementedError

    def simulator(self):
        """A second env on the same corpus, with the ``"nearest"`` reward, to try presses in without
        touching the env being played."""
        import gymnasium as gym

        spec = self.spec
        return gym.make("gym_launchpad/Launchpad-v0", corpus=self.env.corpus, n_notes=spec.n_notes,
                        bar_bits=spec.bar_bits, low_note=spec.low_note, init="empty").unwrapped
