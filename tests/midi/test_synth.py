"""FluidSynth with no MIDI system to listen on: what a person sees in a shell, the process's stderr with the C
libraries' included, is one line naming the cause and what to do."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

START = """\
import sys
from gym_launchpad.midi.synth import FluidSynth, SynthError
try:
    FluidSynth.start().close()
except SynthError as error:
    print(f"--synth: {error}", file=sys.stderr)
"""


@pytest.mark.parametrize("api", ["jack", "auto"])
def test_without_a_midi_system_starting_fluidsynth_is_one_line_saying_why_and_what_to_do(api):
    rtmidi = pytest.importorskip("rtmidi")
    if shutil.which("fluidsynth") is None:
        if os.environ.get("CI"):
            pytest.fail("fluidsynth is not installed, and CI must test it (apt-get install fluidsynth)")
        pytest.skip("fluidsynth is not installed (apt-get install fluidsynth)")
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        pytest.skip("python-rtmidi was built without JACK")
    if api == "auto" and os.path.exists("/dev/snd/seq"):
        pytest.skip("ALSA's sequencer runs here: there is a MIDI system to start FluidSynth on")
    server = f"gym_launchpad_none_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "GYM_LAUNCHPAD_MIDI_API": api, "JACK_DEFAULT_SERVER": server, "JACK_NO_START_SERVER": "1",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", START], env=env, capture_output=True, text=True, timeout=60)
    # It was ten lines of ALSA's and JACK's own, then one of ~900 characters that said "no MIDI system" three
    # times and blamed CoreMIDI, which Linux never has.
    (line,) = done.stderr.splitlines()
    assert line.startswith("--synth: no MIDI system is available (")
    assert f"jack: no JACK server '{server}' is running" in line and line.endswith("start a JACK server (jackd)")
    assert "coremidi" not in line
    if api == "auto" and rtmidi.API_LINUX_ALSA in rtmidi.get_compiled_api():
        assert "alsa: no sequencer device /dev/snd/seq" in line and "sudo modprobe snd-seq" in line
