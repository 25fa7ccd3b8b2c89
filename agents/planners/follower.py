"""The follower: a DJ planner that plays the chorales on, bar by bar, walking to each bar within one bar's presses.

On ``LaunchpadDJ-v0`` with several presses a bar (``presses_per_bar``, 24 by default) a walk has time to reach
the bar a chorale plays next. At each bar line the follower picks a target corpus bar and walks to its best
launchpad rendering (:class:`~agents.planners.hopper.TargetTable`: per row the nearest (mask, offset), the
presses a sum of per-row minima), one press a step, lowest action first, then presses nothing until the bar
line. The target is a new bar (not played in the env's last ``memory`` bars: its age) rendered within the env's
``arrival_radius`` cells and reachable within the bar's presses, and in the key the follower hears
(:mod:`agents.planners.keys`: the heard bar and the bars played since the last bar line that played none) where
it can be. A bar is *in the key* when at least :data:`KEY_SHARES` of its struck notes lie in the key's scale
(major, or harmonic minor), and *keeps* it when the key read at the next bar line, after it, is still that key.
In every rule but the last a bar is taken only if it arrives: the walk's end is heard nearest to a new bar (a
rendering may be as near to a bar played recently as to its own); a bar that keeps the key must keep it as the walk
renders it (the key read after the walk's end heard and its nearest bar played). In order:

1. of the bars in the key that keep it (at least 90% of their notes in the scale, then at least 80%): the bar
   that follows the bar just heard in its chorale (the heard bar's nearest corpus bar, then the same source's
   next bar number), else one whose struck pitch classes differ from the heard bar's (the harmony moves), then
   the best rendered, then the fewest presses away;
2. after a bar line that played no corpus bar (a person's bar, or the start), when no such bar is within the
   bar's presses: the new bar in the key that keeps it fewest presses away within two bars' presses whose walk
   reads in the key at the next bar line (its first bar of presses), so that the key a person sets survives the
   walk;
3. a replay that keeps the key: a bar in the key (90%, then 80%) played in the memory but not at the last
   :data:`REPLAY_AGE` bar lines (never the bar just heard, no A-B-A), rendered within ``arrival_radius`` and
   reachable, that keeps the key as rendered: the longest unplayed first (the highest age), then the best
   rendered, then the fewest presses away; only while fewer than :data:`REPLAY_SHARE` of the bar lines in the
   memory played no new bar (:func:`replays`). A musician who set the key wants it kept more than
   novelty: a key of few chorale bars (C# and F# major, Eb, F, Ab and Bb minor have 10-26 rendered within 6
   cells) runs out of new ones within 32 bars;
4. else rule 1's order over the new bars in the key that do not keep it (90%, then 80%), then a replay in the key
   (rule 3's order, keeping it or not, with no limit), then rule 1's order over every new bar rendered within
   ``arrival_radius`` and reachable;
5. else the new bar fewest presses away (any bar, when none is new).

A replayed bar counts as played for the key (:class:`~agents.planners.keys.KeyTracker` reads the bars since the
youngest age no corpus bar has; a replay of age ``a`` leaves that age empty, but rule 3 replays the oldest bar in
the key, so what it forgets is the oldest and least weighed).

Before issue #22 the follower asked no key (rules 1 and 4 without it): from a triad in each of the 24 keys its next
32 bars stayed in the key in 4 keys; keeping the key it hears (rules 1, 2 and 4) in 17 (``python -m agents jam``),
18 (``dj_key_fit.py``'s triads; 16-18 on other draws), 16 mid-song (``--after 60``); with the replays of rule 3, the
rendered key test and the key estimate's ``DECAY`` 0.85 in 21 (jam), 20-21 (``dj_key_fit.py``, five draws), 20
mid-song. 24 on the corpus in all 12 keys (``agents/results/all_keys/README.md``).

The choice is a function of what the DJ observation shows: the heard bar's state (its toggles), the ages
and the press phase; the walk is a function of the state and the target. So a network can imitate it from
the observation alone (:mod:`agents.imitation.dj`). It reads the env's state and ages, and the env's own
distances, never a copy of its dynamics.
"""

