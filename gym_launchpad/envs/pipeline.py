"""What the single env and the vector env share: their arguments, the reset options, the start states, the info.

:class:`~gym_launchpad.envs.LaunchpadEnv` steps one state and
:class:`~gym_launchpad.envs.LaunchpadVectorEnv` arrays of them, each in its own fastest form; both check
their arguments with :func:`check_arguments`, read ``reset(options=...)`` with :func:`start_state`,
press through :mod:`gym_launchpad.launchpad`, score through :mod:`gym_launchpad.reward` and name the info
keys of :data:`INFO_KEYS` with :func:`info` and :func:`infos`, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from gym_launchpad.corpus import Corpus, resolve_corpus
from gym_launchpad.corpus.keys import in_all_keys
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.observation import OBS_MODES
from gym_launchpad.reward import REWARD_MODES, Ceiling, best_reachable_distance

#: What an env's ``corpus=`` takes: None (the shipped corpus), a path to a ``.npz``, a Corpus, or bars as an
#: array (binary rolls ``(K, N, 2**B)`` or words ``(K, N)``).
CorpusArgument: TypeAlias = Corpus | str | os.PathLike | ArrayLike | None
INIT_MODES = ("triad", "empty", "random")
RENDER_MODES = ("ansi", "rgb_array")
#: The single env's render modes: a person watching and hearing it too (:mod:`gym_launchpad.envs.human`).
SINGLE_RENDER_MODES = (*RENDER_MODES, "human")
#: Gymnasium's ``metadata`` of both envs (the vector env adds its ``autoreset_mode``, the single env "human").
#: ``render_fps`` is bars a second: a step is one bar, 0.5 plays it at 120 BPM.
METADATA = {"render_modes": list(RENDER_MODES), "render_fps": 0.5}
RESET_OPTIONS = ("state", "init")

#: A major triad spans a root, its major third (+4) and its fifth (+7).
TRIAD_INTERVALS = (0, 4, 7)

#: info carries ``state_index`` (:attr:`LaunchpadState.index`) when the state space is at most this big.
MAX_INDEXED_STATES = 2**16

#: The keys of every step's info; ``state_index`` joins them for launchpads of at most MAX_INDEXED_STATES.
INFO_KEYS = ("distance", "nearest_bar", "nearest_source", "nearest_bar_number", "best_distance")


@dataclass(frozen=True)
class Arguments:
    """An env's arguments, checked, with the corpus resolved and its ceiling computed."""

    launchpad: LaunchpadSpec
    corpus: Corpus
    ceiling: Ceiling
    reward_mode: str
    sample_size: int
    obs_mode: str
    init: str
    render_mode: str | None

    @property
    def indexed(self) -> bool:
        """Whether info carries ``state_index``: tabular learners need a state id, and only small
        launchpads have one worth a table row."""
        return self.launchpad.n_states <= MAX_INDEXED_STATES


def check_arguments(corpus, reward_mode, sample_size, obs_mode, init, n_notes, bar_bits, low_note,
                    render_mode, render_modes=RENDER_MODES, all_keys=False) -> Arguments:
    """:class:`LaunchpadEnv`'s arguments checked (a ValueError names the first wrong one) and resolved;
    ``render_modes`` are those the env can do; ``all_keys`` puts the corpus in all 12 keys
    (:func:`gym_launchpad.corpus.keys.in_all_keys`)."""
    spec = LaunchpadSpec(n_notes, bar_bits, low_note)
    check_choice("reward_mode", reward_mode, REWARD_MODES)
    check_choice("obs_mode", obs_mode, OBS_MODES)
    check_choice("init", init, INIT_MODES)
    check_choice("render_mode", render_mode, (None, *render_modes))
    if init == "triad" and spec.n_notes < 8:
        raise ValueError(f"init='triad' needs at least 8 pitch rows, the env has {spec.n_notes}: "
                         "use init='empty' or init='random'")
    if not isinstance(sample_size, (int, np.integer)) or sample_size < 1:
        raise ValueError(f"sample_size must be a positive int, got {sample_size!r}")
    if not isinstance(all_keys, (bool, np.bool_)):
        raise ValueError(f"all_keys must be True (the corpus in all 12 keys) or False (as built), got {all_keys!r}")
    if all_keys and spec.n_notes < 12:
        raise ValueError(f"all_keys=True needs at least 12 pitch rows (an octave), the env has {spec.n_notes}")
    corpus = corpus_argument(corpus, spec)
    if all_keys:
        corpus = in_all_keys(corpus)
    return Arguments(spec, corpus, best_reachable_distance(corpus, spec), reward_mode, int(sample_size),
                     obs_mode, init, render_mode)


