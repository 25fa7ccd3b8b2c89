"""MIDI ports: finding the MIDI system (ALSA, JACK or CoreMIDI) and its ports, and opening them.

Everything here goes through python-rtmidi (``pip install gym_launchpad[live]``), imported only when a
port is listed or opened. The MIDI system is ``api=`` where a function takes one, else the environment
variable ``GYM_LAUNCHPAD_MIDI_API``, else the first one compiled into python-rtmidi that works. A port is
named by its full name or by the one port whose name contains it; no name opens a virtual port for other
programs to connect to. :class:`RtMidiSink` is an output port a :class:`~gym_launchpad.midi.live.MidiPlayer`
plays to; :func:`open_clock_input` listens to a port that sends MIDI clock. Every failure is a
:class:`MidiPortError` saying what to do.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence

from gymnasium.error import DependencyNotInstalled

from gym_launchpad.midi.clock import MidiClockIn

#: Environment variable choosing the MIDI system when ``api`` is not given.
MIDI_API_ENV = "GYM_LAUNCHPAD_MIDI_API"

#: MIDI systems by the names users give, with the rtmidi constant of each.
MIDI_APIS = {"alsa": "API_LINUX_ALSA", "jack": "API_UNIX_JACK", "coremidi": "API_MACOSX_CORE"}

#: What to do when a MIDI system does not open, by system.
START_HINTS = {"alsa": "load ALSA's sequencer (sudo modprobe snd-seq)", "jack": "start a JACK server (jackd)",
               "coremidi": "check macOS's Audio MIDI Setup"}

#: The device ALSA's MIDI sequencer opens; missing when the snd-seq kernel module is not loaded.
ALSA_SEQUENCER = "/dev/snd/seq"

#: How long a JACK port is kept open after the last message: a few periods of even a large JACK buffer.
JACK_DRAIN_S = 0.1


class MidiPortError(RuntimeError):
    """No MIDI system, no such port, or a port that cannot be opened; the message says what to do."""


def import_rtmidi():
    try:
        import rtmidi
    except ImportError as error:
        raise DependencyNotInstalled("python-rtmidi is not installed: pip install gym_launchpad[live]") from error
    return rtmidi


def resolve_midi_api(api: str | None = None) -> str:
    """The MIDI system name to use: ``api``, else ``$GYM_LAUNCHPAD_MIDI_API``, else ``"auto"``."""
    name = (api if api is not None else os.environ.get(MIDI_API_ENV, "auto")).strip().lower()
    if name != "auto" and name not in MIDI_APIS:
        source = "api" if api is not None else f"${MIDI_API_ENV}"
        raise ValueError(f"{source} must be one of auto, {', '.join(MIDI_APIS)}; got {name!r}")
    return name


def candidate_apis(rtmidi, name: str) -> list[tuple[str, int]]:
    compiled = rtmidi.get_compiled_api()
    if name == "auto":
        by_value = {getattr(rtmidi, constant): api for api, constant in MIDI_APIS.items()}
        return [(by_value[value], value) for value in compiled if value in by_value]
    value = getattr(rtmidi, MIDI_APIS[name])
    if value not in compiled:
        have = [rtmidi.get_api_name(v) for v in compiled]
        raise MidiPortError(f"this python-rtmidi was built without {name} support; it has: {', '.join(have)}")
    return [(name, value)]


@contextlib.contextmanager
def c_stderr_silenced():
    """File descriptor 2 on ``/dev/null`` while the block runs. ALSA's and JACK's C libraries print their own
    diagnostics there when a client cannot open (ten lines when no MIDI system runs, past Python's
    ``sys.stderr``); the :class:`MidiPortError` raised then says it in one line. The block is one client's
    opening, milliseconds: what another thread writes to stderr meanwhile is lost too."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all (a detached process): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _why_not(name: str, error: Exception) -> str:
    """Why the MIDI system ``name`` did not open, in words a user can act on (rtmidi's are C++ method names)."""
    if name == "alsa" and not os.path.exists(ALSA_SEQUENCER):
        return f"alsa: no sequencer device {ALSA_SEQUENCER}"
    if name == "jack" and "not running" in str(error):
        server = os.environ.get("JACK_DEFAULT_SERVER")
        return f"jack: no JACK server {server!r} is running" if server else "jack: no JACK server is running"
    return f"{name}: {error}"


def midi_system(port_class, api: str | None, client_name: str):
    """An rtmidi ``MidiOut`` or ``MidiIn`` (``port_class``) on the first MIDI system that works, and that
    system's name; else a :class:`MidiPortError` saying, in one line, why each failed and what to do."""
    rtmidi = import_rtmidi()
    failures, hints = [], []
    for name, value in candidate_apis(rtmidi, resolve_midi_api(api)):
        try:
            with c_stderr_silenced():
                return port_class(value, client_name), name
        except rtmidi.RtMidiError as error:
            failures.append(_why_not(name, error))
            hints.append(START_HINTS.get(name, f"start {name}"))
    raise MidiPortError(f"no MIDI system is available ({'; '.join(failures) or 'none compiled in'}): "
                        f"{' or '.join(hints) or 'install python-rtmidi with ALSA or JACK support'}")


