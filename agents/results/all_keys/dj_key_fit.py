"""Key fit of a DJ policy (LaunchpadDJ-v0): from a triad in each of the 24 keys, the struck notes of its next bars.

``python -m agents jam`` plays Launchpad-v0 policies a press a bar; on LaunchpadDJ-v0 a bar is ``presses_per_bar``
presses, so this plays each key's ``--bars`` bars press by press and judges the bars heard at the bar lines, with
jam's rule (:func:`agents.eval.key_fit.fit_of_key`): the fraction of struck notes in the key's scale (major, or harmonic
minor), a key fitting at 80% or more. Also: arrivals (bars new to the last ``memory`` bars) and the mean distance of
the heard bars to the corpus.

``--after N`` plays the triad into the middle of a song instead: the policy plays its own song from the reset for
``N`` bars, then the triad is the bar heard at the next bar line (as a person's bar is: it plays no corpus bar, and
the ages go on), and the ``--bars`` bars after it are judged.

    python agents/results/all_keys/dj_key_fit.py --agent follower
    python agents/results/all_keys/dj_key_fit.py --agent follower --corpus bach_onsets_all_keys.npz
    python agents/results/all_keys/dj_key_fit.py --agent follower --after 60
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from agents import starts
from agents.eval.key_fit import fit_of_key
from agents.policies import load_policy

#: Seeds apart from jam's families (500,000 + 10,000 f) and every training seed.
SEED = 590_000


def hear_instead(env, state) -> None:
    """Make ``state`` the launchpad and the bar heard at the bar line ``env`` (LaunchpadDJ-v0, unwrapped) is at, as a
    person's bar: it plays no corpus bar, and every age goes on by one."""
    assert env.at_bar_line
    env.state, env.words = state, state.words()
    env._tracker.reset(env.words)
    env._obs[:] = env._full_observation().reshape(-1)
    env._score()
    env.heard_words[:] = env.words
    env._heard_obs[:] = env._obs
    np.minimum(env.ages + 1, env.memory, out=env.ages)


def key_fit(agent: str, corpus: str | None, bars: int, after: int = 0, seed: int = SEED) -> dict:
    loaded = load_policy(agent, corpus)
    env, policy = loaded.env.unwrapped, loaded.policy
    spec = env.launchpad
    keys = []
    for key in range(starts.N_KEYS):
        rng = np.random.default_rng(seed + key)
        if after:
            obs, _ = loaded.env.reset(seed=int(rng.integers(2**31)))
            for _ in range(after * env.presses_per_bar):
                obs = loaded.env.step(int(np.asarray(policy.predict(obs, deterministic=True)[0]).reshape(-1)[0]))[0]
            hear_instead(env, starts.triad_in_key(spec, key, rng))
            obs = env._observation()
        else:
            obs, _ = loaded.env.reset(seed=int(rng.integers(2**31)),
                                      options={"state": starts.triad_in_key(spec, key, rng)})
        heard, arrivals, distances = [], 0, []
        while len(heard) < bars:
            action = int(np.asarray(policy.predict(obs, deterministic=True)[0]).reshape(-1)[0])
            obs, _, _, _, info = loaded.env.step(action)
            if env.phase == 0:  # a bar line: the bar just heard
                heard.append(env.heard_words.copy())
                arrivals += bool(info["arrival"])
                distances.append(info["distance"])
        keys.append({**fit_of_key(spec, np.asarray(heard, dtype=np.uint64), env.corpus.cells, key),
                     "arrivals": arrivals, "mean_distance": float(np.mean(distances))})
    return {"agent": loaded.label, "corpus": corpus or "shipped (bach_onsets.npz)", "corpus_bars": len(env.corpus),
            "bars": bars, "after": after, "keys_fit": sum(k["fits"] for k in keys), "key_fit": keys}


def markdown(result: dict) -> str:
    lines = [f"{result['agent']} on LaunchpadDJ-v0, corpus {result['corpus']} ({result['corpus_bars']} bars): "
             f"{result['keys_fit']}/24 keys fit ({result['bars']} bars from a triad in each key"
             f"{', heard after ' + str(result['after']) + ' bars of its own song' if result.get('after') else ''})", "",
             "| key | struck notes | in scale | fits | arrivals | mean distance |", "|---|---|---|---|---|---|"]
    for k in result["key_fit"]:
        lines.append(f"| {k['key']} | {k['struck']} | {k['in_scale']:.2f} | {'yes' if k['fits'] else 'no'} | "
                     f"{k['arrivals']}/{result['bars']} | {k['mean_distance']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="follower")
    parser.add_argument("--corpus", default=None, help="a corpus .npz of onsets (default: the shipped one)")
    parser.add_argument("--bars", type=int, default=32)
    parser.add_argument("--after", type=int, default=0,
                        help="the triad is heard after this many bars of the policy's own song (default: at the reset)")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="key k's triad and song are drawn with seed + k (default: %(default)s)")
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args()
    result = key_fit(args.agent, args.corpus, args.bars, args.after, args.seed)
    print(markdown(result), end="")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(result, file, indent=2)
            file.write("\n")


if __name__ == "__main__":
    main()
