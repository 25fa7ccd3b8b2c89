"""Fixtures shared by every test folder."""

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def jack_server():
    """A private JACK server with the dummy driver for this test session, by name.

    Skipped where jackd or python-rtmidi's JACK support is missing, except in CI (``CI`` set), which
    installs jackd2 and must run the real MIDI port tests.
    """
    rtmidi = pytest.importorskip("rtmidi")
    from gym_launchpad.midi.jack import dummy_jack_server

    missing = None
    if shutil.which("jackd") is None:
        missing = "jackd is not installed (apt-get install jackd2)"
    elif rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        missing = "python-rtmidi was built without JACK support"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}, and CI must run the real MIDI port tests")
        pytest.skip(f"{missing}: the real MIDI port tests need a JACK server")
    with dummy_jack_server() as name:
        yield name


@pytest.fixture
def no_midi_system(monkeypatch):
    """JACK as the MIDI system, with no server running and none to start."""
    rtmidi = pytest.importorskip("rtmidi")
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        pytest.skip("python-rtmidi was built without JACK")
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "gym_launchpad_no_such_server")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")


@pytest.fixture
def pygame_dummy(monkeypatch):
    """pygame drawing off screen: SDL's dummy video driver, set before the display starts."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    try:
        import pygame
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pygame is not installed, and CI must test the window (pip install gym_launchpad[ui])")
        pytest.skip("pygame is not installed (pip install gym_launchpad[ui])")
    yield pygame
    pygame.display.quit()