def first_midi_system(api: str | None = None) -> tuple[str, list[str]]:
    """The first MIDI system that works (``api``: as :func:`resolve_midi_api`) and its output ports' names."""
    midi_out, name = midi_system(import_rtmidi().MidiOut, api, "gym_launchpad-list")
    try:
        return name, midi_out.get_ports()
    finally:
        midi_out.delete()


def list_output_ports(api: str | None = None) -> list[str]:
    """Names of the MIDI output ports on the chosen MIDI system."""
    return first_midi_system(api)[1]


class RtMidiSink:
    """A MIDI output port through python-rtmidi. Open one with :meth:`open`."""

    def __init__(self, midi_out, port_name: str, api: str):
        self._out = midi_out
        self.port_name = port_name
        self.api = api

    @classmethod
    def open(cls, port_name: str | None = None, *, api: str | None = None, client_name: str = "gym_launchpad",
             virtual_name: str = "out") -> RtMidiSink:
        """Connect to the output port ``port_name``, or open a virtual port other programs connect to.

        ``port_name`` matches a port's full name, or else the one port whose name contains it (case
        does not matter), since ALSA adds client numbers to names. ``api`` is ``"alsa"``, ``"jack"``,
        ``"coremidi"`` or ``"auto"`` (the first that works); it defaults to ``$GYM_LAUNCHPAD_MIDI_API``.
        """
        midi_out, api_name = midi_system(import_rtmidi().MidiOut, api, client_name)
        try:
            if port_name is None:
                try:
                    midi_out.open_virtual_port(virtual_name)
                except import_rtmidi().RtMidiError as error:
                    raise MidiPortError(
                        f"{api_name} cannot open a virtual MIDI port ({error}); name an existing output port: "
                        f"{_describe_ports(midi_out.get_ports())}"
                    ) from error
                return cls(midi_out, f"{client_name}:{virtual_name}", api_name)
            ports = midi_out.get_ports()
            index = match_port(port_name, ports, api_name)
            midi_out.open_port(index, virtual_name)  # our end named as a virtual port is: others can listen in
            return cls(midi_out, ports[index], api_name)
        except BaseException:
            midi_out.delete()
            raise

    def send(self, message: Sequence[int]) -> None:
        self._out.send_message(message)

    def close(self) -> None:
        if self._out is not None:
            if self.api == "jack":
                # JACK sends on its next process cycles: closing at once would drop the last notes-off.
                time.sleep(JACK_DRAIN_S)
            self._out.close_port()
            self._out.delete()
            self._out = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"RtMidiSink({self.port_name!r}, api={self.api!r})"


def _describe_ports(ports: list[str]) -> str:
    return ", ".join(repr(p) for p in ports) if ports else "there are none"


def match_port(port_name: str, ports: list[str], api_name: str) -> int:
    if port_name in ports:
        return ports.index(port_name)
    matches = [i for i, port in enumerate(ports) if port_name.lower() in port.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise MidiPortError(
            f"MIDI output port {port_name!r} is ambiguous on {api_name}: it matches "
            f"{_describe_ports([ports[i] for i in matches])}; give more of the name"
        )
    raise MidiPortError(
        f"no MIDI output port {port_name!r} on {api_name}; the output ports are: {_describe_ports(ports)}. "
        f"Give one of these, or no name to open a virtual port"
    )


def open_clock_input(port_name: str | None = None, *, api: str | None = None,
                     client_name: str = "gym_launchpad-clock", virtual_name: str = "in") -> MidiClockIn:
    """A :class:`~gym_launchpad.midi.clock.MidiClockIn` listening to the MIDI output port ``port_name`` that
    sends the clock (matched as in :meth:`RtMidiSink.open`), or to a virtual input port it opens for the
    clock's sender to connect to (``gym_launchpad-clock:in``: a client of its own, as JACK renames a second
    client of one name). Close it with ``close()`` or a ``with`` block."""
    rtmidi = import_rtmidi()
    midi_in, api_name = midi_system(rtmidi.MidiIn, api, client_name)
    try:
        if port_name is None:
            try:
                midi_in.open_virtual_port(virtual_name)
            except rtmidi.RtMidiError as error:
                raise MidiPortError(f"{api_name} cannot open a virtual MIDI port ({error}); name the port that "
                                    "sends the clock") from error
            name = f"{client_name}:{virtual_name}"
        else:
            ports = midi_in.get_ports()
            index = match_port(port_name, ports, api_name)
            midi_in.open_port(index)
            name = ports[index]
        clock = MidiClockIn()
        clock.listen_to(midi_in, name)
        return clock
    except BaseException:
        midi_in.delete()
        raise
