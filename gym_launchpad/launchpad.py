"""The instrument: a launchpad of ``N`` pitch rows, each a set of beat patterns and an offset.

A row of the launchpad is ``B + 1`` binary basis patterns over a bar of ``2**B`` steps and an offset
in ``[0, 2**B)``. Pattern 0 is a single hit at step 0; pattern ``k`` (``k = 1..B``) has period
``p = 2**k`` and hits the steps ``t`` with ``t % p == p // 2``. The patterns partition the bar, so any
subset of them ORs to a binary row, which is then rotated right by the offset (``np.roll``).

A bar row is stored as one ``uint64`` word whose bit ``t`` is step ``t``; a whole bar is ``N`` words.
Every pitch row of every state is therefore one lookup in :attr:`LaunchpadSpec.row_table`, indexed by
the row's pattern mask and its offset.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

#: The largest bar for which a row still fits one ``uint64`` word.
MAX_BAR_BITS = 6

#: Action kinds, as stored in :attr:`LaunchpadSpec.action_kind`.
TOGGLE, OFFSET, NOOP = 0, 1, 2


@dataclass(frozen=True)
class LaunchpadSpec:
    """The shape of a launchpad: ``n_notes`` pitch rows from ``low_note`` up, bars of ``2**bar_bits`` steps.

    The spec is what a corpus is built for: two corpora or a corpus and an env are compatible exactly
    when their specs are equal.
    """

    n_notes: int = 24
    bar_bits: int = 6
    low_note: int = 47

    def __post_init__(self) -> None:
        for name, value in (("n_notes", self.n_notes), ("bar_bits", self.bar_bits), ("low_note", self.low_note)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"LaunchpadSpec.{name} must be an int, got {value!r}")
        if self.n_notes < 1:
            raise ValueError(f"LaunchpadSpec.n_notes must be >= 1, got {self.n_notes}")
        if not 1 <= self.bar_bits <= MAX_BAR_BITS:
            raise ValueError(
                f"LaunchpadSpec.bar_bits must be in 1..{MAX_BAR_BITS} (a bar row is one uint64 word), "
                f"got {self.bar_bits}"
            )
        if not 0 <= self.low_note or self.low_note + self.n_notes > 128:
            raise ValueError(
                f"pitches low_note..low_note+n_notes-1 must lie in MIDI 0..127, got low_note={self.low_note}, "
                f"n_notes={self.n_notes}"
            )

    # --- sizes -------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Steps per bar, ``2**B``."""
        return 1 << self.bar_bits

    @property
    def n_patterns(self) -> int:
        """Basis patterns per row, ``B + 1``."""
        return self.bar_bits + 1

    @property
    def n_toggle_actions(self) -> int:
        return self.n_notes * self.n_patterns

    @property
    def n_offset_actions(self) -> int:
        return self.n_notes * self.bar_bits

    @property
    def n_actions(self) -> int:
        """``N * (2B + 1) + 1``: toggles, offset increments, and the no-op."""
        return self.n_toggle_actions + self.n_offset_actions + 1

    @property
    def noop_action(self) -> int:
        return self.n_actions - 1

    @property
    def n_states(self) -> int:
        """``2**(N*(2B+1))``: the number of states, each with one :attr:`LaunchpadState.index`."""
        return 1 << (self.n_notes * (2 * self.bar_bits + 1))

    @property
    def pitches(self) -> np.ndarray:
        """MIDI pitch of each row."""
        return np.arange(self.low_note, self.low_note + self.n_notes)

    @property
    def row_mask(self) -> np.uint64:
        """The bits of a word that are steps of the bar."""
        return np.uint64((1 << self.steps) - 1)

    def as_dict(self) -> dict:
        return {"n_notes": self.n_notes, "bar_bits": self.bar_bits, "low_note": self.low_note}

    # --- tables: built once per spec (shared through the lru_caches) and kept on the instance, since the
    # env's step reads them on every press and re-hashing a frozen dataclass costs more than the lookup.
    @functools.cached_property
    def pattern_words(self) -> np.ndarray:
        """``(B+1,)`` uint64: the basis patterns as words, before any offset."""
        return _pattern_words(self.bar_bits)

    @functools.cached_property
    def row_table(self) -> np.ndarray:
        """``(2**(B+1), 2**B)`` uint64: the row word of every pattern mask at every offset."""
        return _row_table(self.bar_bits)

    @functools.cached_property
    def action_kind(self) -> np.ndarray:
        """``(n_actions,)``: TOGGLE, OFFSET or NOOP for each action."""
        return _action_tables(self)[0]

    @functools.cached_property
    def action_note(self) -> np.ndarray:
        """``(n_actions,)``: the row an action edits (0 for the no-op)."""
        return _action_tables(self)[1]

    @functools.cached_property
    def action_arg(self) -> np.ndarray:
        """``(n_actions,)``: the pattern bit a toggle flips, or the amount an offset action adds."""
        return _action_tables(self)[2]

    @functools.cached_property
    def row_actions(self) -> np.ndarray:
        """``(N, 2B+1)``: the actions that edit row ``n`` (its toggles, then its offset increments)."""
        return _row_actions(self)

    # --- actions -----------------------------------------------------------------------------
    def toggle_action(self, note: int, pattern: int) -> int:
        self._check_note(note)
        if not 0 <= pattern < self.n_patterns:
            raise ValueError(f"pattern must be in 0..{self.n_patterns - 1}, got {pattern}")
        return note * self.n_patterns + pattern

    def offset_action(self, note: int, power: int) -> int:
        """The action that adds ``2**power`` to the offset of ``note``."""
        self._check_note(note)
        if not 0 <= power < self.bar_bits:
            raise ValueError(f"offset power must be in 0..{self.bar_bits - 1}, got {power}")
        return self.n_toggle_actions + note * self.bar_bits + power

    def decode_action(self, action: int) -> tuple[str, int, int]:
        """``("toggle", note, pattern)``, ``("offset", note, power)`` or ``("noop", -1, -1)``."""
        action = self.check_action(action)
        if action < self.n_toggle_actions:
            return ("toggle", *divmod(action, self.n_patterns))
        if action < self.n_toggle_actions + self.n_offset_actions:
            return ("offset", *divmod(action - self.n_toggle_actions, self.bar_bits))
        return ("noop", -1, -1)

    def check_action(self, action: object) -> int:
        """The action as an int, or a ValueError naming what is wrong with it.

        An action is an int or a numpy integer (a 0-d integer array too); a float, a bool or an array of
        several values is refused even when it would convert, since ``5.0`` or ``True`` is no button.
        """
        value = action[()] if isinstance(action, np.ndarray) and action.ndim == 0 else action
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"an action must be an integer in 0..{self.n_actions - 1} (an int or a numpy integer), "
                             f"got {action!r} of type {type(action).__name__}")
        if not 0 <= value < self.n_actions:
            raise ValueError(
                f"action {action!r} is outside the action space Discrete({self.n_actions}) of {self}"
            )
        return int(value)

    def _check_note(self, note: int) -> None:
        if not 0 <= note < self.n_notes:
            raise ValueError(f"note must be in 0..{self.n_notes - 1}, got {note}")

    # --- bars --------------------------------------------------------------------------------
    def words_to_roll(self, words: np.ndarray) -> np.ndarray:
        """``(..., N)`` uint64 words -> ``(..., N, 2**B)`` bool piano roll (step ``t`` is bit ``t``)."""
        words = np.asarray(words, dtype=np.uint64)
        shifts = np.arange(self.steps, dtype=np.uint64)
        return ((words[..., None] >> shifts) & np.uint64(1)).astype(bool)

    def roll_to_words(self, roll: np.ndarray) -> np.ndarray:
        """``(..., N, 2**B)`` binary roll -> ``(..., N)`` uint64 words."""
        roll = np.asarray(roll)
        if roll.shape[-1] != self.steps:
            raise ValueError(f"a roll must have {self.steps} steps in its last axis, got shape {roll.shape}")
        weights = np.uint64(1) << np.arange(self.steps, dtype=np.uint64)
        return (roll.astype(bool).astype(np.uint64) * weights).sum(axis=-1, dtype=np.uint64)


