"""``python -m agents jam --agent A``: does an agent recover from what a person's presses leave, and keep a key?

    python -m agents jam --agent pretrained            # the composer; any policy name: navigator, explorer, ...
    python -m agents jam --agent dj                    # LaunchpadDJ-v0's policies (dj, follower, hopper)

The paper's demo has a person perturb the agent's launchpad "to a different key and see if the agent can find a
way to recover". A policy's task (the registry's, :mod:`agents.policies`) picks the table: a policy of
``LaunchpadDJ-v0`` gets :mod:`agents.eval.jam_dj`'s (the same start families and keys, measured at bar lines against
the env's arrival radius, and a person's presses mid-song). This module plays any policy of ``Launchpad-v0`` (the
table says its kind) from the start families of :mod:`agents.starts` on held-out seeds (family ``f``'s start ``i``
from seed ``500_000 + 10_000 f + i``, apart from every training seed and from evaluation's 0-19), ``--starts``
starts each (the keys family: one start per key, all 24 at 20 starts or more), ``--bars`` presses each:

- triads (the env's reset), a random launchpad, a corpus bar + 20 and + 50 random presses, a ceiling bar + 5,
  an empty launchpad, triads in the 24 major and minor keys;
- two schedules from triads, ``10 x --bars`` bars each: a random press instead of the agent's on 5% of bars (none in
  the last ``--bars``, so "ends at 0" asks whether it recovered from the last one) and on 20% of bars (judged by
  the mean distance over the last half).

The table: how many starts reach distance 0 (the ceiling) within ``--bars`` presses, the final distance (mean;
the schedules': the distance at the end, and over the last half for 20%), and presses to recover (mean): to
the first 0 from a start, and from a random press that knocked the bar off 0 back to 0 in a schedule.

Key fit: from a triad in each key the agent plays ``--fit-bars`` bars; the fraction of their struck notes
(onsets) in the key's scale (major, or harmonic minor) is the key's fit, and a key *fits* at 80% or more.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from agents import starts
from agents.arguments import parse_dataclass
from agents.eval import jam_dj
from agents.eval.key_fit import KEY_FIT, fit_of_key
from agents.planners.navigator import ceiling_bars
from agents.policies import DJ, load_policy, parse_policy
from agents.starts import SCHEDULES

__all__ = ["KEY_FIT", "SCHEDULES", "JamArgs", "fit_of_key", "jam", "main", "markdown"]


@dataclass
class JamArgs:
    """Does an agent recover from what a person's presses leave, and keep a new key? (held-out starts)"""

    #: the policy (any name or file ``python -m agents evaluate`` takes); one whose task is LaunchpadDJ-v0 (dj,
    #: follower, hopper) gets the DJ table
    agent: str = "pretrained"
    #: starts per family (the keys family: one per key, all 24 at 20 or more)
    starts: int = 20
    #: Launchpad-v0: presses from each start (the recovery window); the schedules play 10 times as many bars
    bars: int = 100
    #: bars the agent plays from a triad in each key for the key fit
    fit_bars: int = 32
    #: LaunchpadDJ-v0: bars from a start, or from a person's presses, within which the heard bar must come within
    #: the env's arrival radius
    recover_bars: int = 30
    #: LaunchpadDJ-v0: bars each start plays; the person's-presses songs play 3 times as many
    song_bars: int = 100
    #: corpus .npz (default: the shipped one)
    corpus: str | None = None
    #: folder for jam.md and jam.json (default: print only)
    out: str | None = None


@dataclass
class Row:
    family: str
    starts: int
    reached: int
    final_distance: float
    presses_to_recover: float | None
    note: str = ""
    finals: list = field(default_factory=list)


def play(loaded, state, bars: int, rng: np.random.Generator, rate: float = 0.0, quiet_tail: int = 0):
    """Distances ``(bars,)`` after each press from ``state``, the bars ``(bars, N)``, and the steps at which a
    random press replaced the agent's (with probability ``rate``, none in the last ``quiet_tail`` bars)."""
    env, policy = loaded.env, loaded.policy
    obs, _ = env.reset(seed=int(rng.integers(2**31)), options={"state": state})
    distances, words, random_steps = np.empty(bars, dtype=np.int64), [], []
    for t in range(bars):
        action = int(np.asarray(policy.predict(obs, deterministic=True)[0]).reshape(-1)[0])
        if rate and t < bars - quiet_tail and rng.random() < rate:
            action = int(rng.integers(env.action_space.n))
            random_steps.append(t)
        obs, _, _, _, info = env.step(action)
        distances[t] = info["distance"]
        words.append(env.unwrapped.words.copy())
    return distances, np.asarray(words, dtype=np.uint64), random_steps


def recoveries(distances: np.ndarray, random_steps: list[int], ceiling: int) -> list[int]:
    """Presses from each random press that knocked the bar off the ceiling (from the ceiling) back to it, counting
    only those completed before the next random press."""
    out = []
    marks = [*random_steps, len(distances)]
    for step, following in zip(marks[:-1], marks[1:], strict=True):
        before = distances[step - 1] if step > 0 else None
        if before != ceiling or distances[step] == ceiling:
            continue
        back = np.flatnonzero(distances[step + 1:following] == ceiling)
        if len(back):
            out.append(int(back[0]) + 1)
    return out


