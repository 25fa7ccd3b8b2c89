"""The launchpad as a Gymnasium env: one state, pressed one button a step (:class:`LaunchpadEnv`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import Env, spaces

from gym_launchpad import render
from gym_launchpad.envs.human import HumanRenderer
from gym_launchpad.envs.pipeline import (
    METADATA,
    SINGLE_RENDER_MODES,
    CorpusArgument,
    check_arguments,
    check_reset_options,
    info,
    reset_options,
    start_state,
)
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.observation import observation_space, observation_table, observe
from gym_launchpad.reward import DEFAULT_SAMPLE_SIZE, DistanceTracker, lookahead_distances


class LaunchpadEnv(Env[np.ndarray, np.int64]):
    """
    ## Description
    Compose one bar of music by pressing the buttons of a virtual Launchpad, after "Reinforcement
    Learning DJ: Note-Beat Navigation using Deep Q Learning" (Hazon, Palamuttam, Voss). The launchpad has
    `n_notes` pitch rows (MIDI `low_note` upwards). Each row plays any subset of `bar_bits + 1` beat
    patterns over a bar of `2**bar_bits` steps (pattern 0: one hit on the downbeat; pattern k: every
    `2**k` steps, half a period in), rotated right by the row's offset. Every step the agent presses one
    button and hears the bar it made; the reward says how close that bar is to real music.

    ## Action Space
    `Discrete(N * (2B + 1) + 1)`, 313 for the default N=24, B=6:
    - `note * (B + 1) + k`: toggle pattern k of `note`;
    - `N * (B + 1) + note * B + j`: add `2**j` to the offset of `note` (mod `2**B`);
    - `N * (2B + 1)`: do nothing.

    ## Observation Space
    - `"toggles"` (default): `MultiBinary(N * (2B + 1))`, the `N * (B + 1)` toggles row by row, then each
      row's offset as B bits, least significant first.
    - `"roll"`: `MultiBinary((N, 2**B))`, the bar the state plays.
    - `"onehot"`: `MultiBinary((N, B + 1 + 2**B))`, per row the toggles then the offset one-hot (the
      authors' network input, 24 x 71).

    ## Rewards
    Minus the Hamming distance from the bar to the nearest corpus bar, on the state after the action:
    - `"nearest"` (default): over all corpus bars, deterministic;
    - `"sampled"`: over `sample_size` bars (1000, as in the paper) drawn without replacement on every
      step from `self.np_random`, in proportion to how often each bar occurs in the corpus.
    The reward is at most `-info["best_distance"]`, the exact best over the whole state space.

    ## Starting State
    `init="triad"` (default, as the authors' code): a random major triad (root row 0..N-8, plus rows
    +4 and +7), each of its rows playing one random pattern at a random offset, other rows silent.
    `"empty"`: nothing plays. `"random"`: every toggle a fair coin, every offset uniform.
    `reset(options={"state": ...})` starts from a given state: a `LaunchpadState`, a dict with
    `toggles` `(N, B+1)` and `offsets` `(N,)`, or a `(toggles, offsets)` pair;
    `reset(options={"init": ...})` picks the start distribution for one episode.

    ## Episode End
    The task has no terminal state. `gym.make` adds a time limit: 1000 steps for `Launchpad-v0` (the
    authors' song length; they marked it terminal, here it is a truncation), 100 for `LaunchpadToy-v0`.

    ## Information
    `distance` (the reward's distance), `nearest_bar` (index in the corpus of the bar that set it),
    `nearest_source` and `nearest_bar_number` (where that bar comes from), `best_distance` (the ceiling).
    `state_index` (`LaunchpadState.index`, an int in `[0, 2**(N*(2B+1)))`) for launchpads of at most 2**16
    states, such as `LaunchpadToy-v0`, so tabular learners can index a table.

    ## Arguments
    ```python
    gym.make("gym_launchpad/Launchpad-v0", corpus=None, reward_mode="nearest", sample_size=1000,
             obs_mode="toggles", init="triad", n_notes=24, bar_bits=6, low_note=47, render_mode=None,
             all_keys=False)
    ```
    `corpus` is None (the shipped Bach chorales), a path to a `.npz` built by `launchpad corpus build`,
    a `Corpus`, or an array of bars: `(K, N)` uint64 row words or `(K, N, 2**B)` binary rolls. Its spec must
    match the env's; anything else is one ValueError that says what is allowed. `all_keys=True` adds every
    corpus bar transposed by 1 to 11 semitones (12 times the bars; the corpus a build with `--all-keys`
    gives, `gym_launchpad.corpus.keys.in_all_keys`), so the nearest real bar can be in any key; it needs at
    least 12 pitch rows.

    ## Rendering
    `"ansi"`: the grid as text; `"rgb_array"`: the grid as an image; `"human"`: a pygame window of the
    launchpad and the bar, heard through the live player (FluidSynth, else a virtual MIDI port, else
    silent with a warning), one step a bar at `metadata["render_fps"]` bars a second (0.5: 120 BPM);
    `close()` turns every note off (:mod:`gym_launchpad.envs.human`).

    ## Version History
    * v0: initial release.
    """

    metadata = {**METADATA, "render_modes": list(SINGLE_RENDER_MODES)}

    def __init__(
        self,
        corpus: CorpusArgument = None,
        reward_mode: str = "nearest",
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        obs_mode: str = "toggles",
        init: str = "triad",
        n_notes: int = 24,
        bar_bits: int = 6,
        low_note: int = 47,
        render_mode: str | None = None,
        all_keys: bool = False,
    ) -> None:
        args = check_arguments(corpus, reward_mode, sample_size, obs_mode, init, n_notes, bar_bits, low_note,
                               render_mode, SINGLE_RENDER_MODES, all_keys)
        self.launchpad = spec = args.launchpad
        self.corpus, self.ceiling = args.corpus, args.ceiling
        self.reward_mode, self.sample_size, self.obs_mode, self.init = reward_mode, args.sample_size, obs_mode, init
        self.render_mode = render_mode

        self.action_space = spaces.Discrete(spec.n_actions)
        self.observation_space = observation_space(spec, obs_mode)
        self._tracker = DistanceTracker(self.corpus)
        self.state = LaunchpadState.empty(spec)
        self.words = self.state.words()
        self._obs_positions, self._obs_values = observation_table(spec, obs_mode)
        # The spec's computed properties and the space's shape, looked up once rather than on every step.
        self._n_actions, self._row_table = spec.n_actions, spec.row_table
        self._obs_shape = self.observation_space.shape
        # Kept flat (a reshaped view would not survive pickling as a view) and shaped on the way out.
        self._obs = self._full_observation().reshape(-1)
        self.last_action: int | None = None
        self._distance, self._nearest = 0, 0
        # The provenance of one corpus bar, kept: the nearest bar seldom changes (see _info).
        self._source_bar, self._source = 0, self.corpus.source_of(0)
        # Whether info carries state_index: decided once here rather than on every step.
        self._indexed = args.indexed
        self._human: HumanRenderer | None = None  # the window and the sound, opened at the first render
        self._steps = 0

    # --- the Gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        options = reset_options(options)
        check_reset_options(options)
        self._start(start_state(self.launchpad, options, self.init, self.np_random))
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    def step(self, action: int | np.integer) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self._press(self._checked_action(action))
        reward = self._reward()
        self._steps += 1
        truncated = self._truncated()
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, False, truncated, self._info()

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            return render.ansi(self.state, self.last_action, self._distance)
        if self.render_mode == "human":
            if self._human is None:
                self._human = HumanRenderer(self.launchpad, self.metadata["render_fps"], "gym_launchpad",
                                            cells=self.corpus.cells)
            self._human.show(self.state, self._info(), self.last_action, self._steps)
            return None
        return render.rgb_array(self.state, self.last_action)

    def close(self) -> None:
        """With ``render_mode="human"``: every sounding note off, the synth quit, the window closed."""
        if self._human is not None:
            human, self._human = self._human, None
            human.close()

    # --- the reset and the step, as named parts: a subclass overrides these, never reset or step --
    def _start(self, state: LaunchpadState) -> None:
        """Begin an episode at ``state``: its bar, distances, observation and score."""
        self.state = state
        self.words = state.words()
        self._tracker.reset(self.words)
        self._obs[:] = self._full_observation().reshape(-1)
        self.last_action = None
        self._steps = 0
        self._score()

    def _checked_action(self, action: object) -> int:
        # type() and not isinstance: a bool is an int to Python, but True is no button.
        if (type(action) is int or isinstance(action, np.integer)) and 0 <= action < self._n_actions:
            return int(action)
        return self.launchpad.check_action(action)

    def _press(self, action: int) -> None:
        row = self.state.apply(action)
        self.last_action = action
        if row >= 0:
            mask, offset = self.state.masks[row], self.state.offsets[row]
            word = self._row_table[mask, offset]
            self.words[row] = word
            self._tracker.update(row, word)
            self._obs[self._obs_positions[row]] = self._obs_values[mask, offset]

    def _score(self) -> float:
        if self.reward_mode == "nearest":
            self._distance, self._nearest = self._tracker.nearest()
        else:
            self._distance, self._nearest = self._tracker.sampled(self.np_random, self.sample_size)
        return -float(self._distance)

    def _reward(self) -> float:
        """The step's reward, after the press: the score (a subclass adds its terms)."""
        return self._score()

    def _truncated(self) -> bool:
        """Whether the episode is cut off after this step (never: ``gym.make``'s time limit does it; a subclass
        whose steps are not its time unit says so here)."""
        return False

    def _observation(self) -> np.ndarray:
        # A copy: callers keep observations (replay buffers), and the next step edits self._obs in place.
        return self._obs.reshape(self._obs_shape).copy()

    def _full_observation(self) -> np.ndarray:
        return observe(self.launchpad, self.obs_mode, self.state.masks, self.state.offsets, self.words)

    def _info(self) -> dict[str, Any]:
        if self._nearest != self._source_bar:  # the nearest bar seldom changes; its provenance is a lookup
            self._source_bar, self._source = self._nearest, self.corpus.source_of(self._nearest)
        return info(self._distance, self._nearest, self._source, self.ceiling.distance,
                    self.state.index if self._indexed else None)

    # --- for tools: simulate without stepping ------------------------------------------------
    def distances_after_each_action(self) -> np.ndarray:
        """The ``"nearest"`` distance the bar would have after each action, leaving the env untouched.

        One-step lookahead for baselines and planners: ``(n_actions,)`` int64
        (:func:`gym_launchpad.reward.lookahead_distances`).
        """
        tracker = self._tracker
        return lookahead_distances(self.launchpad, tracker.columns, tracker.distances, self.state.masks,
                                   self.state.offsets)