from __future__ import annotations

import numpy as np

from agents.planners.hopper import TargetTable
from agents.planners.keys import KeyTracker
from agents.planners.planner import Option
from gym_launchpad.launchpad import LaunchpadState


def successors(corpus) -> np.ndarray:
    """``(K,)``: for each corpus bar, the index of the bar its source plays next, or -1 when that bar is not in
    the corpus (the chorale's end, or a bar of fewer onsets than the corpus keeps)."""
    where = {(int(s), int(b)): i for i, (s, b) in enumerate(zip(corpus.source_index, corpus.bar_number, strict=True))}
    return np.array([where.get((int(s), int(b) + 1), -1)
                     for s, b in zip(corpus.source_index, corpus.bar_number, strict=True)], dtype=np.int64)


def pitch_class_sets(spec, bars: np.ndarray) -> np.ndarray:
    """``(K,)`` int: each bar's struck pitch classes as 12 bits (C = bit 0)."""
    classes = np.zeros(len(bars), dtype=np.int64)
    for row, pitch in enumerate(spec.pitches):
        classes |= (bars[:, row] != 0).astype(np.int64) << (int(pitch) % 12)
    return classes


#: A corpus bar is in the key when at least this share of its struck notes lie in the key's scale (major, or
#: harmonic minor): the follower prefers bars of the first share, then of the second. Measured early
#: (``dj_key_fit.py``, the shipped onsets; the profiles alone read the key, no rule 2): (0.9,) and (0.8,) fit 15
#: and 14 keys, (0.9, 0.8) 15, (1.0, 0.9, 0.8) 16 with heard bars 0.5 cells farther from the corpus.
KEY_SHARES = (0.9, 0.8)
#: A bar the follower replays (rule 4) was last heard at least this many bar lines ago: never the bar just heard
#: (age 0), nor the one before it (age 1: no A-B-A).
REPLAY_AGE = 2
#: Rule 3 replays a bar only while fewer than this share of the bar lines in the memory (since its oldest bar)
#: played no new bar: a song in a key of few bars moves on rather than loop them. Measured (``dj_key_fit.py``,
#: five triad draws; songs of seeds 100-104): no limit, 0.65 and 0.5 fit 19-21 keys (DECAY 0.7; 0.85: 20-21),
#: but without a limit a song of seed 101 met 13 distinct bars per 100 (was 89); 0.5: 28 at least.
REPLAY_SHARE = 0.5


def replays(ages: np.ndarray, memory: int) -> float:
    """The share of the bar lines since the oldest corpus bar in the ``memory`` that played no bar new to it (a
    replay, a person's bar, a walk heard far from the corpus): the bar lines the corpus bars' ``ages`` have no bar
    for."""
    played = ages < memory
    if not played.any():
        return 0.0
    return 1.0 - int(played.sum()) / (int(ages[played].max()) + 1)


