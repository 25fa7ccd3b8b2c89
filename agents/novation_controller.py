"""A Novation Launchpad (X or Mini MK3) as the controller of a play session, through python-rtmidi.

The pads press the buttons of an 8 x 8 window of the launchpad's button grid and their LEDs show the
state; the arrows move the window a page; the right column is play/pause, agent on/off, record, save,
tempo up and tempo down (top to bottom). The mapping itself is pure and lives in
:mod:`gym_launchpad.novation`; this module only moves its messages through the device's MIDI ports.

No Launchpad was at hand to verify this: it is tested against a fake Launchpad that speaks the same
messages on JACK ports (``tests/agents/test_play.py``), following the programmer's reference manuals.
"""

from __future__ import annotations

import time

from gym_launchpad.novation import (
    MODELS,
    ControlPress,
    Lights,
    Model,
    PadPress,
    Window,
    blank_frame,
    decode,
    led_frame,
    led_messages,
    programmer_mode,
)


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
        from agents.play import PlayError
        from gym_launchpad.live import MidiPortError

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
        from agents.play import run_control

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
                run_control(self.session, event.name)
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
        from gym_launchpad.live import JACK_DRAIN_S

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
    """An rtmidi input and output on the first MIDI system that works (``api`` as in :mod:`gym_launchpad.live`)."""
    from gym_launchpad.live import MidiPortError, candidate_apis, import_rtmidi, resolve_midi_api

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
        from agents.play import PlayError

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
    from agents.play import PlayError

    raise PlayError(f"cannot tell which Launchpad {port_name!r} is: pass --launchpad-model ({', '.join(MODELS)})")
