"""``E`` launchpads stepped as arrays: the ``vector_entry_point`` of every registered id.

``gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=64)`` returns :class:`LaunchpadVectorEnv`. It is the
same environment as ``E`` copies of :class:`~gym_launchpad.envs.LaunchpadEnv` behind a ``TimeLimit`` in a
``gymnasium.vector.SyncVectorEnv``, seeded alike (env ``i`` gets ``seed + i``): the same observations,
rewards, terminations, truncations and infos, but one array operation per part of the step for all envs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import ArrayLike

from gym_launchpad import render
from gym_launchpad.envs.pipeline import (
    METADATA,
    CorpusArgument,
    check_arguments,
    check_reset_options,
    infos,
    reset_options,
    start_state,
)
from gym_launchpad.launchpad import NOOP, LaunchpadState, press_rows, state_indices
from gym_launchpad.observation import observation_space, observation_table, observe
from gym_launchpad.reward import DEFAULT_SAMPLE_SIZE, BatchDistanceTracker, lookahead_distances


class LaunchpadVectorEnv(VectorEnv):
    """``num_envs`` :class:`~gym_launchpad.envs.LaunchpadEnv` s whose step is a handful of array operations.

    The arguments are those of :class:`~gym_launchpad.envs.LaunchpadEnv`, plus ``num_envs``,
    ``max_episode_steps`` (the ``TimeLimit`` of ``gym.make``; ``make_vec`` passes the registered one)
    and ``autoreset_mode`` (Gymnasium's :class:`~gymnasium.vector.AutoresetMode`, ``NEXT_STEP`` by default,
    as ``SyncVectorEnv``).

    Per env it keeps the toggles as pattern masks ``(E, N)``, the offsets ``(E, N)``, the bar words and
    the distance to every corpus bar ``(E, K)`` (:class:`~gym_launchpad.reward.BatchDistanceTracker`), and
    its observation. A step's press is one compiled call for all envs (``_numba_kernels.press``): each
    env's button, its changed row, its changed row of the observation from a table, its last action and
    elapsed steps, then its distances from a pass or two over rows of ``pattern_counts`` (a byte a corpus
    bar for each pattern the press moves; the 16-bit planes of the row's corpus column for a corpus too big
    for them), and its nearest bar (numpy does the same in a few array operations where numba is missing).
    A press of many envs may run on numba's threads when that has been faster
    (``_numba_kernels.AdaptivePress``; ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads`` bound them). The
    info takes each env's nearest bar's source and bar number from per-bar arrays. Only random draws loop
    over envs in Python: each env owns a generator, as a single env owns ``np_random``, so it draws exactly
    what that env would (at a reset, and on each step in ``reward_mode="sampled"``).

    ``render()`` draws env 0. ``infos`` are dicts of arrays with ``_key`` masks, as ``SyncVectorEnv`` builds.
    """

    metadata = {**METADATA, "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        corpus: CorpusArgument = None,
        reward_mode: str = "nearest",
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        obs_mode: str = "toggles",
        init: str = "triad",
        n_notes: int = 24,
        bar_bits: int = 6,
        low_note: int = 47,
        render_mode: str | None = None,
        max_episode_steps: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        all_keys: bool = False,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        if max_episode_steps is not None and (not isinstance(max_episode_steps, (int, np.integer))
                                              or max_episode_steps < 1):
            raise ValueError(f"max_episode_steps must be a positive int or None, got {max_episode_steps!r}")
        args = check_arguments(corpus, reward_mode, sample_size, obs_mode, init, n_notes, bar_bits, low_note,
                               render_mode, all_keys=all_keys)
        self.launchpad = spec = args.launchpad
        self.corpus, self.ceiling = args.corpus, args.ceiling
        self.reward_mode, self.sample_size = reward_mode, args.sample_size
        self.obs_mode, self.init, self.render_mode = obs_mode, init, render_mode
        self.max_episode_steps = max_episode_steps
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}

        self.num_envs = e = int(num_envs)
        self.single_action_space = spaces.Discrete(spec.n_actions)
        self.action_space = batch_space(self.single_action_space, e)
        self.single_observation_space = observation_space(spec, obs_mode)
        self.observation_space = batch_space(self.single_observation_space, e)

        self.masks = np.zeros((e, spec.n_notes), dtype=np.int64)
        self.offsets = np.zeros((e, spec.n_notes), dtype=np.int64)
        self._tracker = tracker = BatchDistanceTracker(self.corpus, e)
        self._obs_positions, self._obs_values = observation_table(spec, obs_mode)
        self._obs = np.zeros((e, self._obs_positions.size), dtype=np.int8)
        # "sampled" over at least the whole corpus is the nearest bar (as DistanceTracker.sampled decides).
        self._sampling = reward_mode == "sampled" and self.sample_size < tracker.cumulative_counts[-1]
        if self._sampling:
            self._distance = np.zeros(e, dtype=np.int64)
            self._nearest = np.zeros(e, dtype=np.int64)
        else:  # the kernel keeps each env's nearest bar up to date in place: nothing to copy per step
            self._distance, self._nearest = tracker.mins, tracker.argmins
        self._elapsed = np.zeros(e, dtype=np.int64)
        self._limit = max_episode_steps or 0  # as the compiled press takes it: 0 is no limit
        self._last_action = np.full(e, -1, dtype=np.int64)
        self._autoreset = np.zeros(e, dtype=bool)
        self._any_autoreset = False  # self._autoreset.any(), kept so that a step need not ask
        self._rngs: list[np.random.Generator | None] = [None] * e
        self._rng_seeds: list[int | None] = [None] * e
        self._ready = False
        self._all = np.arange(e)
        self._indexed = args.indexed
        # The info's provenance of every corpus bar: its file (one str object per file, shared by its bars)
        # and its bar number, so that a step's info takes each env's in one array operation.
        self._bar_sources = self.corpus.sources.astype(object)[self.corpus.source_index]
        self._bar_numbers = self.corpus.bar_number.astype(np.int64)
        self._best_distances = np.full(e, self.ceiling.distance, dtype=np.int64)
        self._n_actions = spec.n_actions
        self._batch_obs = self._obs.reshape(self.observation_space.shape)  # a view: the observation handed out
        # Whether a press finds each env's nearest bar (in the same pass): "sampled" mode draws its own.
        self._track_nearest = not self._sampling
        # The compiled press's arguments after (actions, envs): all arrays it updates in place, or tables.
        self._compiled_press = tracker.kernel.press
        if self._compiled_press is not None:
            pattern_counts = tracker.kernel.pattern_counts(tracker.columns, spec.row_table)
            self._press_arguments = (spec.action_kind, spec.action_note, spec.action_arg, spec.steps, spec.row_table,
                                     self.masks, self.offsets, tracker.words, tracker.kernel_columns, pattern_counts,
                                     tracker.distances, self._track_nearest, tracker.mins, tracker.argmins,
                                     self._obs, self._obs_positions, self._obs_values, self._last_action,
                                     self._elapsed, self._limit)

    # --- the Gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every env (``seed``: None, an int (env ``i`` gets ``seed + i``) or one seed per env).

        ``options`` are the single env's (``state``, ``init``), given to every env reset, plus
        ``reset_mask``: a ``(num_envs,)`` bool array of the envs to reset (the others keep going).
        """
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, (int, np.integer)):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset(seed=...) as a list needs num_envs={self.num_envs} seeds, got {len(seeds)}")
        options = reset_options(options, also_known=("reset_mask",))
        envs = self._all
        if "reset_mask" in options:
            mask = options.pop("reset_mask")
            if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
                raise ValueError(f"options['reset_mask'] must be a bool numpy array of shape ({self.num_envs},), "
                                 f"got {mask!r}")
            if not mask.any():
                raise ValueError("options['reset_mask'] must select at least one env")
            envs = np.flatnonzero(mask)
        for e in envs:
            if seeds[e] is not None or self._rngs[e] is None:
                self._rngs[e], self._rng_seeds[e] = seeding.np_random(seeds[e])
        self._reset_envs(envs, options)
        self._autoreset[envs] = False
        self._any_autoreset = bool(self._autoreset.any())
        self._ready = True
        return self._observation(), self._infos(None if envs is self._all else _mask(envs, self.num_envs))

    def step(self, actions: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._ready:
            raise RuntimeError("LaunchpadVectorEnv.step() before reset(): call reset() first")
        # With an autoreset due, the actions are checked before it; else the compiled press checks them.
        buttons = self._checked_actions(actions, in_range=self._any_autoreset or self._compiled_press is None)
        stepping = self._reset_ended()
        if stepping is not self._all:
            buttons = buttons[stepping]
        at_limit = self._press(stepping, buttons)
        if self._sampling:
            self._score(stepping)
        rewards = np.negative(self._distance, dtype=np.float64)
        terminations = np.zeros(self.num_envs, dtype=bool)  # the task has no terminal state: only truncations end
        # An env reset at the start of this step has elapsed 0, never at a positive limit.
        truncations = self._elapsed >= self._limit if at_limit else np.zeros(self.num_envs, dtype=bool)
        if stepping is not self._all:
            rewards[self._autoreset] = 0.0
        infos: dict[str, Any] = {}
        if at_limit and self.autoreset_mode == AutoresetMode.SAME_STEP:
            ended = truncations
            infos["final_obs"] = np.full(self.num_envs, None, dtype=object)
            final_obs = self._observation()
            for e in np.flatnonzero(ended):
                infos["final_obs"][e] = final_obs[e]
            infos["_final_obs"] = ended.copy()
            infos["final_info"] = self._infos(ended)
            infos["_final_info"] = ended.copy()
            self._reset_envs(np.flatnonzero(ended), {})
        infos.update(self._infos())
        if at_limit:
            self._autoreset = truncations.copy()
        elif self._any_autoreset:
            self._autoreset[:] = False
        self._any_autoreset = bool(at_limit)
        return self._observation(), rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:  # type: ignore[override]
        """The picture of env 0 (``render_mode`` "ansi" or "rgb_array"), or None."""
        if self.render_mode is None:
            return None
        state = LaunchpadState(self.launchpad, self.masks[0].copy(), self.offsets[0].copy())
        last = int(self._last_action[0]) if self._last_action[0] >= 0 else None
        if self.render_mode == "ansi":
            return render.ansi(state, last, int(self._distance[0]))
        return render.rgb_array(state, last)

    @property
    def np_random_seed(self) -> tuple[int | None, ...]:  # type: ignore[override]  # one seed an env, as SyncVectorEnv's
        """The seed of each env's generator, as ``SyncVectorEnv.np_random_seed``."""
        return tuple(self._rng_seeds)

    @property
    def states(self) -> list[LaunchpadState]:
        """Each env's state, as copies."""
        pairs = zip(self.masks, self.offsets, strict=True)
        return [LaunchpadState(self.launchpad, masks.copy(), offsets.copy()) for masks, offsets in pairs]

    @property
    def kernel(self) -> str:
        """The distance kernel that runs: "numba" (compiled, the default) or "numpy" (where numba is missing,
        or ``GYM_LAUNCHPAD_KERNEL=numpy``)."""
        return self._tracker.kernel.name

    @property
    def words(self) -> np.ndarray:
        """``(E, N)`` uint64: the bar each env plays."""
        return self._tracker.words

    # --- for tools: simulate without stepping ------------------------------------------------
    def distances_after_each_action(self) -> np.ndarray:
        """The ``"nearest"`` distance each env's bar would have after each action, leaving the envs untouched.

        :meth:`LaunchpadEnv.distances_after_each_action` of every env: ``(num_envs, n_actions)`` int64
        (:func:`gym_launchpad.reward.lookahead_distances`).
        """
        tracker = self._tracker
        return lookahead_distances(self.launchpad, tracker.columns, tracker.distances, self.masks, self.offsets)

    # --- the step, as named parts ------------------------------------------------------------
    def _checked_actions(self, actions: ArrayLike, in_range: bool = True) -> np.ndarray:
        """``actions`` as a contiguous int64 array, each a button (checked here with ``in_range``; without,
        the compiled press checks the range before it changes anything)."""
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise ValueError(f"step() needs one action per env, shape ({self.num_envs},); got shape {actions.shape}")
        if actions.dtype == np.int64 and actions.flags.c_contiguous:
            # One comparison: viewed unsigned, a negative int64 is past every action.
            if not in_range or actions.view(np.uint64).max() < self._n_actions:
                return actions
        if not np.issubdtype(actions.dtype, np.integer):  # bools included: True is no button
            raise ValueError(f"step() needs integer actions in 0..{self._n_actions - 1}, got {actions!r}")
        if actions.min() < 0 or actions.max() >= self._n_actions:
            self._refuse(actions)
        return np.ascontiguousarray(actions, dtype=np.int64)

    def _refuse(self, actions: np.ndarray) -> None:
        """The single env's error for the first action that is no button."""
        bad = actions[(actions < 0) | (actions >= self._n_actions)][0]
        self.launchpad.check_action(bad)

    def _reset_ended(self) -> np.ndarray:
        """The envs this step moves: all, but with ``NEXT_STEP`` an env that ended last step is reset now
        and its action ignored (as ``SyncVectorEnv``)."""
        if not self._any_autoreset:
            return self._all
        ended = np.flatnonzero(self._autoreset)
        if self.autoreset_mode == AutoresetMode.DISABLED:
            raise RuntimeError(f"envs {ended.tolist()} ended; with autoreset_mode=DISABLED reset them with "
                               "reset(options={'reset_mask': ...}) before stepping")
        if self.autoreset_mode == AutoresetMode.SAME_STEP:  # reset in the step that ended them
            return self._all
        self._reset_envs(ended, {})
        return np.flatnonzero(~self._autoreset)

    def _press(self, envs: np.ndarray, actions: np.ndarray) -> int:
        """Every env in ``envs`` presses its button: its row, bar, distances, nearest bar, observation, last
        action and elapsed steps. Returns how many envs reached the step limit."""
        if self._compiled_press is not None:
            at_limit = self._compiled_press(actions, envs, *self._press_arguments)
            if at_limit < 0:  # actions[-1 - at_limit] is no button; nothing was changed
                self._refuse(actions)
            return at_limit
        self._last_action[envs] = actions
        self._elapsed[envs] += 1
        spec = self.launchpad
        changed = spec.action_kind[actions] != NOOP
        e, actions = envs[changed], actions[changed]
        n = spec.action_note[actions]
        mask, offset = press_rows(spec, actions, self.masks[e, n], self.offsets[e, n])
        self.masks[e, n], self.offsets[e, n] = mask, offset
        self._tracker.update(e, n, spec.row_table[mask, offset], nearest=self._track_nearest)
        self._obs[e[:, None], self._obs_positions[n]] = self._obs_values[mask, offset]
        return int(np.count_nonzero(self._elapsed[envs] >= self._limit)) if self._limit else 0

    def _reset_envs(self, envs: np.ndarray, options: dict[str, Any]) -> None:
        """Start a new episode in each env of ``envs``, drawing its start state from its own generator."""
        check_reset_options(options, also_known=("reset_mask",))
        for e in envs:
            state = start_state(self.launchpad, options, self.init, self._rngs[e])
            self.masks[e], self.offsets[e] = state.masks, state.offsets
        words = self.launchpad.row_table[self.masks[envs], self.offsets[envs]]
        self._tracker.reset(envs, words)
        observation = observe(self.launchpad, self.obs_mode, self.masks[envs], self.offsets[envs], words)
        self._obs[envs] = observation.reshape(len(envs), -1)
        self._elapsed[envs] = 0
        self._last_action[envs] = -1
        if self._sampling:
            self._score(envs)

    def _score(self, envs: np.ndarray) -> None:
        """``"sampled"`` mode: each env in ``envs`` draws its bars (the nearest is kept by the press)."""
        distance, nearest = self._tracker.sampled(envs, [self._rngs[e] for e in envs], self.sample_size)
        self._distance[envs], self._nearest[envs] = distance, nearest

    def _observation(self) -> np.ndarray:
        return self._batch_obs.copy()

    def _infos(self, present: np.ndarray | None = None) -> dict:
        """The single env's info keys as arrays over envs, set where ``present`` (None: every env; zero or
        None elsewhere)."""
        nearest = self._nearest
        state_index = state_indices(self.launchpad, self.masks, self.offsets) if self._indexed else None
        # take() makes new arrays: the provenance of each env's nearest bar, as handed out.
        return infos(self._distance, nearest, self._bar_sources.take(nearest), self._bar_numbers.take(nearest),
                     self._best_distances, state_index, present)


def _mask(envs: np.ndarray, num_envs: int) -> np.ndarray:
    mask = np.zeros(num_envs, dtype=bool)
    mask[envs] = True
    return mask
