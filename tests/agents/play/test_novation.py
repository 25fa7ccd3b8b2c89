"""The button grid and its pure mapping onto a Novation Launchpad's pads and LEDs."""

import numpy as np
import pytest

from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.novation import (
    COLORS,
    MODELS,
    PADS,
    ControlPress,
    Lights,
    PadPress,
    Window,
    action_button,
    blank_frame,
    button_action,
    decode,
    grid_shape,
    led_frame,
    led_messages,
    lit_buttons,
    note_pad,
    pad_note,
    programmer_mode,
)

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


def test_programmer_mode_sysex_per_model():
    # Launchpad X is device 0x0C, Mini MK3 0x0D (their programmer's reference manuals).
    assert programmer_mode(MODELS["x"]) == [0xF0, 0x00, 0x20, 0x29, 0x02, 0x0C, 0x0E, 0x01, 0xF7]
    assert programmer_mode(MODELS["mini"], enable=False) == [0xF0, 0x00, 0x20, 0x29, 0x02, 0x0D, 0x0E, 0x00, 0xF7]


def test_pad_notes_run_11_to_88_bottom_left_to_top_right():
    assert pad_note(0, 0) == 11 and pad_note(0, 7) == 18 and pad_note(7, 0) == 81 and pad_note(7, 7) == 88
    notes = [pad_note(r, c) for r in range(PADS) for c in range(PADS)]
    assert [note_pad(n) for n in notes] == [(r, c) for r in range(PADS) for c in range(PADS)]
    for not_a_pad in (10, 19, 89, 91, 99, 0, 127):
        assert note_pad(not_a_pad) is None


def test_window_pages_over_the_whole_grid_and_stays_inside():
    window = Window()
    assert window.button(SPEC, 0, 0) == (0, 0) and window.button(SPEC, 7, 7) == (7, 7)
    seen = set()
    for row_pages in range(3):
        w = Window()
        for _ in range(row_pages):
            w = w.moved("up", SPEC)
        for w_col in (w, w.moved("right", SPEC)):
            seen |= {w_col.button(SPEC, r, c) for r in range(PADS) for c in range(PADS)}
    assert seen == {(r, c) for r in range(24) for c in range(13)}
    top = Window().moved("up", SPEC).moved("up", SPEC)
    assert top == Window(16, 0) and top.moved("up", SPEC) == top and not top.can_move("up", SPEC)
    right = Window().moved("right", SPEC)
    assert right == Window(0, 5) and right.moved("right", SPEC) == right  # 13 columns: the last 8 are 5..12
    assert right.moved("left", SPEC) == Window() and Window().moved("down", SPEC) == Window()
    assert right.pad(3, 12) == (3, 7) and right.pad(3, 4) is None


def test_a_small_grid_leaves_pads_dark_and_unpressable():
    spec = LaunchpadSpec(n_notes=3, bar_bits=2, low_note=60)  # 3 x 5 buttons
    window = Window()
    assert window.button(spec, 2, 4) == (2, 4)
    assert window.button(spec, 3, 0) is None and window.button(spec, 0, 5) is None
    assert not any(window.can_move(d, spec) for d in ("up", "down", "left", "right"))
    frame = led_frame(LaunchpadState.empty(spec), window)
    assert frame[pad_note(0, 0)] == COLORS["toggle_off"] and frame[pad_note(3, 0)] == COLORS["off"]


def test_decode_presses_and_ignores_releases():
    assert decode([0x90, 11, 100]) == PadPress(0, 0)
    assert decode([0x90, 88, 1]) == PadPress(7, 7)
    assert decode([0x90, 88, 0]) is None  # release
    assert decode([0x80, 88, 64]) is None
    assert decode([0xB0, 91, 127]) == ControlPress("up")
    assert decode([0xB0, 89, 127]) == ControlPress("play")
    assert decode([0xB0, 91, 0]) is None
    assert decode([0xB0, 99, 127]) is None  # the logo is no control
    assert decode([0xA0, 11, 50]) is None  # polyphonic pressure from a held pad
    assert decode([0xF0, 0x7E, 0x00, 0x06, 0x02, 0xF7]) is None


def test_led_frame_shows_state_window_and_agent_action():
    state = LaunchpadState.empty(SPEC)
    state.apply(button_action(SPEC, 9, 1))  # row 9 = pad row 1 of the second page
    agent = button_action(SPEC, 10, 7)  # offset += 1 on row 10: pad (2, 7) of the second page
    window = Window().moved("up", SPEC)
    frame = led_frame(state, window, Lights(playing=True, agent_on=False, recording=True, agent_action=agent))
    assert set(frame) == set(blank_frame())
    assert frame[pad_note(1, 1)] == COLORS["toggle_on"]
    assert frame[pad_note(1, 0)] == COLORS["toggle_off"]
    assert frame[pad_note(2, 7)] == COLORS["agent_action"]
    assert led_frame(state, window)[pad_note(2, 7)] == COLORS["offset_off"]
    state.apply(agent)
    assert led_frame(state, window)[pad_note(2, 7)] == COLORS["offset_on"]
    assert led_frame(state, window.moved("right", SPEC))[pad_note(2, 2)] == COLORS["offset_on"]
    assert frame[89] == COLORS["play"] and frame[79] == COLORS["control_off"] and frame[69] == COLORS["record"]
    assert frame[91] == COLORS["arrow"] and frame[92] == COLORS["arrow"] and frame[93] == COLORS["off"]


def test_led_messages_send_only_changes():
    state = LaunchpadState.empty(SPEC)
    first = led_frame(state, Window())
    everything = led_messages(first)
    assert len(everything) == 64 + 10
    assert [0x90, 11, COLORS["toggle_off"]] in everything and [0xB0, 91, COLORS["arrow"]] in everything
    assert led_messages(first, first) == []
    state.apply(button_action(SPEC, 0, 0))
    assert led_messages(led_frame(state, Window()), first) == [[0x90, 11, COLORS["toggle_on"]]]
