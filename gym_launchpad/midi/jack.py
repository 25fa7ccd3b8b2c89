"""A private JACK server with the dummy (no sound card) driver: for tests, benchmarks and machines without
a sound card, where JACK carries MIDI between the player, a synth and a reader in real time."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid

from gym_launchpad.midi.ports import c_stderr_silenced, import_rtmidi


@contextlib.contextmanager
def dummy_jack_server(name: str | None = None, *, sample_rate: int = 48000, period: int = 64, timeout: float = 10.0):
    """Run ``jackd`` with its dummy (no sound card) driver while the block runs; yields the server name.

    ``JACK_DEFAULT_SERVER`` points at it inside the block, so every JACK client (python-rtmidi with
    ``api="jack"``) of this process connects to it.
    """
    jackd = shutil.which("jackd")
    if jackd is None:
        raise FileNotFoundError("jackd is not installed: apt-get install jackd2 (or brew install jack)")
    name = name or f"gym_launchpad_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    saved = {key: os.environ.get(key) for key in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: jackd's xrun messages must never block it
        server = subprocess.Popen([jackd, "--realtime", "--sync", "--name", name, "-d", "dummy", "-r", str(sample_rate),
                                   "-p", str(period)], stdout=log, stderr=subprocess.STDOUT)
        try:
            os.environ["JACK_DEFAULT_SERVER"] = name
            # A client must never autostart a second server with the default (sound card) driver.
            os.environ["JACK_NO_START_SERVER"] = "1"
            if not _wait_for_jack(name, server, timeout):
                log.seek(0)
                raise RuntimeError(f"jackd did not start within {timeout} s:\n{log.read().decode(errors='replace')}")
            yield name
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            server.terminate()
            try:
                server.wait(timeout)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_for_jack(name: str, server: subprocess.Popen, timeout: float) -> bool:
    """Whether the server ``name`` accepts clients within ``timeout`` (``JACK_*`` already set)."""
    jack_wait = shutil.which("jack_wait")
    if jack_wait is not None:
        done = subprocess.run([jack_wait, "--server", name, "--wait", "--timeout", str(max(1, round(timeout)))],
                              capture_output=True, text=True)
        return done.returncode == 0 and "available" in done.stdout and server.poll() is None
    rtmidi = import_rtmidi()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with c_stderr_silenced():  # libjack prints five lines for each try before the server is up
                rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "gym_launchpad-probe").delete()
            return True
        except rtmidi.RtMidiError:
            time.sleep(0.1)
    return False
