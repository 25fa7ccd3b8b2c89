"""Fixtures for the MIDI tests: an input port on the private JACK server that reads back what was sent."""

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


class PortReader:
    """An rtmidi input port read by polling, so no Python runs on JACK's thread; times are JACK's own."""

    def __init__(self, client_name):
        import rtmidi

        self.port = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, client_name, queue_size_limit=1 << 16)

    def read(self):
        """``(seconds since the first message, message)`` of everything received so far."""
        received, clock = [], 0.0
        while (item := self.port.get_message()) is not None:
            message, delta = item
            clock += delta
            received.append((clock, tuple(message)))
        return received

    def close(self):
        self.port.close_port()
        self.port.delete()


@pytest.fixture
def port_reader(jack_server):
    """Makes a :class:`PortReader` JACK client by name (not yet connected); each is closed after the test."""
    readers = []

    def make(client_name):
        readers.append(PortReader(client_name))
        return readers[-1]

    yield make
    for reader in readers:
        reader.close()


@pytest.fixture
def benchmark_script():
    """Loads a script of benchmarks/ by name, as it runs alone (it is no package module)."""
    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load
