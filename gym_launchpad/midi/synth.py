"""FluidSynth as a MIDI port to play to: the ``fluidsynth`` program started on a MIDI system with a General
MIDI soundfont, found by its new input port, and told to quit when done (:class:`FluidSynth`)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from gym_launchpad.midi.ports import MidiPortError, first_midi_system, list_output_ports
from gym_launchpad.midi.write import find_soundfont

#: FluidSynth's MIDI driver for each MIDI system (``fluidsynth -m``).
SYNTH_MIDI_DRIVERS = {"alsa": "alsa_seq", "jack": "jack", "coremidi": "coremidi"}


class SynthError(RuntimeError):
    """FluidSynth is missing or did not start; the message says why and what to do."""


class FluidSynth:
    """A running ``fluidsynth`` program: ``port`` is its MIDI input (an output port to us), on ``api``."""

    def __init__(self, process: subprocess.Popen, port: str, api: str, soundfont: Path, log):
        self.process, self.port, self.api, self.soundfont = process, port, api, soundfont
        self._log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(cls, soundfont=None, api: str | None = None, timeout: float = 10.0) -> FluidSynth:
        """Start FluidSynth on the first MIDI system that works (``api``: as :func:`resolve_midi_api`); on JACK
        its audio goes to JACK too, connected to the speakers. ``soundfont`` defaults to a system General MIDI
        one (:func:`~gym_launchpad.midi.write.find_soundfont`). Raises :class:`SynthError`."""
        program = shutil.which("fluidsynth")
        if program is None:
            raise SynthError("the fluidsynth program is not installed: apt-get install fluidsynth "
                             "(brew install fluid-synth)")
        try:
            soundfont = find_soundfont(soundfont)
        except FileNotFoundError as error:
            raise SynthError(str(error)) from error
        try:
            system, ports = first_midi_system(api)
        except MidiPortError as error:  # it says which MIDI systems failed, why, and what to do
            raise SynthError(str(error)) from error
        before = set(ports)
        audio = ["-a", "jack", "-j"] if system == "jack" else []
        log = tempfile.TemporaryFile()  # a file, not a pipe: FluidSynth's messages never block it
        process = subprocess.Popen([program, *audio, "-m", SYNTH_MIDI_DRIVERS[system], str(soundfont)],
                                   stdin=subprocess.PIPE, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            new = [port for port in list_output_ports(system) if port not in before and "fluid" in port.lower()]
            if new:
                return cls(process, new[0], system, soundfont, log)
            time.sleep(0.1)
        synth = cls(process, "", system, soundfont, log)
        output = synth.close()
        raise SynthError(f"FluidSynth did not open a MIDI input on {system} within {timeout:g} s: "
                         f"{output or 'no output'}")

    def close(self) -> str:
        """Tell FluidSynth to quit on its shell (so the notes-off sent before reach it first); returns what it
        printed."""
        if self.process.poll() is None:
            try:
                self.process.communicate(b"quit\n", timeout=5)
            except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
                self.process.kill()
                self.process.wait()
        if self._log.closed:
            return ""
        self._log.seek(0)
        output = self._log.read().decode(errors="replace").strip()
        self._log.close()
        return output

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
