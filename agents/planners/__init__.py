"""Planners: policies that act by searching in the env as a simulator (the registry, :mod:`agents.policies`,
labels them ``planner``).

Each module's ``make(env, seed=None, **options)`` builds one with the ``predict`` interface of the baselines,
and its ``OPTIONS`` declares the options, typed and bounded:
- ``beam``: beam search over presses (``width``, ``depth``);
- ``anneal``: the paper's MCMC annealing in a simulator, then a walk to the best bar found
  (``sweeps``, ``beta_start``, ``beta_end``);
- ``navigator``: a walk to the cheapest-to-reach corpus bar at the ceiling (``max_targets``);
- ``follower``: the DJ task's planner of 24 presses a bar, following the chorales bar by bar (``radius``);
- ``hopper``: the DJ task's planner of one press a bar, from corpus bar to corpus bar (``radius``,
  ``novelty_weight``).
"""
