"""``python -m agents jam --agent dj``: the jam of the DJ task. Does a policy of ``LaunchpadDJ-v0`` come back to
music from any start and after a person's presses, keep moving, and stay in a new key?

``python -m agents jam`` (:mod:`agents.eval.jam`) plays a policy whose task (the registry's,
:mod:`agents.policies`) is ``LaunchpadDJ-v0`` (``dj``, ``follower``, ``hopper``) through this module::

    python -m agents jam --agent dj --out agents/results/jam/dj

Everything is measured at bar lines (the bars a listener hears, ``info["bar_line"]``) against the env's
``arrival_radius`` (6 cells: the DJ targets' distance), on jam's held-out seeds (:func:`agents.starts.held_out_seed`,
500,000 up; the dj agent trains on ``reset(seed=10_000 + i)``, evaluation plays 0-19 and the DJ songs 100-104):

- **start families**: the start states of Launchpad-v0's jam (:data:`agents.starts.FAMILIES`, drawn from the same
  seeds) given to the env's ``reset(options={"state": ...})``, ``--starts`` each (the keys family: one per key, all
  24 at 20 or more), ``--song-bars`` bars each. How many starts hear a bar within the radius within
  ``--recover-bars`` bars, the bars to the first (the first bar line is 1; the mean over those that got there),
  the mean distance over the song and the arrivals per bar (``info["arrival"]``: does it keep moving).
- **a person's presses**: songs of ``3 x --song-bars`` bars from triads; at each bar line after the first (none in
  the last ``--recover-bars``), with probability :data:`PERSON_RATE`, a person presses :data:`PERSON_PRESSES`
  random buttons (the count uniform, each press uniform over the actions, the no-op included, as the families'
  random presses), and the agent presses the rest of the bar from the state it finds: a person's presses count
  toward the bar as in ``python -m agents play``. Per person's presses: is a heard bar back within the radius
  within ``--recover-bars`` bars, and after how many. Presses the next ones interrupt before the agent got back
  are not judged.
- **key fit**: from a triad in each key (given to reset, as Launchpad-v0's jam: every corpus bar new) the next
  ``--fit-bars`` heard bars; the fraction of their struck notes (onsets) in the key's scale
  (:func:`agents.eval.key_fit.fit_of_key`), beside their mean distance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from agents import starts
from agents.eval.key_fit import KEY_FIT, fit_of_key
from agents.planners.navigator import ceiling_bars
from agents.policies import load_policy

#: The share of bar lines at which a person presses.
PERSON_RATE = 0.05
#: How many random buttons a person presses then: drawn uniformly from this range (both ends included).
PERSON_PRESSES = (1, 5)
#: The person's-presses songs are this many times ``--song-bars`` long.
PERSON_SONGS = 3


@dataclass
class Song:
    """A song as heard: at each bar line the distance, whether it arrived, the bar; and each person's presses as
    (the first bar line after them, the distance of the state the agent found)."""

    distances: np.ndarray
    arrivals: np.ndarray
    words: np.ndarray
    person: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Row:
    family: str
    starts: int  # starts, or person's presses judged
    reached: int  # within the radius within --recover-bars bars
    bars_to_reach: float | None  # the mean over those that got there
    mean_distance: float
    arrivals_per_bar: float
    note: str = ""
    bars: list = field(default_factory=list)  # per start (or person's presses): bars to get there, None if not


def play_song(loaded, state, bars: int, rng: np.random.Generator, rate: float = 0.0, quiet_tail: int = 0) -> Song:
    """``bars`` heard bars of the policy from ``state``; a person presses at a bar line with probability ``rate``
    (after the first, none in the last ``quiet_tail``)."""
    env, policy = loaded.env, loaded.policy
    unwrapped = env.unwrapped
    per_bar = unwrapped.presses_per_bar
    obs, _ = env.reset(seed=int(rng.integers(2**31)), options={"state": state})
    distances, arrivals, words, person = [], [], [], []

    def press(action: int) -> dict:
        nonlocal obs
        obs, _, _, _, info = env.step(action)
        if info["bar_line"]:
            distances.append(int(info["distance"]))
            arrivals.append(bool(info["arrival"]))
            words.append(unwrapped.words.copy())
        return info

    while len(distances) < bars:
        if rate and 0 < len(distances) < bars - quiet_tail and rng.random() < rate:
            count = int(rng.integers(PERSON_PRESSES[0], PERSON_PRESSES[1] + 1))
            for action in rng.integers(env.action_space.n, size=count):
                info = press(int(action))  # with one press a bar (the hopper) each is a heard bar
            person.append((len(distances), int(info["distance"])))
        for _ in range(per_bar - unwrapped.phase % per_bar):
            press(int(np.asarray(policy.predict(obs, deterministic=True)[0]).reshape(-1)[0]))
    return Song(np.asarray(distances[:bars]), np.asarray(arrivals[:bars]),
                np.asarray(words[:bars], dtype=np.uint64), [p for p in person if p[0] < bars])


def reach(distances: np.ndarray, radius: int, window: int) -> int | None:
    """Bar lines to the first of ``distances`` within ``radius`` among the first ``window`` (the first is 1)."""
    hit = np.flatnonzero(distances[:window] <= radius)
    return int(hit[0]) + 1 if len(hit) else None


def person_recoveries(song: Song, radius: int, window: int) -> tuple[list[int | None], int]:
    """For each person's presses of ``song``: the bar lines until a heard bar is within ``radius`` (None: not
    within ``window``); and how many were not judged (the next presses came first, the agent not yet back)."""
    backs, interrupted = [], 0
    first = [start for start, _ in song.person]
    for start, end in zip(first, [*first[1:], len(song.distances)][:len(first)], strict=True):
        span = song.distances[start:end]
        back = reach(span, radius, window)
        if back is None and len(span) < window:
            interrupted += 1
        else:
            backs.append(back)
    return backs, interrupted


def _row(name: str, bars: list, songs: list[Song], note: str = "") -> Row:
    got = [b for b in bars if b is not None]
    return Row(name, len(bars), len(got), float(np.mean(got)) if got else None,
               float(np.mean(np.concatenate([s.distances for s in songs]))),
               float(np.mean(np.concatenate([s.arrivals for s in songs]))), note, bars)


def family_row(loaded, index: int, family: starts.StartFamily, args, ceiling_idx, radius: int) -> Row:
    corpus = loaded.env.unwrapped.corpus
    n = (starts.N_KEYS if args.starts >= 20 else args.starts) if family.base == "key" else args.starts
    bars, songs = [], []
    for i in range(n):
        rng = np.random.default_rng(starts.held_out_seed(index, i))  # the start Launchpad-v0's jam plays
        key = i % starts.N_KEYS if family.base == "key" else None
        song = play_song(loaded, family.state(corpus, rng, ceiling_idx, key=key), args.song_bars, rng)
        bars.append(reach(song.distances, radius, args.recover_bars))
        songs.append(song)
    return _row(family.name, bars, songs)


def person_row(loaded, index: int, args, radius: int) -> Row:
    corpus = loaded.env.unwrapped.corpus
    length = PERSON_SONGS * args.song_bars
    bars, songs, interrupted, knocked = [], [], 0, 0
    for i in range(args.starts):
        rng = np.random.default_rng(starts.held_out_seed(index, i))
        state = starts.FAMILIES["triad"].state(corpus, rng, np.array([], dtype=np.int64))
        song = play_song(loaded, state, length, rng, rate=PERSON_RATE, quiet_tail=args.recover_bars)
        backs, cut = person_recoveries(song, radius, args.recover_bars)
        bars += backs
        interrupted += cut
        knocked += sum(found > radius for _, found in song.person)
        songs.append(song)
    lo, hi = PERSON_PRESSES
    name = f"triads, a person's {lo}-{hi} presses at {PERSON_RATE:.0%} of bar lines"
    note = (f"{args.starts} songs of {length} bars; {len(bars) + interrupted} person's presses, {knocked} left the "
            f"launchpad beyond {radius}, {interrupted} not judged (the next came first)")
    return _row(name, bars, songs, note)


def key_fit(loaded, args, index: int) -> list[dict]:
    """Per key: the fraction of the struck notes of the next ``fit_bars`` heard bars from a triad in it in its
    scale, and their mean distance."""
    env = loaded.env.unwrapped
    out = []
    for key in range(starts.N_KEYS):
        rng = np.random.default_rng(starts.held_out_seed(index, key))  # the triad Launchpad-v0's jam plays
        song = play_song(loaded, starts.triad_in_key(env.launchpad, key, rng), args.fit_bars, rng)
        fit = fit_of_key(env.launchpad, song.words, env.corpus.cells, key)
        out.append({**fit, "mean_distance": float(song.distances.mean())})
    return out


def jam_dj(args) -> dict:
    """The DJ jam of ``args`` (:class:`agents.eval.jam.JamArgs`): its rows and key fit, as a dict for JSON."""
    longest = max(PERSON_SONGS * args.song_bars, args.fit_bars)
    loaded = load_policy(args.agent, args.corpus, episode_steps=2 * longest + 1)
    env = loaded.env.unwrapped
    radius = int(env.arrival_radius)
    ceiling_idx = ceiling_bars(env.corpus)
    rows = [family_row(loaded, i, family, args, ceiling_idx, radius)
            for i, family in enumerate(starts.FAMILIES.values())]
    rows.append(person_row(loaded, len(starts.FAMILIES), args, radius))
    keys = key_fit(loaded, args, len(starts.FAMILIES) + len(starts.SCHEDULES))
    return {"agent": loaded.label, "kind": loaded.source.kind, "task": loaded.source.task, "radius": radius,
            "presses_per_bar": int(env.presses_per_bar), "arguments": asdict(args),
            "rows": [asdict(row) for row in rows], "key_fit": keys, "keys_fit": sum(k["fits"] for k in keys)}


def markdown(result: dict) -> str:
    args, radius = result["arguments"], result["radius"]
    task = result["task"].rpartition("/")[2]
    lines = [f"{result['agent']} ({result['kind']}) on {task}, held-out seeds; at bar lines "
             f"({result['presses_per_bar']} presses a bar), against the env's arrival radius ({radius} cells)", "",
             f"| start family | within {radius} cells within {args['recover_bars']} bars | bars to get there (mean) | "
             f"distance over the song (mean; {args['song_bars']} bars a start) | arrivals per bar |",
             "|---|---|---|---|---|"]
    for row in result["rows"]:
        bars = "-" if row["bars_to_reach"] is None else f"{row['bars_to_reach']:.1f}"
        family = row["family"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(f"| {family} | {row['reached']}/{row['starts']} | {bars} | {row['mean_distance']:.1f} | "
                     f"{row['arrivals_per_bar']:.2f} |")
    lines += ["", f"key fit ({args['fit_bars']} bars from a triad in each key; fits at >= {KEY_FIT:.0%} of "
              f"struck notes in its scale): {result['keys_fit']}/{len(result['key_fit'])} keys fit", "",
              "| key | struck notes | in scale | fits | distance (mean) |", "|---|---|---|---|---|"]
    for k in result["key_fit"]:
        fraction = "-" if k["struck"] == 0 else f"{k['in_scale']:.2f}"
        lines.append(f"| {k['key']} | {k['struck']} | {fraction} | {'yes' if k['fits'] else 'no'} | "
                     f"{k['mean_distance']:.1f} |")
    return "\n".join(lines) + "\n"
