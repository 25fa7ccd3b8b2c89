"""A Novation Launchpad (X or Mini MK3) as the controller of a play session: the mapping of the launchpad's
button grid onto its pads and LEDs in programmer mode, and :class:`NovationController`, which moves those
messages through the device's MIDI ports (python-rtmidi).

A Novation Launchpad has 8 x 8 pads, so it shows an 8 x 8 :class:`Window` of the button grid
(:mod:`gym_launchpad.grid`), moved a page at a time with its arrow buttons. Pad rows count from the
bottom, like pitch on a piano roll: the bottom pad row is the window's lowest pitch. The right column
is play/pause, agent on/off, record, save, tempo up and tempo down (top to bottom).

The mapping is pure (MIDI messages are lists of ints); only :class:`NovationController` opens ports.
No Launchpad was at hand to verify this: it is tested against a fake Launchpad that speaks the same
messages on JACK ports (``tests/agents/play/test_novation.py``), following the programmer's reference
manuals.

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

import time
from dataclasses import dataclass

from agents.play.session import PlayError
from gym_launchpad.grid import action_button, grid_shape, lit_buttons
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.midi.ports import JACK_DRAIN_S, MidiPortError, candidate_apis, import_rtmidi, resolve_midi_api

# --- the mapping ------------------------------------------------------------------------------------

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

    def buttons_shown(self, spec: LaunchpadSpec) -> tuple[range, range]:
        """The grid rows and columns the pads show (fewer than 8 where the window reaches the grid's edge)."""
        rows, cols = grid_shape(spec)
        return range(self.row, min(self.row + PADS, rows)), range(self.col, min(self.col + PADS, cols))

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


# --- the controller ---------------------------------------------------------------------------------
class NovationController:
    """Connects a session to a Launchpad's MIDI input and output; call :meth:`poll` from the session's loop."""

    def __init__(self, session, midi_in, midi_out, model: Model, port_name: str):
        self.session = session
        self.midi_in, self.midi_out = midi_in, midi_out
        self.model = model
        self.port_name = port_name
        self.window = Window()
        self._shown: dict[int, int] | None = None  # what the LEDs show now, None before the first frame

    @classmethod
    def open(cls, session, port: str | None = None, *, model: str | None = None, api: str | None = None):
        """Open the Launchpad whose MIDI port names contain ``port`` (default: the first Launchpad X or Mini
        MK3 found). ``model`` ("x" or "mini") is told by the port name unless given."""
        try:
            midi_in, midi_out = _open_rtmidi(api)
        except MidiPortError as error:
            raise PlayError(f"cannot reach a Launchpad: {error}") from error
        try:
            hints = [port] if port else [m.port_hint for m in MODELS.values()]
            in_index, in_name = _find_port(midi_in.get_ports(), hints, "output")
            out_index, _ = _find_port(midi_out.get_ports(), hints, "input")
            midi_in.open_port(in_index)
            midi_out.open_port(out_index)
        except BaseException:
            midi_in.delete()
            midi_out.delete()
            raise
        return cls(session, midi_in, midi_out, _model_of(in_name, model), in_name)

    def start(self) -> None:
        """Switch the device to programmer mode and light the LEDs as the session is."""
        self.midi_out.send_message(programmer_mode(self.model))
        self.refresh()

    def poll(self) -> int:
        """Act on every message the device sent since the last poll, then update the LEDs; returns how many acted."""
        acted = 0
        while (message := self.midi_in.get_message()) is not None:
            acted += self.handle(message[0])
        self.refresh()
        return acted

    def handle(self, message) -> bool:
        """One message from the device: a pad presses its grid button, a control runs. Returns whether it acted."""
        event = decode(message)
        if isinstance(event, PadPress):
            button = self.window.button(self.session.spec, event.pad_row, event.pad_col)
            if button is None:
                return False
            self.session.press_button(*button)
        elif isinstance(event, ControlPress):
            if event.name in ("up", "down", "left", "right"):
                self.window = self.window.moved(event.name, self.session.spec)
            else:
                self.session.control(event.name)
        return event is not None

    def refresh(self) -> None:
        """Send the LED messages that differ from what the device shows."""
        session = self.session
        lights = Lights(playing=session.player is not None and not session.paused, agent_on=session.agent_on,
                        recording=session.recording, agent_action=session.last_agent_action)
        frame = led_frame(session.env.state, self.window, lights)
        for message in led_messages(frame, self._shown):
            self.midi_out.send_message(message)
        self._shown = frame

    def close(self) -> None:
        """Turn the LEDs off, give the device back to live mode, and close the ports."""
        if self.midi_out is None:
            return
        for message in led_messages(blank_frame(), self._shown):
            self.midi_out.send_message(message)
        self.midi_out.send_message(programmer_mode(self.model, enable=False))
        # JACK sends in its next process cycles: closing at once would drop these last messages.
        time.sleep(JACK_DRAIN_S)
        for port in (self.midi_in, self.midi_out):
            port.close_port()
            port.delete()
        self.midi_in = self.midi_out = None


def _open_rtmidi(api: str | None):
    """An rtmidi input and output on the first MIDI system that works (``api`` as in
    :mod:`gym_launchpad.midi.ports`)."""
    rtmidi = import_rtmidi()
    failures = []
    for name, value in candidate_apis(rtmidi, resolve_midi_api(api)):
        try:
            midi_in = rtmidi.MidiIn(value, "gym_launchpad")
        except rtmidi.RtMidiError as error:
            failures.append(f"{name}: {error}")
            continue
        try:
            return midi_in, rtmidi.MidiOut(value, "gym_launchpad")
        except rtmidi.RtMidiError as error:
            midi_in.delete()
            failures.append(f"{name}: {error}")
    raise MidiPortError(f"no MIDI system is available ({'; '.join(failures) or 'none compiled in'})")


def _find_port(ports: list[str], hints: list[str], direction: str) -> tuple[int, str]:
    matches = [(i, port) for i, port in enumerate(ports) if any(h.lower() in port.lower() for h in hints)]
    if not matches:
        listed = ", ".join(repr(p) for p in ports) or "there are none"
        raise PlayError(f"no Launchpad MIDI {direction} port matching {' or '.join(map(repr, hints))}; the MIDI "
                        f"{direction} ports are: {listed}. Plug the Launchpad in, or name its port: --launchpad NAME")
    # A Launchpad has a DAW port beside its MIDI port; programmer mode speaks on the MIDI one.
    return min(matches, key=lambda match: not _is_programmer_port(match[1]))


def _is_programmer_port(port_name: str) -> bool:
    return any(model.port_hint.lower() in port_name.lower() for model in MODELS.values())


def _model_of(port_name: str, model: str | None) -> Model:
    if model is not None:
        return MODELS[model]
    for candidate in MODELS.values():
        if candidate.port_hint.lower() in port_name.lower():
            return candidate
    raise PlayError(f"cannot tell which Launchpad {port_name!r} is: pass --launchpad-model ({', '.join(MODELS)})")