class Follower:
    """The follower planner on a :class:`~gym_launchpad.envs.LaunchpadDJEnv` (possibly wrapped); answers SB3's
    ``predict``. ``radius``: the targets' rendering distance (default: the env's ``arrival_radius``)."""

    name = "follower"

    def __init__(self, env, radius: int | None = None):
        self.env = env.unwrapped
        self.action_space, self.observation_space = env.action_space, env.observation_space
        corpus = self.env.corpus
        self.table = TargetTable(corpus, 1 << 30)  # every corpus bar, with its best rendering's distance
        self.radius = self.env.arrival_radius if radius is None else int(radius)
        self.next_bar = successors(corpus)
        self.harmony = pitch_class_sets(corpus.spec, corpus.bars)
        self.keys = KeyTracker(corpus.spec, corpus.bars, self.env.memory)
        self.key_shares = KEY_SHARES
        self.target: int | None = None

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        action = np.int64(self.act())
        return (action if obs.shape == self.observation_space.shape else np.array([action])), state

    def act(self) -> int:
        return int(self.presses().min())

    def presses(self) -> np.ndarray:
        """Every press of the walk from the env's state to this bar's target, in action order (any order
        reaches it: a toggle flips one bit, an offset press adds one bit of the shift left); the no-op alone
        once it is there. A target is chosen at each bar line (:meth:`choose`)."""
        env = self.env
        masks, offsets = env.state.masks, env.state.offsets
        if env.phase == 0 or self.target is None:
            self.target = self.choose(masks, offsets, env.heard_words, env.ages)
        walk = self.table.walk(self.target, masks, offsets)
        return np.array(sorted(walk) if walk else [env.launchpad.noop_action], dtype=np.int64)

    def choose(self, masks: np.ndarray, offsets: np.ndarray, heard: np.ndarray, ages: np.ndarray) -> int:
        """The target corpus bar from the heard bar's state ``(masks, offsets)``, its words ``heard`` and the
        corpus bars' ``ages`` (the module docstring's order)."""
        env, table = self.env, self.table
        presses = table.presses(masks, offsets)
        new = (ages >= env.memory) & (presses > 0)
        near = new & (table.fit <= self.radius)
        within = near & (presses <= env.presses_per_bar)
        nearest = int(np.bitwise_count(table.columns ^ heard[:, None]).sum(axis=0).argmin())
        following = self.next_bar[nearest]
        key = self.keys.key(heard, ages)
        share = self.keys.shares[:, key]
        in_key = [near & (share >= least) for least in self.key_shares]  # 90%, then 80% of the notes
        keeps = within & in_key[-1]
        keeps[keeps] = self.keys.keys_after(np.flatnonzero(keeps), ages) == key
        classes = pitch_class_sets(env.launchpad, heard[None])[0]
        tiers = [keeps & k for k in in_key] + [within & k for k in in_key] + [within]
        for tier, allowed in enumerate(tiers):
            if tier == len(in_key) and not (ages == 0).any():  # rule 2: the last bar line played no corpus bar
                setting = self.setting_key(key, in_key[-1], presses, masks, offsets, ages)
                if setting is not None:
                    return setting
            holds = key if tier < len(in_key) else None  # a bar that keeps the key keeps it as rendered
            if following >= 0 and allowed[following] and self.arrives(following, masks, offsets, ages, key=holds):
                return int(following)
            replay = None
            if tier == len(in_key) and replays(ages, env.memory) < REPLAY_SHARE:  # rule 3: a replay that keeps the key
                replay = self.replay(key, share, presses, masks, offsets, ages, keep=True)
            elif tier == len(tiers) - 1:  # rule 4: a replay in the key rather than leave it
                replay = self.replay(key, share, presses, masks, offsets, ages, keep=False)
            if replay is not None:
                return replay
            candidates = np.flatnonzero(allowed)
            same = self.harmony[candidates] == classes
            for bar in candidates[np.lexsort((candidates, presses[candidates], table.fit[candidates], same))]:
                if self.arrives(bar, masks, offsets, ages, key=holds):
                    return int(bar)
        pool = np.flatnonzero(new) if new.any() else np.flatnonzero(presses > 0)
        return int(pool[np.lexsort((pool, table.fit[pool], presses[pool]))[0]])

    def replay(self, key: int, share: np.ndarray, presses: np.ndarray, masks: np.ndarray, offsets: np.ndarray,
               ages: np.ndarray, keep: bool = False) -> int | None:
        """Rules 3 and 4 of the module docstring: a bar in key ``key`` (90% of its notes in the scale, then 80%)
        played in the memory but not at the last :data:`REPLAY_AGE` bar lines (never the bar just heard, no A-B-A),
        rendered within the radius and within the bar's presses, whose walk ends heard as such a bar (and, given
        ``keep``, keeps the key as rendered): the longest unplayed first (the highest age), then the best rendered,
        then the fewest presses away. None if there is none."""
        env, table = self.env, self.table
        old = (ages >= REPLAY_AGE) & (ages < env.memory) & (presses > 0) & (presses <= env.presses_per_bar)
        old &= table.fit <= self.radius
        for least in self.key_shares:
            candidates = np.flatnonzero(old & (share >= least))
            if keep:
                candidates = candidates[self.keys.keys_after(candidates, ages) == key]
            for bar in candidates[np.lexsort((candidates, presses[candidates], table.fit[candidates],
                                               -ages[candidates]))]:
                if self.arrives(bar, masks, offsets, ages, least_age=REPLAY_AGE, key=key if keep else None):
                    return int(bar)
        return None

    def arrives(self, bar: int, masks: np.ndarray, offsets: np.ndarray, ages: np.ndarray,
                least_age: int | None = None, key: int | None = None) -> bool:
        """Whether the walk to ``bar`` ends on a bar the env hears as new: the nearest corpus bar of the walk's end
        (the first at the smallest distance, as the env finds it) is not played in the memory (or, given
        ``least_age``, not in the last ``least_age`` bar lines). A rendering may be as near to a bar played recently
        as to its own."""
        spec = self.env.launchpad
        end = LaunchpadState(spec, masks.copy(), offsets.copy())
        for action in self.table.walk(int(bar), masks, offsets):
            end.apply(int(action))
        words = spec.row_table[end.masks, end.offsets]
        nearest = np.bitwise_count(self.table.columns ^ words[:, None]).sum(axis=0).argmin()
        if ages[nearest] < (self.env.memory if least_age is None else least_age):
            return False
        return key is None or self.keys.key_after_heard(words, int(nearest), ages) == key

    def setting_key(self, key: int, in_key: np.ndarray, presses: np.ndarray, masks: np.ndarray, offsets: np.ndarray,
                    ages: np.ndarray) -> int | None:
        """Rule 2 of the module docstring, after a bar line that played no corpus bar (a person's bar, or the
        start): of the new bars in key ``key`` (``in_key``) more than the bar's presses away and within two bars',
        one that keeps the key and whose walk's first bar of presses (the lowest actions, as the walk presses them)
        reads in the key too, so that at the next bar line (which plays no corpus bar either) it is within reach
        and keeps the key: the fewest presses away, then the best rendered. None if there is none."""
        ppb = self.env.presses_per_bar
        far = np.flatnonzero(in_key & (presses > ppb) & (presses <= 2 * ppb))
        if not len(far):
            return None
        far = far[self.keys.keys_after(far, ages) == key]
        for bar in far[np.lexsort((far, self.table.fit[far], presses[far]))]:
            if first_bar_keeps(self.keys, self.table, int(bar), masks, offsets, ages, key, ppb):
                return int(bar)
        return None


def first_bar_keeps(keys: KeyTracker, table: TargetTable, bar: int, masks: np.ndarray, offsets: np.ndarray,
                    ages: np.ndarray, key: int, presses_per_bar: int) -> bool:
    """Whether the walk from ``(masks, offsets)`` to ``bar`` still reads in ``key`` after its first bar of presses
    (its lowest ``presses_per_bar`` actions, as the walk presses them), heard at the next bar line with the corpus
    bars' ``ages``: a two-bar walk after a person's bar that keeps the key the person set (rule 2)."""
    partial = LaunchpadState(table.spec, masks.copy(), offsets.copy())
    for action in sorted(table.walk(bar, masks, offsets))[:presses_per_bar]:
        partial.apply(int(action))
    return keys.key(table.spec.row_table[partial.masks, partial.offsets], ages) == key


#: The options of ``follower:...``.
OPTIONS = {"radius": Option(int, 0, 64, "targets rendered this close; the default is the env's arrival radius")}


def make(env, seed=None, radius: int | None = None) -> Follower:
    """The follower for ``env`` (deterministic: ``seed`` is accepted for the registry and unused)."""
    return Follower(env, radius=radius)
