"""Planners: policies that act by searching in the env as a simulator (labelled ``planner = True``).

``PLANNERS[name](env, seed=None, **options)`` builds one with the ``predict`` interface of the baselines:
- ``beam``: beam search over presses (``width``, ``depth``);
- ``anneal``: the paper's MCMC annealing in a simulator, then a walk to the best bar found
  (``sweeps``, ``beta_start``, ``beta_end``);
- ``navigator``: a walk to the cheapest-to-reach corpus bar at the ceiling (``max_targets``).
"""

from agents.planners import anneal, beam, navigator

PLANNERS = {"beam": beam.make, "anneal": anneal.make, "navigator": navigator.make}
