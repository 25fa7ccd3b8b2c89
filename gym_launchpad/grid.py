"""The launchpad's button grid: what every front end (a window, a hardware controller) presses and lights.

The launchpad has one row of buttons per pitch: ``B + 1`` beat-pattern toggles, then ``B`` offset
buttons (button ``j`` adds ``2**j`` to the row's offset, and is lit when bit ``j`` of the offset is
set). For the default spec that is a 24 x 13 grid. :func:`button_action` and :func:`action_button`
translate between grid buttons and env actions, so a press is one ``env.step(button_action(...))``.
"""

from __future__ import annotations

import numpy as np

from gym_launchpad.launchpad import NOOP, TOGGLE, LaunchpadSpec, LaunchpadState


def grid_shape(spec: LaunchpadSpec) -> tuple[int, int]:
    """``(rows, columns)`` of the button grid: one row per pitch, ``B + 1`` toggles and ``B`` offset buttons."""
    return spec.n_notes, spec.n_patterns + spec.bar_bits


def button_action(spec: LaunchpadSpec, row: int, col: int) -> int:
    """The env action of the button at grid ``(row, col)`` (row 0 is the lowest pitch)."""
    rows, cols = grid_shape(spec)
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"button ({row}, {col}) is outside the {rows} x {cols} button grid")
    if col < spec.n_patterns:
        return spec.toggle_action(row, col)
    return spec.offset_action(row, col - spec.n_patterns)


def action_button(spec: LaunchpadSpec, action: int) -> tuple[int, int] | None:
    """The grid ``(row, col)`` an action presses, or None for the no-op."""
    action = spec.check_action(action)
    kind = spec.action_kind[action]
    if kind == NOOP:
        return None
    power = int(spec.action_arg[action]).bit_length() - 1
    return int(spec.action_note[action]), power if kind == TOGGLE else spec.n_patterns + power


def lit_buttons(state: LaunchpadState) -> np.ndarray:
    """``(rows, columns)`` bool: a toggle is lit when its pattern plays, an offset button when its bit is set."""
    spec = state.spec
    offset_bits = ((state.offsets[:, None] >> np.arange(spec.bar_bits)) & 1).astype(bool)
    return np.concatenate([state.toggles, offset_bits], axis=1)
