"""Agents that play gym_launchpad: SB3 DQN with the paper's Q-networks, baselines, the toy study, and
the interactive launchpad. Run from a checkout: ``python -m agents COMMAND --help``."""
