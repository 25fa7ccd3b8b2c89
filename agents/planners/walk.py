"""Walking to a target bar: the fewest presses that reach it, pressed in the order the lookahead likes best.

A target gives every pitch row a word to play. A row plays a word through any of several (mask, offset)
pairs (a silent row at any offset, a pattern shifted by its period, ...), and when the word is not
exactly playable through the pairs that play the nearest rows to it (:func:`fit_options`). From a row's
(mask, offset), a pair is ``popcount(mask ^ mask')`` toggles plus ``popcount((offset' - offset) mod 2**B)``
offset presses away (an offset button adds a power of two, so a shift of ``d`` takes the bits of ``d``).
Each row goes to its nearest pair, ties to the first in (mask, offset) order: pressing one of the chosen
presses brings the chosen pair one press nearer and no other pair more than one, so the choice never
changes along the walk, and a policy that recomputes it at every state follows one straight walk.

Which press comes first is read from the env itself (:class:`PressLookahead`): the one whose bar is
nearest to the corpus, ties to the lowest action, so the walk's path stays as close to music as the
target allows.
"""

from __future__ import annotations

import functools

import numpy as np

from gym_launchpad.launchpad import OFFSET, TOGGLE, LaunchpadSpec, LaunchpadState


@functools.cache
def _press_tables(spec: LaunchpadSpec) -> tuple[np.ndarray, np.ndarray]:
    """``toggles[m, m']`` and ``shifts[o, o']``: presses from mask ``m`` to ``m'``, and from offset ``o`` to ``o'``."""
    masks = np.arange(1 << spec.n_patterns)
    offsets = np.arange(spec.steps)
    # int8: a row is at most B+1 toggles and B offset presses away, and narrow tables make a count cheap.
    toggles = np.bitwise_count(masks[:, None] ^ masks[None, :]).astype(np.int8)
    shifts = np.bitwise_count((offsets[None, :] - offsets[:, None]) % spec.steps).astype(np.int8)
    return toggles, shifts


def fit_options(spec: LaunchpadSpec, word) -> np.ndarray:
    """Flat indices ``mask * 2**B + offset`` of every (mask, offset) whose row is nearest to ``word``."""
    return _fit_options(spec, int(word))


@functools.lru_cache(maxsize=4096)
def _fit_options(spec: LaunchpadSpec, word: int) -> np.ndarray:
    misses = np.bitwise_count(spec.row_table ^ np.uint64(word)).reshape(-1)
    options = np.flatnonzero(misses == misses.min())
    options.setflags(write=False)
    return options


def row_press_costs(spec: LaunchpadSpec, masks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``(N, 2**(B+1) * 2**B)`` int8: presses from each row's (mask, offset) to every flat (mask, offset)."""
    toggles, shifts = _press_tables(spec)
    return (toggles[masks][:, :, None] + shifts[offsets][:, None, :]).reshape(len(masks), -1)


class Walk:
    """The shortest walk from a state to a target bar ``words`` ``(N,)``: which pair each row ends at, and how."""

    def __init__(self, spec: LaunchpadSpec, words: np.ndarray):
        self.spec = spec
        self.words = np.asarray(words, dtype=np.uint64)
        self.options = [fit_options(spec, w) for w in self.words]

    def row_costs(self, costs: np.ndarray) -> np.ndarray:
        """``(N,)`` presses each row needs, given :func:`row_press_costs` of the state."""
        return np.array([costs[n, options].min() for n, options in enumerate(self.options)], dtype=np.int64)

    def ends(self, costs: np.ndarray) -> np.ndarray:
        """``(N,)`` the flat (mask, offset) each row walks to: its nearest option, ties to the first."""
        return np.array([options[np.argmin(costs[n, options])] for n, options in enumerate(self.options)])

    def presses(self, masks: np.ndarray, offsets: np.ndarray, costs: np.ndarray | None = None) -> np.ndarray:
        """The actions of the shortest walk from the state ``(masks, offsets)``, in action order."""
        spec = self.spec
        costs = row_press_costs(spec, masks, offsets) if costs is None else costs
        end_masks, end_offsets = np.divmod(self.ends(costs), spec.steps)
        flips = masks ^ end_masks
        shifts = (end_offsets - offsets) % spec.steps
        actions = []
        for n in range(spec.n_notes):
            actions += [spec.toggle_action(n, k) for k in range(spec.n_patterns) if flips[n] >> k & 1]
            actions += [spec.offset_action(n, j) for j in range(spec.bar_bits) if shifts[n] >> j & 1]
        return np.array(sorted(actions), dtype=np.int64)


#: Above this many presses to score, scoring all actions at once (the env's full lookahead) is cheaper than
#: pressing and undoing each (about three env steps a press).
FULL_LOOKAHEAD_ABOVE = 40


@functools.cache
def undo_table(spec: LaunchpadSpec) -> tuple[tuple[int, ...], ...]:
    """For every action, the presses that undo it: a toggle undoes itself; adding ``2**j`` to an offset is
    undone by adding ``2**j + ... + 2**(B-1)``, which brings it round a whole bar; the no-op needs nothing."""
    kinds, notes, args = spec.action_kind, spec.action_note, spec.action_arg
    return tuple((a,) if kinds[a] == TOGGLE else
                 tuple(spec.offset_action(int(notes[a]), i) for i in range(int(args[a]).bit_length() - 1,
                                                                            spec.bar_bits))
                 if kinds[a] == OFFSET else () for a in range(spec.n_actions))


class PressLookahead:
    """The distance after each of a few presses from a state, read from a second env that really presses them.

    The env's :meth:`~gym_launchpad.envs.launchpad_env.LaunchpadEnv.distances_after_each_action` scores all
    313 actions; a walk only asks about the dozen it may press next, so it is cheaper to reset a simulator
    to the state, press each candidate, read the distance, and press it back (a toggle again; an offset
    ``2**j`` by the offsets that add up to a whole bar). The numbers are the env's own (a test checks them
    against the full lookahead).
    """

    def __init__(self, simulator):
        self.sim = simulator
        self._undo = undo_table(simulator.launchpad)

    def distances(self, state: LaunchpadState, presses) -> np.ndarray:
        """The ``"nearest"`` distance after each of ``presses`` (no no-op) from ``state``."""
        sim = self.sim
        sim.reset(options={"state": state})
        if len(presses) > FULL_LOOKAHEAD_ABOVE:
            return sim.distances_after_each_action()[presses]
        result = np.empty(len(presses), dtype=np.int64)
        for i, action in enumerate(presses):
            result[i] = sim.step(action)[4]["distance"]
            for undo in self._undo[action]:
                sim.step(undo)
        return result


def next_press(lookahead: PressLookahead, state: LaunchpadState, presses: np.ndarray) -> int:
    """Among ``presses`` from ``state``, the one after which the bar is nearest to the corpus; ties to the
    lowest action. With no press left it is the no-op."""
    if len(presses) == 0:
        return int(state.spec.noop_action)
    if len(presses) == 1:
        return int(presses[0])
    return int(presses[np.argmin(lookahead.distances(state, presses))])
