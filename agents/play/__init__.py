"""The interactive launchpad, played by you and an agent together (``python -m agents play``, docs/play.md).

- :mod:`agents.play.session`: the play session (the agent, the env, the live player, the recording);
- :mod:`agents.play.window`: the pygame window and its controls;
- :mod:`agents.play.synth`: where the music goes (a MIDI output port, or a FluidSynth it starts);
- :mod:`agents.play.novation`: a Novation Launchpad as the controller;
- :mod:`agents.play.cli`: the command.
"""
