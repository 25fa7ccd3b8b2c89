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

#: Presses between two bar lines: every step is one press, and every ``presses_per_bar``-th press ends a bar,
#: which is heard, recorded and scored. Consecutive chorale bars are a median 17 presses apart (12-21, 10th-90th:
#: ``python -m agents.eval.presses_per_bar``); with 24 a walk reaches the bar that follows in the chorale from
#: nearly every bar, and the follower planner meets every target of issue #21 (docs/dj.md).
DEFAULT_PRESSES_PER_BAR = 24
#: Bars a corpus bar stays "recently played" after the launchpad played it: a song that arrives at a new
#: corpus bar every bar earns every arrival, and a loop shorter than this earns none.
DEFAULT_MEMORY = 100
#: An arrival is a heard bar this close (in cells) to a corpus bar not played in the last ``memory`` bars: the
#: distance the targets allow (<= 6); 56% of the chorale bars have a launchpad rendering this close.
DEFAULT_ARRIVAL_RADIUS = 6
#: Paid on an arrival: worth more than the closeness a nearer but recently played bar would give.
DEFAULT_ARRIVAL_BONUS = 40.0
#: Bars in a song: the env truncates after this many bar lines.
DEFAULT_SONG_BARS = 300


class LaunchpadDJEnv(LaunchpadEnv):
    """
    ## Description
    The launchpad as a DJ: the agent presses buttons, one a step, and every `presses_per_bar` presses (24 by
    default) the bar line comes and the launchpad's bar is heard. The corpus holds note onsets (a cell is a
    struck key, `Corpus.cells == "onsets"`), and so does the bar: each lit cell of the launchpad is an attack
    (how long it sounds is the instrument's release, `gym_launchpad.midi.Release`). The reward pays for the
    bars a listener hears being close to real music *and* new: arriving at corpus bars not heard recently.
    A song that cycles between a few bars earns its closeness and nothing more. This is the paper's open
    problem ("the agent will only take minimal actions") turned into the task.

    Why several presses a bar: consecutive chorale bars are a median 17 presses apart (12-21), so a DJ of
    one press a bar moves the harmony in 13% of its bars (the chorales: 88%); with 24 presses a bar a walk
    can follow the chorales themselves (`python -m agents.eval.presses_per_bar`, docs/dj.md).
    `presses_per_bar=1` is the task of one press a heard bar.

    ## Action Space
    As `Launchpad-v0`: `Discrete(N * (2B + 1) + 1)`, 313 for N=24, B=6 (toggles, offset increments, no-op).

    ## Observation Space
    `Box(0, 1, (2 * N * (2B + 1) + K + P,), float32)`: the launchpad's toggles (as `obs_mode="toggles"`),
    then the toggles of the bar heard at the last bar line (the start bar before the first), then for each
    of the corpus's K bars its age: the bar lines since a heard bar last played it (was within
    `arrival_radius` cells of it, as its nearest bar), divided by `memory` and capped at 1 (1: not played in
    the last `memory` bars), then the press phase one-hot (P entries: presses made since the last bar line).
    Every reward term is a function of this observation and the action, and the next observation follows
    from them: the reward is Markov in what the agent sees.

    ## Rewards
    Paid at bar lines only (every other press earns 0), the sum of two terms, each echoed in
    `info["rewards"]`:
    - `closeness`: minus the Hamming distance from the heard bar's onsets to the nearest corpus bar (being
      near real music);
    - `arrival`: `arrival_bonus` (40) when the heard bar is within `arrival_radius` (6) cells of its
      nearest corpus bar and that bar was not played in the last `memory` (100) bars (`info["arrival"]`):
      moving to music not heard recently. Returning to a bar of the last `memory` bars earns nothing, so a
      loop of fewer than `memory` bars, or a pad toggled on and off, earns its closeness alone.
    `info["best_distance"]` is the exact smallest distance over the whole state space (as `Launchpad-v0`);
    `info["reward_bound"]`, `-best_distance + arrival_bonus`, bounds every step's reward from above
    (honestly, not tightly: few bars arrive that close).

    ## Starting State
    As `Launchpad-v0` (`init="triad"` by default); the start bar is the bar heard before the first, and no
    corpus bar has been played (the start bar, if it is within `arrival_radius` of its nearest, has).

    ## Episode End
    No terminal state; the env truncates at the bar line of bar `song_bars` (300 bars: a song, 7200 presses).

    ## Information
    As `Launchpad-v0` (`distance`, `nearest_bar`, `nearest_source`, `nearest_bar_number`, `best_distance`:
    of the launchpad's bar after the press), plus `onsets` (struck notes in the bar), `bar_line` (this press
    ended a bar: it was heard), `bars` (bars heard), `heard_change` (at a bar line: the bar differs from the
    bar heard before), `arrival`, `rewards` (the terms) and `reward_bound`.

    ## Arguments
    ```python
    gym.make("gym_launchpad/LaunchpadDJ-v0", corpus=None, presses_per_bar=24, memory=100, arrival_radius=6,
             arrival_bonus=40.0, song_bars=300, init="triad", n_notes=24, bar_bits=6, low_note=47,
             render_mode=None, all_keys=False)
    ```
    `corpus` is None (the shipped Bach chorales as onsets, `bach_onsets.npz`), a path to a `.npz` built
    with `launchpad corpus build --cells onsets`, or a `Corpus` of onsets; a corpus of sounding cells is
    refused. `all_keys=True` puts it in all 12 keys, as for `Launchpad-v0` (12 times the bars, so the
    observation's ages grow to match).

    ## Rendering
    As `Launchpad-v0` ("ansi", "rgb_array", "human": the window and the sound), but "human" shows and plays
    a bar at each bar line only: a listener hears what is scored. The env is `LaunchpadEnv`'s reset and step
    with its own named parts (`_start`, `_press`, `_reward`, `_truncated`, `_observation`, `_info`).

    ## Version History
    * v0: initial release. Issue #21: `presses_per_bar` (default 24, was one press a bar), the press phase
      in the observation, the reward paid at bar lines; the `heard` bonus (2 for a bar differing from the
      one before, earned by toggling one pad on and off) is gone, `arrival_radius` 6 (was 2).
    """

    def __init__(
        self,
        corpus: CorpusArgument = None,
        presses_per_bar: int = DEFAULT_PRESSES_PER_BAR,
        memory: int = DEFAULT_MEMORY,
        arrival_radius: int = DEFAULT_ARRIVAL_RADIUS,
        arrival_bonus: float = DEFAULT_ARRIVAL_BONUS,
        song_bars: int = DEFAULT_SONG_BARS,
        init: str = "triad",
        n_notes: int = 24,
        bar_bits: int = 6,
        low_note: int = 47,
        render_mode: str | None = None,
        all_keys: bool = False,
    ) -> None:
        corpus = Corpus.onsets() if corpus is None else corpus
        super().__init__(corpus, "nearest", obs_mode="toggles", init=init, n_notes=n_notes, bar_bits=bar_bits,
                         low_note=low_note, render_mode=render_mode, all_keys=all_keys)
        if self.corpus.cells != "onsets":
            raise ValueError(
                f"LaunchpadDJ-v0 plays struck notes, but the corpus {self.corpus!r} holds {self.corpus.cells} "
                "cells: build one of onsets (launchpad corpus build --cells onsets) or leave corpus=None")
        for name, value in (("presses_per_bar", presses_per_bar), ("memory", memory), ("song_bars", song_bars)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if isinstance(arrival_radius, bool) or not isinstance(arrival_radius, (int, np.integer)) or arrival_radius < 0:
            raise ValueError(f"arrival_radius must be an int >= 0 (cells), got {arrival_radius!r}")
        if (not isinstance(arrival_bonus, (int, float, np.number)) or isinstance(arrival_bonus, bool)
                or not np.isfinite(arrival_bonus)):
            raise ValueError(f"arrival_bonus must be a finite number, got {arrival_bonus!r}")
        self.presses_per_bar, self.song_bars = int(presses_per_bar), int(song_bars)
        self.memory, self.arrival_radius = int(memory), int(arrival_radius)
        self.arrival_bonus = float(arrival_bonus)
        self.reward_bound = -self.ceiling.distance + max(self.arrival_bonus, 0.0)
        n_toggles = observation_space(self.launchpad, "toggles").shape[0]
        self._n_toggles = n_toggles
        self.observation_space = spaces.Box(
            0.0, 1.0, (2 * n_toggles + len(self.corpus) + self.presses_per_bar,), np.float32)
        self._heard_obs = self._obs.copy()
        #: The bar heard at the last bar line (the start bar before the first).
        self.heard_words = self.words.copy()
        # Bars since each corpus bar was last played, capped at memory (an int so steps stay exact).
        self.ages = np.full(len(self.corpus), self.memory, dtype=np.int64)
        self._terms = {"closeness": 0.0, "arrival": 0.0}
        self._heard_change = self._arrival = False
        self._bars = 0

    @property
    def bars(self) -> int:
        """Bars heard since the reset: the bar lines passed."""
        return self._bars

    @property
    def phase(self) -> int:
        """Presses made since the last bar line (0 right after one): the next press is press ``phase + 1``
        of ``presses_per_bar`` of this bar."""
        return self._steps - self._bars * self.presses_per_bar

    @property
    def at_bar_line(self) -> bool:
        """Whether the last press ended a bar (and the reset: the start bar is heard)."""
        return self.phase == 0

    # --- the reset and the step, as named parts of LaunchpadEnv's -----------------------------
    def _start(self, state: LaunchpadState) -> None:
        super()._start(state)
        self._bars = 0
        self.heard_words[:] = self.words
        self._heard_obs[:] = self._obs
        self.ages[:] = self.memory
        if self._distance <= self.arrival_radius:
            self.ages[self._nearest] = 0
        self._terms = {"closeness": -float(self._distance), "arrival": 0.0}
        self._heard_change = self._arrival = False

    def _reward(self) -> float:
        closeness = self._score()
        if (self._steps + 1) % self.presses_per_bar:  # not a bar line: nothing is heard
            self._terms = {"closeness": 0.0, "arrival": 0.0}
            self._heard_change = self._arrival = False
            return 0.0
        self._bars += 1
        self._heard_change = bool((self.words != self.heard_words).any())
        self.heard_words[:] = self.words
        self._heard_obs[:] = self._obs
        played = self._distance <= self.arrival_radius
        self._arrival = bool(played and self.ages[self._nearest] >= self.memory)
        np.minimum(self.ages + 1, self.memory, out=self.ages)
        if played:
            self.ages[self._nearest] = 0
        self._terms = {"closeness": closeness, "arrival": self.arrival_bonus if self._arrival else 0.0}
        return closeness + self._terms["arrival"]

    def _truncated(self) -> bool:
        return self.at_bar_line and self._bars >= self.song_bars

    def _observation(self) -> np.ndarray:
        phase = np.zeros(self.presses_per_bar, dtype=np.float32)
        phase[self.phase] = 1.0
        return np.concatenate([self._obs, self._heard_obs, self.ages / self.memory, phase]).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        values = super()._info()
        values.update(onsets=int(np.bitwise_count(self.words).sum()), bar_line=self.at_bar_line, bars=self._bars,
                      heard_change=self._heard_change, arrival=self._arrival, rewards=dict(self._terms),
                      reward_bound=self.reward_bound)
        return values

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "human" and not self.at_bar_line:
            return None  # a listener hears the bar at the bar line, not the presses that build it
        return super().render()
