"""Where a play session's music goes: the MIDI output port it plays to (one named, a virtual one, or a
FluidSynth this module starts), or nowhere but the recording when there is no MIDI system.
"""

from __future__ import annotations

import sys

from gymnasium.error import DependencyNotInstalled

from agents.play.session import PlayError
from gym_launchpad.midi.live import MidiPlayer, SilentSink
from gym_launchpad.midi.ports import MidiPortError, RtMidiSink
from gym_launchpad.midi.synth import FluidSynth, SynthError


def open_player(spec, stack, *, port: str | None, api: str | None, out, tempo_bpm: float, program: int,
                clock=None, send_clock: bool = False, cells: str = "sounding", release=None) -> MidiPlayer:
    """A player (not started) for ``spec`` on the MIDI output ``port`` (None: a virtual port a synth connects
    to). With no MIDI output but an ``out`` file, it keeps time silently for the recording. ``stack`` (an
    ExitStack) stops the player and closes the port when the session ends. ``clock`` and ``send_clock``: as
    :class:`~gym_launchpad.midi.live.MidiPlayer`'s. ``cells`` (the corpus's: ``"onsets"`` on the DJ task) and
    ``release`` (None: the default :class:`~gym_launchpad.midi.Release`) make struck pads sound live exactly as
    the recording's MIDI file writes them."""
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
    player = MidiPlayer(spec, sink, tempo_bpm=tempo_bpm, program=program, clock=clock, send_clock=send_clock,
                        cells=cells, release=release)
    stack.callback(player.stop)
    return player


def start_synth(soundfont, api: str | None, stack, timeout: float = 10.0) -> tuple[str, str]:
    """Start FluidSynth (:class:`~gym_launchpad.midi.synth.FluidSynth`); returns its MIDI input port and MIDI
    system. It runs until the session ends (``stack`` closes): then it quits, after the player's last notes-off."""
    try:
        synth = FluidSynth.start(soundfont, api, timeout)
    except SynthError as error:
        raise PlayError(f"--synth: {error}") from error
    stack.callback(synth.close)
    print(f"play: started FluidSynth (pid {synth.pid}) with {synth.soundfont}", file=sys.stderr)
    return synth.port, synth.api
