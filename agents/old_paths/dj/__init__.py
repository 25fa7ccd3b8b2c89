"""``agents.dj`` of the previous release: the DJ task's planner is in :mod:`agents.planners.hopper`, its learned
agent in :mod:`agents.imitation.dj_policy`, trained by ``python -m agents dj-train``."""
