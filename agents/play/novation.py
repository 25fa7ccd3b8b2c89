"""The launchpad's button grid, and its mapping onto a Novation Launchpad (MK3 family) in programmer mode.

The virtual launchpad has one row of buttons per pitch: ``B + 1`` beat-pattern toggles, then ``B``
offset buttons (button ``j`` adds ``2**j`` to the row's offset, and is lit when bit ``j`` of the
offset is set). For the default spec that is a 24 x 13 grid. :func:`button_action` and
:func:`action_button` translate between grid buttons and env actions; every front end (the pygame
window, the hardware controller) presses buttons through them.

A Novation Launchpad has 8 x 8 pads, so it shows an 8 x 8 :class:`Window` of the grid, moved a page at
a time with its arrow buttons. Pad rows count from the bottom, like pitch on a piano roll: the bottom
pad row is the window's lowest pitch.

This module is pure: MIDI messages are lists of ints, and nothing here opens a port
(``agents/novation_controller.py`` does, through python-rtmidi).

## Programmer mode (Launchpad X and Launchpad Mini [MK3] programmer's reference manuals)
- Every Novation SysEx starts ``F0 00 20 29 02 <device>``; the device byte is ``0C`` for the
  Launchpad X and ``0D`` for the Launchpad Mini [MK3] (``0E`` is the Launchpad Pro [MK3], whose
  buttons are laid out differently and which is not supported here). Command ``0E`` with ``01``
  selects programmer mode, ``00`` goes back to live mode.
- Pads send note-on (channel 1) with note ``10 * r + c`` (``r, c = 1..8``, row 1 at the bottom) and
  velocity 0 on release. The top row sends CC 91..98 (91..94 are the up, down, left, right arrows)
  and the right column CC 19, 29, ..., 89, value 127 pressed and 0 released.
- An LED is lit by sending the same message back: note-on for a pad, CC for a button, with the
  colour as an index into the 128-colour palette (0 is off), on channel 1 for a static colour.
The MIDI port to use is the "MIDI" one (``LPX MIDI``, ``LPMiniMK3 MIDI``), not the "DAW" one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gym_launchpad.launchpad import NOOP, TOGGLE, LaunchpadSpec, LaunchpadState

# --- the virtual launchpad's button grid -----------------------------------------------------------


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


# --- the Novation side -----------------------------------------------------------------------------

PADS = 8  # pads per side of the Launchpad's grid

NOTE_ON, NOTE_OFF, CONTROL_CHANGE = 0x90, 0x80, 0xB0
SYSEX_START, SYSEX_END = 0xF0, 0xF7
NOVATION_HEADER = (SYSEX_START, 0x00, 0x20, 0x29, 0x02)
MODE_COMMAND = 0x0E


@dataclass(frozen=True)
class Model:
    """A supported Launchpad: its name, SysEx device byte, and the name of its MIDI port."""

    name: str
    device_id: int
    port_hint: str  # a substring of the name its programmer-mode MIDI port has


MODELS = {
    "x": Model("Launchpad X", 0x0C, "LPX MIDI"),
    "mini": Model("Launchpad Mini MK3", 0x0D, "LPMiniMK3 MIDI"),
}

#: The top row's arrows, which move the window a page.
ARROWS = {91: "up", 92: "down", 93: "left", 94: "right"}
#: The right column (top to bottom): the session's controls.
SIDE_CONTROLS = {89: "play", 79: "agent", 69: "record", 59: "save", 49: "faster", 39: "slower"}
CONTROLS = {**ARROWS, **SIDE_CONTROLS}

#: Palette indices (the MK3 default palette) for each kind of light.
COLORS = {
    "off": 0,
    "toggle_off": 11,  # dim orange
    "toggle_on": 9,  # orange
    "offset_off": 47,  # dim blue
    "offset_on": 45,  # blue
    "agent_action": 5,  # red
    "control_off": 1,  # dark grey
    "arrow": 3,  # white
    "play": 21,  # green
    "agent": 53,  # purple
    "record": 5,  # red
    "save": 3,  # white
    "tempo": 13,  # yellow
}


def programmer_mode(model: Model, enable: bool = True) -> list[int]:
    """The SysEx that switches ``model`` into programmer mode (or back to live mode)."""
    return [*NOVATION_HEADER, model.device_id, MODE_COMMAND, 1 if enable else 0, SYSEX_END]


def pad_note(pad_row: int, pad_col: int) -> int:
    """Programmer-mode note of the pad at ``(pad_row, pad_col)``, both 0..7, row 0 at the bottom."""
    if not (0 <= pad_row < PADS and 0 <= pad_col < PADS):
        raise ValueError(f"pad ({pad_row}, {pad_col}) is outside the {PADS} x {PADS} pads")
    return 10 * (pad_row + 1) + pad_col + 1


def note_pad(note: int) -> tuple[int, int] | None:
    """``(pad_row, pad_col)`` of a programmer-mode pad note, or None if the note is no pad."""
    row, col = divmod(int(note), 10)
    if 1 <= row <= PADS and 1 <= col <= PADS:
        return row - 1, col - 1
    return None


@dataclass(frozen=True)
class Window:
    """The 8 x 8 part of the button grid the pads show: pad ``(r, c)`` is grid button ``(row + r, col + c)``."""

    row: int = 0
    col: int = 0

    def button(self, spec: LaunchpadSpec, pad_row: int, pad_col: int) -> tuple[int, int] | None:
        """The grid button under a pad, or None where the pad lies beyond the grid."""
        rows, cols = grid_shape(spec)
        row, col = self.row + pad_row, self.col + pad_col
        return (row, col) if row < rows and col < cols else None

    def pad(self, row: int, col: int) -> tuple[int, int] | None:
        """The pad showing grid button ``(row, col)``, or None when it is outside the window."""
        pad_row, pad_col = row - self.row, col - self.col
        return (pad_row, pad_col) if 0 <= pad_row < PADS and 0 <= pad_col < PADS else None

    def moved(self, direction: str, spec: LaunchpadSpec) -> Window:
        """The window a page further (``"up"`` is higher pitches), kept inside the grid."""
        rows, cols = grid_shape(spec)
        d_row, d_col = {"up": (PADS, 0), "down": (-PADS, 0), "left": (0, -PADS), "right": (0, PADS)}[direction]
        return Window(_clamp(self.row + d_row, rows), _clamp(self.col + d_col, cols))

    def can_move(self, direction: str, spec: LaunchpadSpec) -> bool:
        return self.moved(direction, spec) != self


def _clamp(origin: int, size: int) -> int:
    return min(max(origin, 0), max(size - PADS, 0))


@dataclass(frozen=True)
class PadPress:
    pad_row: int
    pad_col: int


@dataclass(frozen=True)
class ControlPress:
    name: str  # a value of CONTROLS


def decode(message) -> PadPress | ControlPress | None:
    """What a message from the Launchpad means: a pad or a control pressed, or None (releases, anything else)."""
    if len(message) != 3:
        return None
    status, number, value = message[0] & 0xF0, message[1], message[2]
    if status == NOTE_ON and value > 0:
        pad = note_pad(number)
        return PadPress(*pad) if pad else None
    if status == CONTROL_CHANGE and value > 0 and number in CONTROLS:
        return ControlPress(CONTROLS[number])
    return None


@dataclass(frozen=True)
class Lights:
    """What the LEDs show besides the grid: the session's switches and the last action the agent took."""

    playing: bool = False
    agent_on: bool = False
    recording: bool = False
    agent_action: int | None = None


