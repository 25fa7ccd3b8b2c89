"""The DJ task: play struck notes that keep moving through real music (:class:`LaunchpadDJEnv`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from gym_launchpad.corpus import Corpus
from gym_launchpad.envs.launchpad_env import LaunchpadEnv
from gym_launchpad.envs.pipeline import CorpusArgument
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.observation import observation_space

#: Bars a corpus bar stays "recently played" after the launchpad played it: a song that arrives at a new
#: corpus bar every 10 bars earns every arrival.
DEFAULT_MEMORY = 100
#: An arrival is a bar this close (in cells) to a corpus bar not visited in the last ``memory`` bars.
DEFAULT_ARRIVAL_RADIUS = 2
#: Paid when the bar heard differs from the bar before it.
DEFAULT_HEARD_BONUS = 2.0
#: Paid on an arrival: worth walking ~8 bars at distance ~4 for, never worth dithering near one bar.
DEFAULT_ARRIVAL_BONUS = 40.0


class LaunchpadDJEnv(LaunchpadEnv):
    """
    ## Description
    The launchpad as a DJ: every step is one bar of music, and the agent presses one button before the
    next bar. The corpus holds note onsets (a cell is a struck key, `Corpus.cells == "onsets"`), and so
    does the bar: each lit cell of the launchpad is an attack, held to the next attack of its pitch or
    the bar line. The reward pays for staying close to real music *and* for moving through it, as a
    listener hears it: the heard bar changing, and arriving at corpus bars not heard recently. Presses a
    listener cannot hear (an offset of a silent row, a no-op) earn no movement. This is the paper's open
    problem ("the agent will only take minimal actions") turned into the task.

    ## Action Space
    As `Launchpad-v0`: `Discrete(N * (2B + 1) + 1)`, 313 for N=24, B=6 (toggles, offset increments, no-op).

    ## Observation Space
    `Box(0, 1, (2 * N * (2B + 1) + K,), float32)`: the launchpad's toggles (as `obs_mode="toggles"`),
    then the toggles of the bar before, then for each of the corpus's K bars its age: the bars since the
    launchpad last played it (was within `arrival_radius` cells of it, as its nearest bar), divided by
    `memory` and capped at 1 (1: not played in the last `memory` bars). Every reward term is a function
    of the previous observation and the action, and the next observation follows from them: the reward is
    Markov in what the agent sees.

    ## Rewards
    The sum of three terms, each echoed in `info["rewards"]`:
    - `closeness`: minus the Hamming distance from the bar's onsets to the nearest corpus bar;
    - `heard`: `heard_bonus` (2) when the bar differs from the bar before it (`info["heard_change"]`);
    - `arrival`: `arrival_bonus` (40) when the bar is within `arrival_radius` (2) cells of its nearest
      corpus bar and that bar was not played in the last `memory` (100) bars (`info["arrival"]`).
    `info["best_distance"]` is the exact smallest distance over the whole state space (as
    `Launchpad-v0`); `info["reward_bound"]`, `-best_distance + heard_bonus + arrival_bonus`, bounds every
    step's reward from above (honestly, not tightly: no song arrives on every bar).

    ## Starting State
    As `Launchpad-v0` (`init="triad"` by default); the bar before the first is the start bar itself, and
    no corpus bar has been played (the start bar, if it is within `arrival_radius` of its nearest, has).

    ## Episode End
    No terminal state; `gym.make` truncates after 300 bars (a song).

    ## Information
    As `Launchpad-v0` (`distance`, `nearest_bar`, `nearest_source`, `nearest_bar_number`, `best_distance`),
    plus `onsets` (struck notes in the bar), `heard_change`, `arrival`, `rewards` (the terms) and
    `reward_bound`.

    ## Arguments
    ```python
    gym.make("gym_launchpad/LaunchpadDJ-v0", corpus=None, memory=100, arrival_radius=2, heard_bonus=2.0,
             arrival_bonus=40.0, init="triad", n_notes=24, bar_bits=6, low_note=47, render_mode=None)
    ```
    `corpus` is None (the shipped Bach chorales as onsets, `bach_onsets.npz`), a path to a `.npz` built
    with `launchpad corpus build --cells onsets`, or a `Corpus` of onsets; a corpus of sounding cells is
    refused.

    ## Rendering
    As `Launchpad-v0` ("ansi", "rgb_array", "human": the window and the sound, a bar a step). The env is
    `LaunchpadEnv`'s reset and step with its own named parts (`_start`, `_press`, `_reward`,
    `_observation`, `_info`).

    ## Version History
    * v0: initial release.
    """

    def __init__(
        self,
        corpus: CorpusArgument = None,
        memory: int = DEFAULT_MEMORY,
        arrival_radius: int = DEFAULT_ARRIVAL_RADIUS,
        heard_bonus: float = DEFAULT_HEARD_BONUS,
        arrival_bonus: float = DEFAULT_ARRIVAL_BONUS,
        init: str = "triad",
        n_notes: int = 24,
        bar_bits: int = 6,
        low_note: int = 47,
        render_mode: str | None = None,
    ) -> None:
        corpus = Corpus.onsets() if corpus is None else corpus
        super().__init__(corpus, "nearest", obs_mode="toggles", init=init, n_notes=n_notes, bar_bits=bar_bits,
                         low_note=low_note, render_mode=render_mode)
        if self.corpus.cells != "onsets":
            raise ValueError(
                f"LaunchpadDJ-v0 plays struck notes, but the corpus {self.corpus!r} holds {self.corpus.cells} "
                "cells: build one of onsets (launchpad corpus build --cells onsets) or leave corpus=None")
        if isinstance(memory, bool) or not isinstance(memory, (int, np.integer)) or memory < 1:
            raise ValueError(f"memory must be a positive int (bars), got {memory!r}")
        if isinstance(arrival_radius, bool) or not isinstance(arrival_radius, (int, np.integer)) or arrival_radius < 0:
            raise ValueError(f"arrival_radius must be an int >= 0 (cells), got {arrival_radius!r}")
        for name, value in (("heard_bonus", heard_bonus), ("arrival_bonus", arrival_bonus)):
            if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        self.memory, self.arrival_radius = int(memory), int(arrival_radius)
        self.heard_bonus, self.arrival_bonus = float(heard_bonus), float(arrival_bonus)
        self.reward_bound = -self.ceiling.distance + max(self.heard_bonus, 0.0) + max(self.arrival_bonus, 0.0)
        n_toggles = observation_space(self.launchpad, "toggles").shape[0]
        self._n_toggles = n_toggles
        self.observation_space = spaces.Box(0.0, 1.0, (2 * n_toggles + len(self.corpus),), np.float32)
        self._previous_obs = self._obs.copy()
        self.previous_words = self.words.copy()
        # Bars since each corpus bar was last played, capped at memory (an int so steps stay exact).
        self.ages = np.full(len(self.corpus), self.memory, dtype=np.int64)
        self._terms = {"closeness": 0.0, "heard": 0.0, "arrival": 0.0}
        self._heard_change = self._arrival = False

    @property
    def bars(self) -> int:
        """Bars played since the reset: the steps taken."""
        return self._steps

    # --- the reset and the step, as named parts of LaunchpadEnv's -----------------------------
    def _start(self, state: LaunchpadState) -> None:
        super()._start(state)
        self.previous_words[:] = self.words
        self._previous_obs[:] = self._obs
        self.ages[:] = self.memory
        if self._distance <= self.arrival_radius:
            self.ages[self._nearest] = 0
        self._terms = {"closeness": -float(self._distance), "heard": 0.0, "arrival": 0.0}
        self._heard_change = self._arrival = False

    def _press(self, action: int) -> None:
        self.previous_words[:] = self.words
        self._previous_obs[:] = self._obs
        super()._press(action)

    def _reward(self) -> float:
        closeness = self._score()
        self._heard_change = bool((self.words != self.previous_words).any())
        played = self._distance <= self.arrival_radius
        self._arrival = bool(played and self.ages[self._nearest] >= self.memory)
        np.minimum(self.ages + 1, self.memory, out=self.ages)
        if played:
            self.ages[self._nearest] = 0
        self._terms = {"closeness": closeness, "heard": self.heard_bonus if self._heard_change else 0.0,
                       "arrival": self.arrival_bonus if self._arrival else 0.0}
        return closeness + self._terms["heard"] + self._terms["arrival"]

    def _observation(self) -> np.ndarray:
        return np.concatenate([self._obs, self._previous_obs, self.ages / self.memory]).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        values = super()._info()
        values.update(onsets=int(np.bitwise_count(self.words).sum()), heard_change=self._heard_change,
                      arrival=self._arrival, rewards=dict(self._terms), reward_bound=self.reward_bound)
        return values
