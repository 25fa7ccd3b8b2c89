"""Beam search over presses: the ``width`` nearest bars at each depth, ``depth`` presses ahead.

From the env's state, every bar in the beam is expanded by all its presses, scored by the simulator's
one-step lookahead (:meth:`LaunchpadEnv.distances_after_each_action`, in a second env reset to that
bar's state), and the ``width`` nearest distinct new states form the next beam. The planner then presses
its way to the nearest bar seen at any depth (the shallowest of the nearest), and plans again from
there. When no bar within reach is nearer than the current one, it presses the no-op and remembers that
state, so a settled episode costs nothing more.
"""

from __future__ import annotations

import numpy as np

from agents.planners.planner import Option, Planner, state_key

#: The beam's defaults, and the most bars one search may expand: it expands at most ``width`` bars at each of
#: ``depth`` levels, each by every press, so a press costs about ``width * depth`` lookaheads. Measured on the
#: shipped corpus (2 busy cores): 256x4 took 2.0-2.9 s for its first press, 128x8 2.2 s, 16x64 and 1x1024 1.9 s,
#: 1024x2 0.6 s (the first level holds at most the 312 presses' bars); 512x4 (refused) took 3.5 s.
DEFAULT_WIDTH, DEFAULT_DEPTH, MAX_WIDTH_X_DEPTH = 16, 4, 1024
#: The options of ``beam:...``: each bounded by :data:`MAX_WIDTH_X_DEPTH` alone, and together by :func:`check`.
OPTIONS = {"width": Option(int, 1, MAX_WIDTH_X_DEPTH, f"and width x depth at most {MAX_WIDTH_X_DEPTH}: "
                                                      "256x4 took up to 2.9 s a press here"),
           "depth": Option(int, 1, MAX_WIDTH_X_DEPTH, f"and width x depth at most {MAX_WIDTH_X_DEPTH}: "
                                                      "16x64 took 1.9 s a press here")}


def check(options: dict) -> None:
    """One ValueError when ``width * depth`` (each given or its default) passes :data:`MAX_WIDTH_X_DEPTH`."""
    width, depth = options.get("width", DEFAULT_WIDTH), options.get("depth", DEFAULT_DEPTH)
    if width * depth > MAX_WIDTH_X_DEPTH:
        given = ", ".join(f"{key}={value}" + ("" if key in options else " (its default)")
                          for key, value in (("width", width), ("depth", depth)))
        raise ValueError(f"beam options {given} search up to {width * depth} bars a press; "
                         f"width x depth is at most {MAX_WIDTH_X_DEPTH} (256x4 took up to 2.9 s a press here)")


class BeamSearch(Planner):
    """Receding-horizon beam search: plan ``depth`` presses with a beam of ``width``, walk the plan, replan."""

    name = "beam"

    def __init__(self, env, width: int = DEFAULT_WIDTH, depth: int = DEFAULT_DEPTH):
        super().__init__(env)
        if width < 1 or depth < 1:
            raise ValueError(f"beam width and depth must be at least 1, got width={width}, depth={depth}")
        self.width, self.depth = int(width), int(depth)
        self.sim = self.simulator()
        self._plan: list[int] = []
        self._expected: bytes | None = None  # the state the next planned press starts from
        self._settled: set[bytes] = set()  # states from which no plan found a nearer bar

    def act(self) -> int:
        state = self.env.state
        key = state_key(state)
        if not (self._plan and key == self._expected):
            self._plan = [] if key in self._settled else self.search(state)
            if not self._plan:
                self._settled.add(key)
                return self.noop_action
        action = self._plan.pop(0)
        after = state.copy()
        after.apply(action)
        self._expected = state_key(after)
        return action

    def search(self, state) -> list[int]:
        """The presses to the nearest bar the beam finds from ``state``; empty when none is nearer than it."""
        sim, n_presses = self.sim, self.spec.n_actions - 1  # the no-op never leads anywhere new
        best_distance, best_path = sim.reset(options={"state": state})[1]["distance"], []
        beam = [(state, [])]
        seen = {state_key(state)}
        for _ in range(self.depth):
            distances = np.empty((len(beam), n_presses), dtype=np.int64)
            for i, (node, _) in enumerate(beam):
                sim.reset(options={"state": node})
                distances[i] = sim.distances_after_each_action()[:n_presses]
            # Nearest first; ties to the earlier beam entry, then the lower action: a deterministic search.
            order = np.argsort(distances, axis=None, kind="stable")
            next_beam = []
            for flat in order:
                if len(next_beam) == self.width:
                    break
                i, action = divmod(int(flat), n_presses)
                child = beam[i][0].copy()
                child.apply(action)
                key = state_key(child)
                if key in seen:
                    continue
                seen.add(key)
                path = beam[i][1] + [action]
                next_beam.append((child, path))
                if distances[i, action] < best_distance:
                    best_distance, best_path = int(distances[i, action]), path
            beam = next_beam
        return best_path


def make(env, seed=None, width: int = DEFAULT_WIDTH, depth: int = DEFAULT_DEPTH) -> BeamSearch:
    """A beam search for ``env`` (deterministic: ``seed`` is accepted for the registry and unused)."""
    return BeamSearch(env, width=width, depth=depth)