@functools.cache
def _pattern_words(bar_bits: int) -> np.ndarray:
    steps = 1 << bar_bits
    t = np.arange(steps)
    hits = [t == 0] + [t % (1 << k) == (1 << k) // 2 for k in range(1, bar_bits + 1)]
    weights = np.uint64(1) << t.astype(np.uint64)
    words = np.array([weights[h].sum(dtype=np.uint64) for h in hits], dtype=np.uint64)
    words.setflags(write=False)
    return words


def rotate_words(words: ArrayLike, offset: ArrayLike, bar_bits: int) -> np.ndarray:
    """Rotate bar-row words right by ``offset`` steps within a bar of ``2**bar_bits`` (``np.roll``)."""
    steps = 1 << bar_bits
    words = np.asarray(words, dtype=np.uint64)
    offset = np.asarray(offset, dtype=np.uint64) % np.uint64(steps)
    mask = np.uint64((1 << steps) - 1)
    # A shift by the full word width is undefined in C; split the right shift so it never reaches 64.
    back = np.uint64(steps) - offset
    left = (words << offset) & mask
    right = (words >> (back - np.uint64(1))) >> np.uint64(1)
    return (left | right) & mask


@functools.cache
def _row_table(bar_bits: int) -> np.ndarray:
    patterns = _pattern_words(bar_bits)
    n_patterns = bar_bits + 1
    masks = np.arange(1 << n_patterns)
    bits = (masks[:, None] >> np.arange(n_patterns)) & 1
    unrotated = np.bitwise_or.reduce(np.where(bits.astype(bool), patterns, np.uint64(0)), axis=1)
    offsets = np.arange(1 << bar_bits)
    table = rotate_words(unrotated[:, None], offsets[None, :], bar_bits)
    table.setflags(write=False)
    return table


@functools.cache
def _action_tables(spec: LaunchpadSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_actions = spec.n_actions
    kind = np.full(n_actions, NOOP, dtype=np.int8)
    note = np.zeros(n_actions, dtype=np.int64)
    arg = np.zeros(n_actions, dtype=np.int64)
    toggles = np.arange(spec.n_toggle_actions)
    kind[toggles] = TOGGLE
    note[toggles], pattern = np.divmod(toggles, spec.n_patterns)
    arg[toggles] = 1 << pattern
    offsets = np.arange(spec.n_offset_actions)
    kind[spec.n_toggle_actions + offsets] = OFFSET
    note[spec.n_toggle_actions + offsets], power = np.divmod(offsets, spec.bar_bits)
    arg[spec.n_toggle_actions + offsets] = 1 << power
    for table in (kind, note, arg):
        table.setflags(write=False)
    return kind, note, arg


@functools.cache
def _row_actions(spec: LaunchpadSpec) -> np.ndarray:
    pressed = np.flatnonzero(spec.action_kind != NOOP)
    rows = pressed[np.argsort(spec.action_note[pressed], kind="stable")].reshape(spec.n_notes, -1)
    rows.setflags(write=False)
    return rows


def press_rows(spec: LaunchpadSpec, actions: ArrayLike, masks: np.ndarray,
               offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mask and offset each action leaves on the row it edits (``spec.action_note[actions]``).

    ``masks`` and ``offsets`` are that row's values before the press, shaped like ``actions``: a toggle
    flips its pattern bit, an offset action adds its amount (mod ``2**B``), the no-op leaves the row be.
    The array form of :meth:`LaunchpadState.apply`, for many presses at once (the vector env's step, the
    one-step lookahead); nothing is changed in place.
    """
    actions = np.asarray(actions)
    kind, arg = spec.action_kind[actions], spec.action_arg[actions]
    masks_after = np.where(kind == TOGGLE, masks ^ arg, masks)
    offsets_after = np.where(kind == OFFSET, (offsets + arg) % spec.steps, offsets)
    return masks_after, offsets_after


def state_indices(spec: LaunchpadSpec, masks: ArrayLike, offsets: ArrayLike) -> np.ndarray:
    """:attr:`LaunchpadState.index` of states ``masks``, ``offsets`` ``(..., N)`` at once, as int64.

    Only for launchpads whose every index fits an int64 (``spec.n_states <= 2**63``).
    """
    if spec.n_states > 1 << 63:
        raise ValueError(f"the state indices of {spec} need {spec.n_states.bit_length() - 1} bits, more than an int64")
    n = np.arange(spec.n_notes)
    toggle_shift = n * spec.n_patterns
    offset_shift = spec.n_toggle_actions + n * spec.bar_bits
    masks, offsets = np.asarray(masks, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
    return ((masks << toggle_shift).sum(axis=-1) | (offsets << offset_shift).sum(axis=-1)).astype(np.int64)


@dataclass
class LaunchpadState:
    """The buttons of a launchpad: which patterns each row plays, and each row's offset.

    ``masks[n]`` packs the toggles of row ``n`` (bit ``k`` is pattern ``k``); ``toggles`` is the same
    as an ``(N, B+1)`` bool array.
    """

    spec: LaunchpadSpec
    masks: np.ndarray  # (N,) int64, bit k = pattern k on
    offsets: np.ndarray  # (N,) int64 in [0, 2**B)

    def __post_init__(self) -> None:
        if not isinstance(self.spec, LaunchpadSpec):
            raise TypeError(f"LaunchpadState.spec must be a LaunchpadSpec, got {type(self.spec).__name__}")
        spec = self.spec
        for name, limit in (("masks", 1 << spec.n_patterns), ("offsets", spec.steps)):
            values = np.asarray(getattr(self, name))
            if values.shape != (spec.n_notes,):
                raise ValueError(f"LaunchpadState.{name} must have shape (n_notes,) = ({spec.n_notes},), "
                                 f"got {values.shape}")
            if values.dtype == np.bool_ or not np.issubdtype(values.dtype, np.integer):
                raise ValueError(f"LaunchpadState.{name} must be integers, got dtype {values.dtype}")
            if values.min() < 0 or values.max() >= limit:
                raise ValueError(f"LaunchpadState.{name} must be in 0..{limit - 1} for {spec}, got {values.tolist()}")
            # The same array when it is already int64, so a caller's array stays the state's.
            setattr(self, name, values.astype(np.int64, copy=False))

    @classmethod
    def empty(cls, spec: LaunchpadSpec) -> LaunchpadState:
        return cls(spec, np.zeros(spec.n_notes, dtype=np.int64), np.zeros(spec.n_notes, dtype=np.int64))

    @classmethod
    def from_toggles(cls, spec: LaunchpadSpec, toggles: ArrayLike, offsets: ArrayLike) -> LaunchpadState:
        """Build a state from an ``(N, B+1)`` binary array and ``(N,)`` offsets, checking both."""
        toggles = np.asarray(toggles)
        offsets = np.asarray(offsets)
        if toggles.shape != (spec.n_notes, spec.n_patterns):
            raise ValueError(
                f"toggles must have shape (n_notes, bar_bits+1) = {(spec.n_notes, spec.n_patterns)}, "
                f"got {toggles.shape}"
            )
        if offsets.shape != (spec.n_notes,):
            raise ValueError(f"offsets must have shape (n_notes,) = {(spec.n_notes,)}, got {offsets.shape}")
        if not np.isin(toggles, (0, 1)).all():
            raise ValueError("toggles must be binary (0/1 or bool)")
        if not np.issubdtype(offsets.dtype, np.integer) or offsets.min() < 0 or offsets.max() >= spec.steps:
            raise ValueError(f"offsets must be integers in [0, {spec.steps}), got {offsets.tolist()}")
        weights = 1 << np.arange(spec.n_patterns)
        masks = (toggles.astype(np.int64) * weights).sum(axis=1)
        return cls(spec, masks.astype(np.int64), offsets.astype(np.int64).copy())

    @property
    def toggles(self) -> np.ndarray:
        return ((self.masks[:, None] >> np.arange(self.spec.n_patterns)) & 1).astype(bool)

    def copy(self) -> LaunchpadState:
        return LaunchpadState(self.spec, self.masks.copy(), self.offsets.copy())

    # One integer per state, shared by the env's info and tabular learners. A state is N*(2B+1) bits: the
    # toggles observation read as a binary number, least significant bit first. Bit ``n*(B+1) + k`` is
    # pattern k of row n; bits ``N*(B+1) + n*B ..`` are row n's offset. So the index of a state is exactly
    # ``sum(obs[i] << i)`` for its ``obs_mode="toggles"`` observation, and toggle action ``a`` flips bit ``a``.
    @property
    def index(self) -> int:
        """This state's integer in ``[0, spec.n_states)``; :meth:`from_index` inverts it."""
        spec = self.spec
        index = 0
        for n in range(spec.n_notes):
            index |= int(self.masks[n]) << (n * spec.n_patterns)
            index |= int(self.offsets[n]) << (spec.n_toggle_actions + n * spec.bar_bits)
        return index

    @classmethod
    def from_index(cls, spec: LaunchpadSpec, index: int) -> LaunchpadState:
        """The state whose :attr:`index` is ``index``."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < spec.n_states:
            raise ValueError(f"a state index for {spec} must be an int in [0, 2**{spec.n_states.bit_length() - 1}), "
                             f"got {index!r}")
        index = int(index)
        state = cls.empty(spec)
        for n in range(spec.n_notes):
            state.masks[n] = (index >> (n * spec.n_patterns)) & ((1 << spec.n_patterns) - 1)
            state.offsets[n] = (index >> (spec.n_toggle_actions + n * spec.bar_bits)) & (spec.steps - 1)
        return state

    def words(self) -> np.ndarray:
        """The bar as ``(N,)`` uint64 words."""
        return self.spec.row_table[self.masks, self.offsets]

    def roll(self) -> np.ndarray:
        """The bar as an ``(N, 2**B)`` bool piano roll."""
        return self.spec.words_to_roll(self.words())

    def apply(self, action: int) -> int:
        """Press one button in place; returns the row it changed, or -1 for the no-op."""
        spec = self.spec
        kind = spec.action_kind[action]
        if kind == NOOP:
            return -1
        note = spec.action_note[action]
        if kind == TOGGLE:
            self.masks[note] ^= spec.action_arg[action]
        else:
            self.offsets[note] = (self.offsets[note] + spec.action_arg[action]) % spec.steps
        return int(note)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LaunchpadState):
            return NotImplemented
        return (
            self.spec == other.spec
            and np.array_equal(self.masks, other.masks)
            and np.array_equal(self.offsets, other.offsets)
        )
