"""Agents for ``gym_launchpad/LaunchpadDJ-v0``: the hopper planner and the learned dj agent."""
