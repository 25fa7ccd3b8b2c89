"""A Novation Launchpad as the controller: the pure mapping of the button grid onto its pads and LEDs, and the
controller against a fake Launchpad that speaks the same messages on JACK ports."""

import re
import threading
import time

import pytest

from agents.play import cli
from agents.play.novation import (
    COLORS,
    MODELS,
    PADS,
    ControlPress,
    Lights,
    NovationController,
    PadPress,
    Window,
    blank_frame,
    decode,
    led_frame,
    led_messages,
    note_pad,
    pad_note,
    programmer_mode,
)
from agents.play.session import PlayError
from gym_launchpad.grid import button_action
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState

SPEC = LaunchpadSpec()


# --- the mapping ------------------------------------------------------------------------------------
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


def test_buttons_shown_are_the_pads_buttons_cut_at_the_grid_edge():
    assert Window().buttons_shown(SPEC) == (range(0, 8), range(0, 8))
    top_right = Window().moved("up", SPEC).moved("up", SPEC).moved("right", SPEC)
    rows, cols = top_right.buttons_shown(SPEC)
    assert (rows, cols) == (range(16, 24), range(5, 13))
    under_pads = {top_right.button(SPEC, r, c) for r in range(PADS) for c in range(PADS)}
    assert under_pads == {(r, c) for r in rows for c in cols}
    assert Window().buttons_shown(LaunchpadSpec(n_notes=3, bar_bits=2, low_note=60)) == (range(0, 3), range(0, 5))


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


# --- the controller ---------------------------------------------------------------------------------
class FakeLaunchpad:
    """A Launchpad X as its MIDI ports look: it keeps the mode and the LED colours it is sent, and presses pads.

    Like the device, it also has a DAW port pair, which programmer mode does not use: what arrives there
    is kept in ``daw``.
    """

    def __init__(self):
        import rtmidi

        self.sysex = []
        self.leds = {}
        self.daw = []
        self._lock = threading.Lock()
        self._daw_out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._daw_out.open_virtual_port("LPX DAW Out")
        self._daw_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._daw_in.ignore_types(sysex=False)
        self._daw_in.open_virtual_port("LPX DAW In")
        self._daw_in.set_callback(lambda event, _: self.daw.append(event[0]))
        self._out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._out.open_virtual_port("LPX MIDI Out")
        self._in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "Launchpad X")
        self._in.ignore_types(sysex=False)
        self._in.open_virtual_port("LPX MIDI In")
        self._in.set_callback(self._receive)

    def _receive(self, event, _):
        message = event[0]
        with self._lock:
            if message[0] == 0xF0:
                self.sysex.append(message)
            elif message[0] in (0x90, 0xB0):
                self.leds[message[1]] = message[2]

    @property
    def mode(self):
        """The last mode SysEx it was sent, or None."""
        return self.sysex[-1] if self.sysex else None

    def press_pad(self, pad_row, pad_col):
        self._out.send_message([0x90, pad_note(pad_row, pad_col), 100])
        self._out.send_message([0x90, pad_note(pad_row, pad_col), 0])

    def press_button(self, cc):
        self._out.send_message([0xB0, cc, 127])
        self._out.send_message([0xB0, cc, 0])

    def close(self):
        for port in (self._in, self._out, self._daw_in, self._daw_out):
            port.close_port()
            port.delete()


def settle(controller, condition, timeout=2.0):
    """Poll the controller until ``condition()`` holds (messages cross JACK in a period or two)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        controller.poll()
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.jack
def test_a_launchpad_presses_buttons_pages_and_shows_the_state(jack_server, session):
    device = FakeLaunchpad()
    controller = NovationController.open(session, api="jack")
    try:
        assert controller.model == MODELS["x"]
        controller.start()
        assert settle(controller, lambda: device.mode is not None and len(device.leds) == 74)
        assert device.mode == programmer_mode(MODELS["x"])
        lights = Lights(playing=False, agent_on=True, recording=True)  # a session with no player
        assert device.leds == led_frame(session.env.state, Window(), lights)  # LEDs light as the state is

        before = session.lit().copy()
        device.press_pad(2, 3)  # grid button (2, 3): toggle pattern 3 of the third pitch
        assert settle(controller, lambda: session.last_human_action is not None)
        assert session.last_human_action == button_action(session.spec, 2, 3)
        assert session.lit()[2, 3] != before[2, 3]
        assert settle(controller, lambda: device.leds[pad_note(2, 3)] == (COLORS["toggle_on"] if session.lit()[2, 3]
                                                                           else COLORS["toggle_off"]))

        device.press_button(91)  # up: pitches 8..15
        device.press_button(94)  # right: grid columns 5..12
        assert settle(controller, lambda: controller.window == Window(8, 5))
        device.press_pad(1, 7)  # grid button (9, 12): row 9's offset += 32
        offset = int(session.env.state.offsets[9])
        assert settle(controller, lambda: session.env.state.offsets[9] == (offset + 32) % 64)
        assert settle(controller, lambda: device.leds == led_frame(session.env.state, Window(8, 5), lights))

        device.press_button(79)  # the agent's switch
        assert settle(controller, lambda: not session.agent_on)
        assert settle(controller, lambda: device.leds[79] == COLORS["control_off"])
    finally:
        controller.close()
        time.sleep(0.1)
        device.close()
    assert device.mode == programmer_mode(MODELS["x"], enable=False)
    assert set(device.leds.values()) == {0}


@pytest.mark.jack
def test_the_play_command_drives_a_launchpad(jack_server, tmp_path, synthetic_corpus_path, capsys, fast_bpm):
    device = FakeLaunchpad()
    try:
        assert cli.main(["--headless", "--launchpad", "Launchpad X", "--bars", "2", "--bpm", str(fast_bpm),
                          "--api", "jack", "--out", str(tmp_path / "pads.mid"), "--agent", "noop",
                          "--corpus", synthetic_corpus_path]) == 0
        time.sleep(0.1)
    finally:
        device.close()
    # JACK numbers clients of one name: the fake's four ports are "Launchpad X", "Launchpad X-01", ...
    assert re.search(r"Launchpad X on 'Launchpad X[-0-9]*:LPX MIDI Out' is the controller", capsys.readouterr().err)
    assert device.sysex == [programmer_mode(MODELS["x"]), programmer_mode(MODELS["x"], enable=False)]
    assert set(device.leds.values()) == {0}
    assert device.daw == []  # "Launchpad X" names both port pairs; the MIDI pair is the one used


@pytest.mark.jack
def test_no_launchpad_is_one_clear_message(jack_server, session):
    with pytest.raises(PlayError, match="no Launchpad MIDI output port matching 'LPX MIDI' or 'LPMiniMK3 MIDI'"):
        NovationController.open(session, api="jack")


def test_a_launchpad_without_a_midi_system_is_one_clear_message(no_midi_system, session):
    with pytest.raises(PlayError, match="cannot reach a Launchpad: no MIDI system is available"):
        NovationController.open(session, api="jack")