def led_frame(state: LaunchpadState, window: Window, lights: Lights = Lights()) -> dict[int, int]:
    """The colour of every LED, keyed by its programmer-mode number (pads 11..88, buttons 19..98)."""
    spec = state.spec
    lit = lit_buttons(state)
    agent_button = action_button(spec, lights.agent_action) if lights.agent_action is not None else None
    frame = {}
    for pad_row in range(PADS):
        for pad_col in range(PADS):
            button = window.button(spec, pad_row, pad_col)
            if button is None:
                color = COLORS["off"]
            elif button == agent_button:
                color = COLORS["agent_action"]
            else:
                kind = "toggle" if button[1] < spec.n_patterns else "offset"
                color = COLORS[f"{kind}_{'on' if lit[button] else 'off'}"]
            frame[pad_note(pad_row, pad_col)] = color
    for number, direction in ARROWS.items():
        frame[number] = COLORS["arrow"] if window.can_move(direction, spec) else COLORS["off"]
    switches = {"play": lights.playing, "agent": lights.agent_on, "record": lights.recording,
                "save": True, "faster": True, "slower": True}
    for number, name in SIDE_CONTROLS.items():
        on_color = COLORS["tempo"] if name in ("faster", "slower") else COLORS[name]
        frame[number] = on_color if switches[name] else COLORS["control_off"]
    return frame


def led_messages(frame: dict[int, int], previous: dict[int, int] | None = None) -> list[list[int]]:
    """The messages that turn the LEDs from ``previous`` (unknown when None: send all) to ``frame``."""
    messages = []
    for number, color in sorted(frame.items()):
        if previous is not None and previous.get(number) == color:
            continue
        status = NOTE_ON if note_pad(number) is not None else CONTROL_CHANGE
        messages.append([status, number, color])
    return messages


def blank_frame() -> dict[int, int]:
    """Every LED off: what the controller leaves behind when it lets go of the device."""
    pads = [pad_note(r, c) for r in range(PADS) for c in range(PADS)]
    return dict.fromkeys([*pads, *CONTROLS], COLORS["off"])
