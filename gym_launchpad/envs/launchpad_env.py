from __future__ import annotations

import functools

import numpy as np
from gymnasium import Env, spaces

from gym_launchpad.corpus import Corpus, resolve_corpus
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.reward import (
    DEFAULT_SAMPLE_SIZE,
    REWARD_MODES,
    DistanceTracker,
    best_reachable_distance,
)

OBS_MODES = ("toggles", "roll", "onehot")
INIT_MODES = ("triad", "empty", "random")

#: A major triad spans a root, its major third (+4) and its fifth (+7).
TRIAD_INTERVALS = (0, 4, 7)

#: info carries ``state_index`` (:attr:`LaunchpadState.index`) when the state space is at most this big.
MAX_INDEXED_STATES = 2**16


class LaunchpadEnv(Env):
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
             obs_mode="toggles", init="triad", n_notes=24, bar_bits=6, low_note=47, render_mode=None)
    ```
    `corpus` is None (the shipped Bach chorales), a path to a `.npz` built by `launchpad corpus build`,
    a `Corpus`, or an array of bars as binary rolls `(K, N, 2**B)`. Its spec must match the env's.

    ## Version History
    * v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        corpus: Corpus | str | None = None,
        reward_mode: str = "nearest",
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        obs_mode: str = "toggles",
        init: str = "triad",
        n_notes: int = 24,
        bar_bits: int = 6,
        low_note: int = 47,
        render_mode: str | None = None,
    ):
        self.launchpad = LaunchpadSpec(n_notes, bar_bits, low_note)
        spec = self.launchpad
        _check_choice("reward_mode", reward_mode, REWARD_MODES)
        _check_choice("obs_mode", obs_mode, OBS_MODES)
        _check_choice("init", init, INIT_MODES)
        _check_choice("render_mode", render_mode, (None, *self.metadata["render_modes"]))
        if init == "triad" and spec.n_notes < 8:
            raise ValueError(f"init='triad' needs at least 8 pitch rows, the env has {spec.n_notes}: "
                             "use init='empty' or init='random'")
        if not isinstance(sample_size, (int, np.integer)) or sample_size < 1:
            raise ValueError(f"sample_size must be a positive int, got {sample_size!r}")
        if corpus is not None and not isinstance(corpus, (Corpus, str)) and not hasattr(corpus, "__fspath__"):
            corpus = Corpus.from_bars(spec, np.asarray(corpus), metadata={"builder": "LaunchpadEnv(corpus=array)"})
        self.corpus = resolve_corpus(corpus, spec)
        self.reward_mode, self.sample_size, self.obs_mode, self.init = reward_mode, int(sample_size), obs_mode, init
        self.render_mode = render_mode

        self.action_space = spaces.Discrete(spec.n_actions)
        self.observation_space = _observation_space(spec, obs_mode)
        self.ceiling = best_reachable_distance(self.corpus, spec)
        self._tracker = DistanceTracker(self.corpus)
        self.state = LaunchpadState.empty(spec)
        self.words = self.state.words()
        self._obs_positions, self._obs_values = observation_table(spec, obs_mode)
        # The spec's computed properties, looked up once rather than on every step.
        self._n_actions, self._row_table = spec.n_actions, spec.row_table
        # Kept flat (a reshaped view would not survive pickling as a view) and shaped on the way out.
        self._obs = self._full_observation().reshape(-1)
        self.last_action: int | None = None
        self._distance, self._nearest = 0, 0
        self._source_bar, self._source = None, None
        # Whether info carries state_index: decided once here rather than on every step.
        self._indexed = spec.n_states <= MAX_INDEXED_STATES

    # --- the Gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"state", "init"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; known: 'state', 'init'")
        if "state" in options:
            self.state = _coerce_state(self.launchpad, options["state"])
        else:
            init = options.get("init", self.init)
            _check_choice("init", init, INIT_MODES)
            self.state = self._initial_state(init)
        self.words = self.state.words()
        self._tracker.reset(self.words)
        self._obs[:] = self._full_observation().reshape(-1)
        self.last_action = None
        self._score()
        return self._observation(), self._info()

    def step(self, action):
        action = self._checked_action(action)
        self._press(action)
        reward = self._score()
        return self._observation(), reward, False, False, self._info()

    def render(self):
        if self.render_mode is None:
            return None
        from gym_launchpad import render

        if self.render_mode == "ansi":
            return render.ansi(self.state, self.last_action, self._distance)
        return render.rgb_array(self.state, self.last_action)

    # --- the step, as named parts ------------------------------------------------------------
    def _checked_action(self, action) -> int:
        if isinstance(action, (int, np.integer)) and 0 <= action < self._n_actions:
            return int(action)
        return self.launchpad.check_action(action)

    def _press(self, action: int):
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

    def _observation(self) -> np.ndarray:
        # A copy: callers keep observations (replay buffers), and the next step edits self._obs in place.
        return self._obs.reshape(self.observation_space.shape).copy()

    def _full_observation(self) -> np.ndarray:
        return observe(self.launchpad, self.obs_mode, self.state.masks, self.state.offsets, self.words)

    def _info(self) -> dict:
        if self._nearest != self._source_bar:  # the nearest bar seldom changes; its provenance is a lookup
            self._source_bar, self._source = self._nearest, self.corpus.source_of(self._nearest)
        source, bar_number = self._source
        info = {
            "distance": self._distance,
            "nearest_bar": self._nearest,
            "nearest_source": source,
            "nearest_bar_number": bar_number,
            "best_distance": self.ceiling.distance,
        }
        # Tabular learners need a state id; only small launchpads have one worth a table row.
        if self._indexed:
            info["state_index"] = self.state.index
        return info

    def _initial_state(self, init: str) -> LaunchpadState:
        return initial_state(self.launchpad, init, self.np_random)

    # --- for tools: simulate without stepping ------------------------------------------------
    def distances_after_each_action(self) -> np.ndarray:
        """The ``"nearest"`` distance the bar would have after each action, leaving the env untouched.

        One-step lookahead for baselines and planners: ``(n_actions,)`` ints.
        """
        spec, state, tracker = self.launchpad, self.state, self._tracker
        result = np.empty(spec.n_actions, dtype=np.int64)
        kinds, notes, args = spec.action_kind, spec.action_note, spec.action_arg
        row_counts = tracker.row_counts  # computed on each access: once here, not once an action
        for a in range(spec.n_actions):
            if kinds[a] == 2:
                result[a] = tracker.distances.min()
                continue
            n = notes[a]
            mask, offset = state.masks[n], state.offsets[n]
            if kinds[a] == 0:
                mask = mask ^ args[a]
            else:
                offset = (offset + args[a]) % spec.steps
            new = np.bitwise_count(tracker.columns[n] ^ spec.row_table[mask, offset])
            result[a] = (tracker.distances - row_counts[n] + new).min()
        return result


def initial_state(spec: LaunchpadSpec, init: str, rng: np.random.Generator) -> LaunchpadState:
    """A start state drawn from ``rng`` (see *Starting State*); the vector env draws each env's with this too."""
    state = LaunchpadState.empty(spec)
    if init == "triad":
        root = rng.integers(0, spec.n_notes - TRIAD_INTERVALS[-1])
        rows = root + np.array(TRIAD_INTERVALS)
        state.masks[rows] = 1 << rng.integers(0, spec.n_patterns, size=len(rows))
        state.offsets[rows] = rng.integers(0, spec.steps, size=len(rows))
    elif init == "random":
        state.masks[:] = rng.integers(0, 1 << spec.n_patterns, size=spec.n_notes)
        state.offsets[:] = rng.integers(0, spec.steps, size=spec.n_notes)
    return state


@functools.cache
def observation_table(spec: LaunchpadSpec, obs_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Where each row lives in the flattened observation, and what it shows for every mask and offset.

    Returns ``positions`` ``(N, P)`` and ``values`` ``(2**(B+1), 2**B, P)`` int8 such that, after row ``n``
    changed to ``(mask, offset)``, ``obs.reshape(-1)[positions[n]] = values[mask, offset]`` is the new
    observation: an action changes one row, so a step writes ``P`` cells instead of observing anew. The
    values are :func:`observe` of a one-row launchpad, so the two cannot disagree.
    """
    one_row = LaunchpadSpec(1, spec.bar_bits, 0)
    masks, offsets = np.meshgrid(np.arange(1 << spec.n_patterns), np.arange(spec.steps), indexing="ij")
    masks, offsets = masks[..., None], offsets[..., None]
    values = observe(one_row, obs_mode, masks, offsets, spec.row_table[masks, offsets])
    values = np.ascontiguousarray(values.reshape(*masks.shape[:2], -1))
    size = values.shape[-1]
    n = np.arange(spec.n_notes)[:, None]
    if obs_mode == "toggles":  # all toggles row by row, then all offset bits row by row
        toggles = n * spec.n_patterns + np.arange(spec.n_patterns)
        offset_bits = spec.n_toggle_actions + n * spec.bar_bits + np.arange(spec.bar_bits)
        positions = np.concatenate([toggles, offset_bits], axis=1)
    else:  # one block of P cells per row
        positions = n * size + np.arange(size)
    for table in (positions, values):
        table.setflags(write=False)
    return positions, values


def observe(spec: LaunchpadSpec, obs_mode: str, masks, offsets, words) -> np.ndarray:
    """The observation of a state (or a batch of states: leading axes are kept)."""
    masks, offsets = np.asarray(masks), np.asarray(offsets)
    toggles = ((masks[..., None] >> np.arange(spec.n_patterns)) & 1).astype(np.int8)
    if obs_mode == "toggles":
        offset_bits = ((offsets[..., None] >> np.arange(spec.bar_bits)) & 1).astype(np.int8)
        lead = masks.shape[:-1]
        return np.concatenate([toggles.reshape(*lead, -1), offset_bits.reshape(*lead, -1)], axis=-1)
    if obs_mode == "roll":
        return spec.words_to_roll(words).astype(np.int8)
    onehot = (offsets[..., None] == np.arange(spec.steps)).astype(np.int8)
    return np.concatenate([toggles, onehot], axis=-1)


def _observation_space(spec: LaunchpadSpec, obs_mode: str) -> spaces.MultiBinary:
    if obs_mode == "toggles":
        return spaces.MultiBinary(spec.n_notes * (2 * spec.bar_bits + 1))
    if obs_mode == "roll":
        return spaces.MultiBinary((spec.n_notes, spec.steps))
    return spaces.MultiBinary((spec.n_notes, spec.n_patterns + spec.steps))


def _coerce_state(spec: LaunchpadSpec, value) -> LaunchpadState:
    if isinstance(value, LaunchpadState):
        if value.spec != spec:
            raise ValueError(f"the state is for {value.spec}, the env is {spec}")
        return value.copy()
    if isinstance(value, dict):
        missing = {"toggles", "offsets"} - set(value)
        if missing:
            raise ValueError("options['state'] as a dict needs keys 'toggles' and 'offsets'; "
                             f"missing {sorted(missing)}")
        return LaunchpadState.from_toggles(spec, value["toggles"], value["offsets"])
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return LaunchpadState.from_toggles(spec, *value)
    raise ValueError(
        "options['state'] must be a LaunchpadState, a dict with 'toggles' (N, B+1) and 'offsets' (N,), "
        f"or a (toggles, offsets) pair; got {type(value).__name__}"
    )


def _check_choice(name: str, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {name}={value!r}; choose one of {', '.join(map(repr, choices))}")
