"""What an agent sees of a launchpad: the observation modes, their spaces, a state encoded, and decoded back.

- ``"toggles"`` (default): ``MultiBinary(N * (2B + 1))``, the ``N * (B + 1)`` toggles row by row, then each
  row's offset as ``B`` bits, least significant first. Read as a binary number, least significant bit
  first, it is :attr:`LaunchpadState.index`.
- ``"roll"``: ``MultiBinary((N, 2**B))``, the bar the state plays.
- ``"onehot"``: ``MultiBinary((N, B + 1 + 2**B))``, per row the toggles then the offset one-hot (the
  authors' network input, 24 x 71).

An action changes one row, so the envs write only that row's cells, read from :func:`observation_table`.
"""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from numpy.typing import ArrayLike

from gym_launchpad.launchpad import LaunchpadSpec

OBS_MODES = ("toggles", "roll", "onehot")


def observation_space(spec: LaunchpadSpec, obs_mode: str) -> spaces.MultiBinary:
    """The space of ``obs_mode`` observations of a ``spec`` launchpad."""
    if obs_mode == "toggles":
        return spaces.MultiBinary(spec.n_notes * (2 * spec.bar_bits + 1))
    if obs_mode == "roll":
        return spaces.MultiBinary((spec.n_notes, spec.steps))
    return spaces.MultiBinary((spec.n_notes, spec.n_patterns + spec.steps))


def observe(spec: LaunchpadSpec, obs_mode: str, masks: ArrayLike, offsets: ArrayLike, words: np.ndarray) -> np.ndarray:
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


def states_from_observations(spec: LaunchpadSpec, obs_mode: str, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row masks and offsets ``(..., N)`` that ``toggles`` or ``onehot`` observations show (a ``roll``
    observation shows the bar only: several states play it)."""
    obs = np.asarray(obs).astype(np.int64)
    n, p, b = spec.n_notes, spec.n_patterns, spec.bar_bits
    if obs_mode == "onehot":
        return (obs[..., :p] << np.arange(p)).sum(axis=-1), obs[..., p:].argmax(axis=-1)
    if obs_mode == "toggles":
        lead = obs.shape[:-1]
        masks = (obs[..., : n * p].reshape(*lead, n, p) << np.arange(p)).sum(axis=-1)
        return masks, (obs[..., n * p:].reshape(*lead, n, b) << np.arange(b)).sum(axis=-1)
    raise ValueError(f"the state cannot be read from a {obs_mode!r} observation; use 'toggles' or 'onehot'")


def bars_from_observations(spec: LaunchpadSpec, obs_mode: str, obs: np.ndarray) -> np.ndarray:
    """The bars ``(..., N)`` uint64 that observations ``(..., obs shape)`` of ``obs_mode`` show.

    The inverse of :func:`observe` up to the state (a bar is all the music metrics need), so they work on
    any vectorised env, whose sub-envs are out of reach.
    """
    if obs_mode == "roll":
        return spec.roll_to_words(np.asarray(obs).astype(np.int64))
    masks, offsets = states_from_observations(spec, obs_mode, obs)
    return spec.row_table[masks, offsets]
