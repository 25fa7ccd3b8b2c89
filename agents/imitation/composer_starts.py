"""What the composer's training plays: its corpus, where its episodes start and how long they may run; both of
its heads (the press, :mod:`agents.imitation.composer`, and the walk, :mod:`agents.imitation.composer_walk`)
train on these.
"""

from __future__ import annotations

import numpy as np

from agents import starts
from agents.dqn.presets import get_preset
from agents.planners.navigator import ceiling_bars
from gym_launchpad.corpus.keys import in_all_keys

#: The start families of training (:class:`agents.starts.StartFamily`), by name.
TRAINING_FAMILIES = {family.name: family for family in (
    starts.StartFamily("triad", init="triad"),
    starts.StartFamily("random", init="random"),
    starts.StartFamily("empty", init="empty"),
    starts.StartFamily("ceiling", base="ceiling", presses=1, max_presses=6),
    starts.StartFamily("corpus", base="corpus", presses=1, max_presses=60),
    starts.StartFamily("key", base="key"),
)}

#: Where each demonstration or DAgger episode starts, and how often: the env's three start distributions,
#: and "ceiling", a bar of the ceiling with a few random presses (the teacher's last steps, and staying).
#: Random launchpads get a large share: their walks are three times as long as a triad's and cross states no
#: triad start comes near, so a student trained mostly on triads gets lost from them.
START_MIX = {"triad": 0.1, "random": 0.3, "empty": 0.05, "ceiling": 0.15, "corpus": 0.3, "key": 0.1}

#: An episode ends one step after the teacher stops, or when it has taken twice the teacher's walk from its
#: start plus this many presses: long enough to wander and be brought back, short enough that a student's
#: dithering does not fill the data.
SLACK_PRESSES = 8

PRESET_NAME = "mlp"


def start_mix(corpus, mix: dict[str, float] | None = None):
    """``start(env, rng, episode, round_)`` for :class:`agents.imitation.dagger.Task`: a family of
    :data:`START_MIX` drawn by its weight, its start drawn from a seed in :data:`starts.TRAINING_SEEDS`."""
    mix = START_MIX if mix is None else mix
    families = [TRAINING_FAMILIES[name] for name in mix]
    weights = np.array(list(mix.values()), dtype=np.float64)
    weights /= weights.sum()
    ceiling = ceiling_bars(corpus)

    def start(env, rng: np.random.Generator, episode: int, round_: int):
        family = families[rng.choice(len(families), p=weights)]
        seed = int(rng.integers(*starts.TRAINING_SEEDS))
        state = family.state(corpus, np.random.default_rng(seed), ceiling)
        return env.reset(seed=seed, options={"state": state})[0]
    return start


def episode_budget(teacher) -> int:
    """Twice the teacher's walk from the start plus :data:`SLACK_PRESSES`."""
    return 2 * teacher.length() + SLACK_PRESSES


def training_corpus(path: str | None, all_keys: bool = False):
    """The corpus at ``path`` (None: the shipped Bach chorales), in all 12 keys with ``all_keys`` (as an env's
    ``all_keys=True`` makes it: the same bars, the same hash)."""
    corpus = get_preset(PRESET_NAME).load_corpus(path)
    return in_all_keys(corpus) if all_keys else corpus