def corpus_argument(corpus: object, spec: LaunchpadSpec) -> Corpus:
    """The env's ``corpus``, resolved: None (the shipped corpus), a path to a corpus ``.npz`` (``str`` or
    ``os.PathLike``), a :class:`Corpus`, or bars as an ``(M, n_notes)`` array of uint64 words or an
    ``(M, n_notes, steps)`` binary roll; anything else is one ValueError that says what is allowed."""
    if corpus is None or isinstance(corpus, (Corpus, str, os.PathLike)):
        return resolve_corpus(corpus, spec)
    allowed = (f"None (the shipped corpus), a path to a corpus .npz, a Corpus, or bars as an (M, {spec.n_notes}) "
               f"array of uint64 words or an (M, {spec.n_notes}, {spec.steps}) array of 0/1")
    try:
        bars = None if isinstance(corpus, (bytes, bytearray, memoryview)) else np.asarray(corpus)
    except (TypeError, ValueError):  # a ragged list
        bars = None
    shapes = {2: (spec.n_notes,), 3: (spec.n_notes, spec.steps)}
    if bars is None or bars.dtype.kind not in "biu" or shapes.get(bars.ndim) != bars.shape[1:] \
            or (bars.dtype.kind == "i" and (bars < 0).any()) or (bars.ndim == 3 and (bars > 1).any()):
        got = f"an array of {corpus.dtype} of shape {corpus.shape}" if isinstance(corpus, np.ndarray) else \
            f"{type(corpus).__name__} {corpus!r:.60}"
        raise ValueError(f"corpus must be {allowed}; got {got}")
    return Corpus.from_bars(spec, bars, metadata={"builder": "LaunchpadEnv(corpus=array)"})


def check_choice(name: str, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {name}={value!r}; choose one of {', '.join(map(repr, choices))}")


# --- reset ---------------------------------------------------------------------------------------
def reset_options(options: object, also_known: tuple[str, ...] = ()) -> dict:
    """``reset(options=...)`` as a dict of its own (None: no options); anything but a mapping is one ValueError
    naming the keys :data:`RESET_OPTIONS` and ``also_known``."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        known = ", ".join(map(repr, (*RESET_OPTIONS, *also_known)))
        raise ValueError(f"reset options must be a dict (keys: {known}) or None, got {type(options).__name__} "
                         f"{options!r:.60}")
    return dict(options)


def check_reset_options(options: dict, also_known: tuple[str, ...] = ()):
    """Refuse options other than :data:`RESET_OPTIONS` (and ``also_known``, which the caller took out)."""
    unknown = set(options) - set(RESET_OPTIONS)
    if unknown:
        known = ", ".join(map(repr, (*RESET_OPTIONS, *also_known)))
        raise ValueError(f"unknown reset option(s) {sorted(unknown)}; known: {known}")


def start_state(spec: LaunchpadSpec, options: dict, init: str, rng: np.random.Generator) -> LaunchpadState:
    """The state an episode starts from: ``options["state"]``, else one drawn from ``rng`` by
    ``options["init"]`` or the env's ``init``."""
    if "state" in options:
        return coerce_state(spec, options["state"])
    init = options.get("init", init)
    check_choice("init", init, INIT_MODES)
    return initial_state(spec, init, rng)


def initial_state(spec: LaunchpadSpec, init: str, rng: np.random.Generator) -> LaunchpadState:
    """A start state drawn from ``rng`` (see the env's *Starting State*)."""
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


def coerce_state(spec: LaunchpadSpec, value) -> LaunchpadState:
    """``options["state"]`` as a checked :class:`LaunchpadState` of ``spec`` (a copy)."""
    if isinstance(value, LaunchpadState):
        if value.spec != spec:
            raise ValueError(f"the state is for {value.spec}, the env is {spec}")
        return value.copy()  # a new LaunchpadState: checked again, in case its arrays were changed since
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


# --- info ----------------------------------------------------------------------------------------
def info(distance: int, nearest: int, source: tuple[str, int], best_distance: int, state_index: int | None) -> dict:
    """One env's info: :data:`INFO_KEYS`, then ``state_index`` when given.

    ``source`` is ``corpus.source_of(nearest)``, which the single env looks up only when the nearest bar
    changes; ``best_distance`` is the ceiling's distance.
    """
    # A literal rather than a zip over INFO_KEYS: this runs on every single-env step (tests check the keys).
    source_file, bar_number = source
    values = {"distance": distance, "nearest_bar": nearest, "nearest_source": source_file,
              "nearest_bar_number": bar_number, "best_distance": best_distance}
    if state_index is not None:
        values["state_index"] = state_index
    return values


def infos(distance: np.ndarray, nearest: np.ndarray, sources: np.ndarray, bar_numbers: np.ndarray,
          best_distance: np.ndarray, state_index: np.ndarray | None, present: np.ndarray | None) -> dict:
    """:func:`info` of every env as arrays with ``_key`` masks (as ``SyncVectorEnv`` builds): each value
    set where ``present`` (None: every env), zero (or None for sources) elsewhere.

    ``sources`` and ``bar_numbers`` are the provenance of each env's ``nearest`` bar, ``best_distance`` the
    ceiling's distance for each env. The arrays handed out are copies (``sources`` and ``bar_numbers``
    are taken as given: the vector env makes them new each step).
    """
    if present is None:  # every step: a literal, each array copied once
        everyone = np.ones(len(distance), dtype=bool)
        result = {"distance": distance.copy(), "_distance": everyone, "nearest_bar": nearest.copy(),
                  "_nearest_bar": everyone.copy(), "nearest_source": sources, "_nearest_source": everyone.copy(),
                  "nearest_bar_number": bar_numbers, "_nearest_bar_number": everyone.copy(),
                  "best_distance": best_distance.copy(), "_best_distance": everyone.copy()}
        if state_index is not None:
            result["state_index"], result["_state_index"] = state_index, everyone.copy()
        return result
    columns = (distance, nearest, sources, bar_numbers, best_distance)
    values = dict(zip(INFO_KEYS, columns, strict=True))
    if state_index is not None:
        values["state_index"] = state_index
    result = {}
    for key, value in values.items():
        value = np.where(present, value, np.array(None) if value.dtype == object else 0)
        result[key], result[f"_{key}"] = value, present.copy()
    return result
