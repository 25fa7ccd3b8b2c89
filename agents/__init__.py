"""Agents that play gym_launchpad: baselines, planners, SB3 DQN with the paper's Q-networks, imitation, the
explorer, evaluation, the toy study and the interactive launchpad. Run from a checkout:
``python -m agents COMMAND --help``.

Module paths of the previous release (``python -m agents.pretrained``, ``agents.composer``,
``agents.dj.train``, ``agents.song_distance``, ``agents.dj_targets``, ``agents.front``) still run, for one
release, from ``old_paths/``: each says its new command and runs it.
"""

import os as _os

__path__.append(_os.path.join(_os.path.dirname(__file__), "old_paths"))  # noqa: F821 (a package's own path)
