"""Start states a launchpad agent must recover from: the env's own draws, corpus bars knocked by a person's
random presses, and triads in every key.

One :class:`StartFamily` a kind of start; :meth:`StartFamily.state` draws one from a generator. The composer's
training draws its starts from them (:mod:`agents.imitation.composer`), and ``python -m agents jam``
(:mod:`agents.eval.jam`) plays an agent from them on seeds apart from every training seed
(:data:`TRAINING_SEEDS`, :data:`HELD_OUT_SEEDS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gym_launchpad.envs.pipeline import TRIAD_INTERVALS, initial_state
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.reward import best_row_fits

#: Where the seeds of every start of the composer's training come from (``rng.integers(*TRAINING_SEEDS)``);
#: the dj agent trains from 10,000 up, evaluation (``evaluate``, ``compare``) plays seeds 0-19.
TRAINING_SEEDS = (1_000_000, 2**31)
#: ``python -m agents jam`` plays family ``f``'s start ``i`` from seed ``HELD_OUT_SEEDS + 10_000 * f + i``:
#: 500,000 to 599,999, apart from all of the above.
HELD_OUT_SEEDS = 500_000

#: The minor triad's intervals (the env's reset draws major ones, :data:`TRIAD_INTERVALS`).
MINOR_TRIAD_INTERVALS = (0, 3, 7)
#: Pitch-class names, C = 0.
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: The scales a key's notes are judged against: major, and harmonic minor (the chorales' minor: a raised 7th).
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)
#: The 24 keys: 0-11 major on C..B, 12-23 minor on C..B.
N_KEYS = 24


def key_name(key: int) -> str:
    return f"{PITCH_NAMES[key % 12]} {'minor' if key >= 12 else 'major'}"


def key_scale(key: int) -> np.ndarray:
    """The 12 pitch classes as booleans: in key ``key``'s scale (major, or harmonic minor)."""
    inside = np.zeros(12, dtype=bool)
    inside[(key % 12 + np.array(HARMONIC_MINOR_SCALE if key >= 12 else MAJOR_SCALE)) % 12] = True
    return inside


def triad_in_key(spec, key: int, rng: np.random.Generator) -> LaunchpadState:
    """A triad in ``key`` built as the env's reset builds one (each of root, third and fifth one random pattern at
    a random offset), rooted on a row of the key's tonic drawn from those where the fifth fits."""
    intervals = np.array(MINOR_TRIAD_INTERVALS if key >= 12 else TRIAD_INTERVALS)
    roots = [n for n in range(spec.n_notes - intervals[-1]) if spec.pitches[n] % 12 == key % 12]
    if not roots:
        raise ValueError(f"a launchpad of {spec.n_notes} rows holds no triad of {key_name(key)}")
    rows = int(rng.choice(roots)) + intervals
    state = LaunchpadState.empty(spec)
    state.masks[rows] = 1 << rng.integers(0, spec.n_patterns, size=len(rows))
    state.offsets[rows] = rng.integers(0, spec.steps, size=len(rows))
    return state


def fitted_state(corpus, bar: int) -> LaunchpadState:
    """The launchpad state that plays the nearest rows to corpus bar ``bar``."""
    _, masks, offsets = best_row_fits(corpus.spec, corpus.bars[bar])
    return LaunchpadState(corpus.spec, masks.astype(np.int64), offsets.astype(np.int64))


def knock(state: LaunchpadState, presses: int, rng: np.random.Generator) -> LaunchpadState:
    """``state`` after ``presses`` uniformly random presses (any of the actions, the no-op included)."""
    state = state.copy()
    for action in rng.integers(state.spec.n_actions, size=presses):
        state.apply(int(action))
    return state


@dataclass(frozen=True)
class StartFamily:
    """A kind of start: an ``init`` the env draws (``"triad"``, ``"random"``, ``"empty"``), or a bar of the corpus
    (``base="corpus"``, any bar) or of its ceiling (``base="ceiling"``) played by its nearest rows, or a triad
    in a key (``base="key"``); then ``presses`` random presses (``max_presses``: a number drawn from
    ``presses`` to ``max_presses``)."""

    name: str
    init: str | None = None
    base: str | None = None
    presses: int = 0
    max_presses: int | None = None

    def state(self, corpus, rng: np.random.Generator, ceiling: np.ndarray, key: int | None = None) -> LaunchpadState:
        """A start drawn from ``rng``; ``ceiling`` holds the ceiling's bar indices
        (:func:`agents.planners.navigator.ceiling_bars`), ``key`` the key of a ``"key"`` start (None: drawn)."""
        spec = corpus.spec
        if self.init is not None:
            state = initial_state(spec, self.init, rng)
        elif self.base == "corpus":
            state = fitted_state(corpus, int(rng.integers(len(corpus.bars))))
        elif self.base == "ceiling":
            state = fitted_state(corpus, int(ceiling[rng.integers(len(ceiling))]))
        elif self.base == "key":
            state = triad_in_key(spec, int(rng.integers(N_KEYS)) if key is None else key, rng)
        else:
            raise ValueError(f"start family {self.name} has neither an init nor a base")
        presses = self.presses if self.max_presses is None else int(rng.integers(self.presses, self.max_presses + 1))
        return knock(state, presses, rng) if presses else state


#: The families ``python -m agents jam`` plays, by name.
FAMILIES = {family.name: family for family in (
    StartFamily("triad", init="triad"),
    StartFamily("random launchpad", init="random"),
    StartFamily("corpus bar + 20 presses", base="corpus", presses=20),
    StartFamily("corpus bar + 50 presses", base="corpus", presses=50),
    StartFamily("ceiling bar + 5 presses", base="ceiling", presses=5),
    StartFamily("empty launchpad", init="empty"),
    StartFamily("triads in 24 keys", base="key"),
)}


#: A person's random presses during a song from a triad, as the jam plays them: a random press instead of the
#: agent's on this fraction of bars, and how the song is judged ("ends": at 0 at its end, with no random press in
#: the last stretch; "last half": its mean distance over the last half).
SCHEDULES = ((0.05, "ends"), (0.20, "last half"))


def held_out_seed(family_index: int, start: int) -> int:
    """The seed of start ``start`` of the ``family_index``-th family (:data:`FAMILIES` order) that ``python -m agents
    jam`` and the explorer's ablation play: ``HELD_OUT_SEEDS + 10_000 * family_index + start``."""
    return HELD_OUT_SEEDS + 10_000 * family_index + start
