"""The launchpad's button grid: one button per action, lit as the state plays."""

import numpy as np
import pytest

from gym_launchpad.grid import action_button, button_action, grid_shape, lit_buttons
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState

SPEC = LaunchpadSpec()


def test_grid_is_24_by_13_and_every_button_is_one_action():
    assert grid_shape(SPEC) == (24, 13)
    actions = {button_action(SPEC, r, c) for r in range(24) for c in range(13)}
    assert actions == set(range(SPEC.noop_action))
    for action in range(SPEC.noop_action):
        assert button_action(SPEC, *action_button(SPEC, action)) == action
    assert action_button(SPEC, SPEC.noop_action) is None
    with pytest.raises(ValueError, match="outside the 24 x 13"):
        button_action(SPEC, 24, 0)


def test_pressing_a_button_lights_what_the_state_plays():
    state = LaunchpadState.empty(SPEC)
    state.apply(button_action(SPEC, 5, 2))  # toggle pattern 2 of row 5
    state.apply(button_action(SPEC, 5, 7 + 3))  # offset += 8
    state.apply(button_action(SPEC, 5, 7 + 0))  # offset += 1
    lit = lit_buttons(state)
    assert np.argwhere(lit).tolist() == [[5, 2], [5, 7], [5, 10]]
    assert state.offsets[5] == 9