def family_row(loaded, index: int, family: starts.StartFamily, args: JamArgs, ceiling_idx, best: int) -> Row:
    corpus = loaded.env.unwrapped.corpus
    n = (starts.N_KEYS if args.starts >= 20 else args.starts) if family.base == "key" else args.starts
    finals, presses = [], []
    for i in range(n):
        rng = np.random.default_rng(starts.held_out_seed(index, i))
        key = i % starts.N_KEYS if family.base == "key" else None
        distances, _, _ = play(loaded, family.state(corpus, rng, ceiling_idx, key=key), args.bars, rng)
        finals.append(int(distances[-1]))
        hit = np.flatnonzero(distances == best)
        if len(hit):
            presses.append(int(hit[0]) + 1)
    return Row(family.name, n, len(presses), float(np.mean(finals)), float(np.mean(presses)) if presses else None,
               finals=finals)


def schedule_row(loaded, index: int, rate: float, judged: str, args: JamArgs, best: int) -> Row:
    corpus = loaded.env.unwrapped.corpus
    bars = 10 * args.bars
    finals, ends, back = [], 0, []
    for i in range(args.starts):
        rng = np.random.default_rng(starts.held_out_seed(index, i))
        state = starts.FAMILIES["triad"].state(corpus, rng, np.array([], dtype=np.int64))
        tail = args.bars if judged == "ends" else 0
        distances, _, random_steps = play(loaded, state, bars, rng, rate=rate, quiet_tail=tail)
        ends += int(distances[-1] == best)
        finals.append(float(distances[-1]) if judged == "ends" else float(distances[bars // 2:].mean()))
        back += recoveries(distances, random_steps, best)
    name = f"triads, random press on {rate:.0%} of bars"
    note = (f"none in the last {args.bars}: ends at 0" if judged == "ends"
            else f"final distance: mean over the last {bars - bars // 2} bars")
    return Row(name, args.starts, ends, float(np.mean(finals)), float(np.mean(back)) if back else None, note,
               finals=finals)


def key_fit(loaded, args: JamArgs, index: int) -> list[dict]:
    """Per key: the fraction of struck notes in its scale over the agent's next ``fit_bars`` bars from a triad in it."""
    env = loaded.env.unwrapped
    spec, cells = env.launchpad, env.corpus.cells
    out = []
    for key in range(starts.N_KEYS):
        rng = np.random.default_rng(starts.held_out_seed(index, key))
        _, words, _ = play(loaded, starts.triad_in_key(spec, key, rng), args.fit_bars, rng)
        out.append(fit_of_key(spec, words, cells, key))
    return out


def jam(args: JamArgs) -> dict:
    loaded = load_policy(args.agent, args.corpus, episode_steps=10 * args.bars + 1)
    env = loaded.env.unwrapped
    best = int(env.ceiling.distance)
    ceiling_idx = ceiling_bars(env.corpus)
    rows = [family_row(loaded, i, family, args, ceiling_idx, best) for i, family in enumerate(starts.FAMILIES.values())]
    base = len(starts.FAMILIES)
    rows += [schedule_row(loaded, base + j, rate, judged, args, best) for j, (rate, judged) in enumerate(SCHEDULES)]
    keys = key_fit(loaded, args, base + len(SCHEDULES))
    return {"agent": loaded.label, "kind": loaded.source.kind, "ceiling": best, "arguments": asdict(args),
            "rows": [asdict(row) for row in rows], "key_fit": keys, "keys_fit": sum(k["fits"] for k in keys)}


def markdown(result: dict) -> str:
    bars = result["arguments"]["bars"]
    lines = [f"{result['agent']} ({result['kind']}), held-out seeds; ceiling distance {result['ceiling']}", "",
             f"| start family | reached 0 within {bars} presses | final distance (mean) | presses to recover (mean) |",
             "|---|---|---|---|"]
    for row in result["rows"]:
        recover = "-" if row["presses_to_recover"] is None else f"{row['presses_to_recover']:.1f}"
        family = row["family"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(f"| {family} | {row['reached']}/{row['starts']} | {row['final_distance']:.1f} | {recover} |")
    lines += ["", f"key fit ({result['arguments']['fit_bars']} bars from a triad in each key; fits at "
              f">= {KEY_FIT:.0%} of struck notes in its scale): {result['keys_fit']}/{len(result['key_fit'])} keys fit",
              "", "| key | struck notes | in scale | fits |", "|---|---|---|---|"]
    for k in result["key_fit"]:
        fraction = "-" if math.isnan(k["in_scale"]) else f"{k['in_scale']:.2f}"
        lines.append(f"| {k['key']} | {k['struck']} | {fraction} | {'yes' if k['fits'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_dataclass(JamArgs, argv, "python -m agents jam")
    if min(args.starts, args.bars, args.fit_bars, args.recover_bars, args.song_bars) < 1:
        print("error: --starts, --bars, --fit-bars, --recover-bars and --song-bars must be at least 1", file=sys.stderr)
        return 2
    try:
        task = parse_policy(args.agent).task
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if task == DJ:
        if args.recover_bars > args.song_bars:
            print("error: --recover-bars must be at most --song-bars", file=sys.stderr)
            return 2
        result = jam_dj.jam_dj(args)
        text = jam_dj.markdown(result)
    else:
        result = jam(args)
        text = markdown(result)
    print(text, end="")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "jam.md").write_text(text)
        (out / "jam.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
