"""Pictures of a launchpad state: text for a terminal, and an RGB image of the grid beside the bar.

Rows are drawn highest pitch first, as on a piano roll. The grid shows per pitch the ``B + 1`` beat
toggles and the ``B`` offset bits (the buttons the offset actions press); the button of the last action
is outlined. :data:`COLORS` is the one palette of every picture of the launchpad.
"""

from __future__ import annotations

import numpy as np

from gym_launchpad.launchpad import NOOP, TOGGLE, LaunchpadSpec, LaunchpadState

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

CELL = 8  # pixels per button or roll step
GAP = 1
#: Lit buttons and the notes the agent plays are orange; offset bits and the notes a corpus bar adds, blue.
ORANGE, BLUE = (250, 170, 40), (90, 160, 250)
#: The one palette of every picture of the launchpad, RGB: this module's image, the window
#: (:mod:`gym_launchpad.window`, the play command's too) and the bar comparison logged to TensorBoard.
COLORS = {
    "background": (22, 22, 28),
    "text": (225, 225, 230),
    "dim_text": (140, 140, 155),
    "black_key": (30, 30, 36),
    "white_key": (44, 44, 52),
    "toggle_off": (62, 58, 52),
    "toggle_on": ORANGE,
    "offset_off": (48, 54, 76),
    "offset_on": BLUE,
    "agent": (235, 60, 60),  # the agent's last press, outlined
    "human": (80, 220, 120),  # a person's last press, outlined
    "roll_off": (36, 36, 44),
    "roll_beat": (50, 50, 62),  # a silent step on a beat
    "roll_on": (235, 235, 240),  # a sounding step (the window: sounding now and in the next bar)
    "roll_joins": ORANGE,  # sounds from the next bar line
    "roll_leaves": (110, 110, 120),  # stops at the next bar line
    "roll_extra": ORANGE,  # a bar compared with a corpus bar: a note only the bar plays
    "roll_missing": BLUE,  # ... a note only the corpus bar plays
    "divider": (150, 150, 160),
    "play_head": (80, 220, 120),
    "control": (58, 58, 72),
    "control_on": (70, 120, 90),
    "record_on": (150, 50, 50),
    "launchpad_window": (200, 120, 250),
}


def note_name(midi_pitch: int) -> str:
    return f"{NOTE_NAMES[midi_pitch % 12]}{midi_pitch // 12 - 1}"


def describe_action(spec: LaunchpadSpec, action: int) -> str:
    """A press in words: ``toggle C4 pattern 2``, ``C4 offset +8``, or ``no-op``."""
    kind, note, arg = spec.decode_action(action)
    if kind == "noop":
        return "no-op"
    name = note_name(int(spec.pitches[note]))
    return f"toggle {name} pattern {arg}" if kind == "toggle" else f"{name} offset +{2 ** arg}"


def ansi(state: LaunchpadState, last_action: int | None = None, distance: int | None = None) -> str:
    """The launchpad as text: per pitch its toggles, offset, and the bar it plays (``#`` = sounding)."""
    spec = state.spec
    toggles, roll = state.toggles, state.roll()
    marked = _last_button(state, last_action)
    lines = []
    header = f"{'pitch':>5} {'toggles':<{spec.n_patterns}} {'off':>3}  bar ({spec.steps} steps)"
    lines.append(header)
    beat = max(spec.steps // 4, 1)
    for n in reversed(range(spec.n_notes)):
        buttons = "".join("X" if toggles[n, k] else "." for k in range(spec.n_patterns))
        pressed = marked[1] if marked is not None and marked[0] == n else None  # the column pressed in this row
        if pressed is not None and pressed < spec.n_patterns:
            buttons = buttons[:pressed] + ("*" if toggles[n, pressed] else "o") + buttons[pressed + 1:]
        offset = f"{state.offsets[n]:>3}" + ("<" if pressed is not None and pressed >= spec.n_patterns else " ")
        bar = "".join("#" if cell else ("|" if t % beat == 0 else "-") for t, cell in enumerate(roll[n]))
        lines.append(f"{note_name(int(spec.pitches[n])):>5} {buttons} {offset} {bar}")
    footer = f"notes sounding: {int(roll.sum())}"
    if distance is not None:
        footer += f"  distance to nearest corpus bar: {distance}"
    if last_action is not None:
        footer += f"  last action: {last_action} ({describe_action(spec, last_action)})"
    lines.append(footer)
    return "\n".join(lines) + "\n"


def rgb_array(state: LaunchpadState, last_action: int | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8: the 13-column button grid on the left, the bar as a piano roll on the right."""
    spec = state.spec
    n, columns = spec.n_notes, spec.n_patterns + spec.bar_bits
    toggles, roll = state.toggles, state.roll()
    offset_bits = ((state.offsets[:, None] >> np.arange(spec.bar_bits)) & 1).astype(bool)
    pitch = CELL + GAP
    height = n * pitch + GAP
    grid_width = columns * pitch + GAP
    width = grid_width + CELL + spec.steps * pitch + GAP
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = COLORS["background"]
    marked = _last_button(state, last_action)
    for row in range(n):
        y = (n - 1 - row) * pitch + GAP
        for col in range(columns):
            x = col * pitch + GAP
            if col < spec.n_patterns:
                color = COLORS["toggle_on" if toggles[row, col] else "toggle_off"]
            else:
                color = COLORS["offset_on" if offset_bits[row, col - spec.n_patterns] else "offset_off"]
            image[y:y + CELL, x:x + CELL] = color
            if marked == (row, col):
                _outline(image, y, x, COLORS["agent"])
        for t in range(spec.steps):
            x = grid_width + CELL + t * pitch
            beat = t % max(spec.steps // 4, 1) == 0
            image[y:y + CELL, x:x + CELL] = COLORS["roll_on" if roll[row, t] else ("roll_beat" if beat else "roll_off")]
    return image


def _last_button(state: LaunchpadState, action: int | None) -> tuple[int, int] | None:
    """(row, grid column) of the button an action pressed, or None."""
    if action is None:
        return None
    spec = state.spec
    kind, note, arg = spec.action_kind[action], spec.action_note[action], spec.action_arg[action]
    if kind == NOOP:
        return None
    power = int(arg).bit_length() - 1
    return (int(note), power if kind == TOGGLE else spec.n_patterns + power)


def _outline(image: np.ndarray, y: int, x: int, color: tuple[int, int, int]) -> None:
    image[y:y + CELL, x] = color
    image[y:y + CELL, x + CELL - 1] = color
    image[y, x:x + CELL] = color
    image[y + CELL - 1, x:x + CELL] = color
