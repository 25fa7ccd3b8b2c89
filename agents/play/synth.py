"""Where a play session's music goes: the MIDI output port it plays to (one named, a virtual one, or a
FluidSynth this module starts), or nowhere but the recording when there is no MIDI system.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time

from gymnasium.error import DependencyNotInstalled

from agents.play.session import PlayError
from gym_launchpad.midi import find_soundfont
from gym_launchpad.midi.live import (
    MIDI_APIS,
    MidiPlayer,
    MidiPortError,
    RtMidiSink,
    list_output_ports,
    resolve_midi_api,
)


def open_player(spec, stack, *, port: str | None, api: str | None, out, tempo_bpm: float, program: int) -> MidiPlayer:
    """A player (not started) for ``spec`` on the MIDI output ``port`` (None: a virtual port a synth connects
    to). With no MIDI output but an ``out`` file, it keeps time silently for the recording. ``stack`` (an
    ExitStack) stops the player and closes the port when the session ends."""
    try:
        sink = stack.enter_context(RtMidiSink.open(port, api=api))
        print(f"play: playing to MIDI port {sink.port_name!r} ({sink.api})", file=sys.stderr)
    except MidiPortError as error:
        if port is not None or out is None:
            hint = "To record without a MIDI port, leave --port out and give --out song.mid"
            raise PlayError(f"{error}. {hint}") from error
        print(f"play: no MIDI output ({error}); recording to {out} only", file=sys.stderr)
        sink = SilentSink()
    except DependencyNotInstalled as error:
        if out is None:
            raise PlayError(str(error)) from error
        print(f"play: {error}; recording to {out} only", file=sys.stderr)
        sink = SilentSink()
    player = MidiPlayer(spec, sink, tempo_bpm=tempo_bpm, program=program)
    stack.callback(player.stop)
    return player


class SilentSink:
    """A sink for keeping time with no MIDI output: a session recorded to --out only."""

    def send(self, message) -> None:
        pass

    def close(self) -> None:
        pass


#: FluidSynth's MIDI driver for each MIDI system (``fluidsynth -m``).
SYNTH_MIDI_DRIVERS = {"alsa": "alsa_seq", "jack": "jack", "coremidi": "coremidi"}


def start_synth(soundfont, api: str | None, stack, timeout: float = 10.0) -> tuple[str, str]:
    """Start FluidSynth on the first MIDI system that works; returns its MIDI input port and that system.

    It runs until the session ends (``stack`` closes): then it is told to quit on its shell, so the
    player's last notes-off reach it first.
    """
    program = shutil.which("fluidsynth")
    if program is None:
        raise PlayError("--synth needs the fluidsynth program: apt-get install fluidsynth (brew install fluid-synth)")
    try:
        soundfont = find_soundfont(soundfont)
    except FileNotFoundError as error:
        raise PlayError(str(error)) from error
    name = resolve_midi_api(api)
    failures = []
    for system in list(MIDI_APIS) if name == "auto" else [name]:
        try:
            before = set(list_output_ports(system))
            break
        except MidiPortError as error:
            failures.append(str(error))
    else:
        raise PlayError(f"--synth found no MIDI system to connect FluidSynth on: {'; '.join(failures)}")
    # JACK: FluidSynth's audio goes to JACK too, connected to the speakers (-j).
    audio = ["-a", "jack", "-j"] if system == "jack" else []
    log = stack.enter_context(tempfile.TemporaryFile())  # a file, not a pipe: FluidSynth's messages never block it
    synth = subprocess.Popen([program, *audio, "-m", SYNTH_MIDI_DRIVERS[system], str(soundfont)],
                             stdin=subprocess.PIPE, stdout=log, stderr=log)
    stack.callback(_stop_synth, synth)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and synth.poll() is None:
        new = [port for port in list_output_ports(system) if port not in before and "fluid" in port.lower()]
        if new:
            print(f"play: started FluidSynth (pid {synth.pid}) with {soundfont}", file=sys.stderr)
            return new[0], system
        time.sleep(0.1)
    log.seek(0)
    output = log.read().decode(errors="replace").strip()
    raise PlayError(f"FluidSynth did not open a MIDI input on {system} within {timeout:g} s: {output or 'no output'}")


def _stop_synth(synth) -> None:
    try:
        synth.communicate(b"quit\n", timeout=5)
    except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
        synth.kill()
        synth.wait()
