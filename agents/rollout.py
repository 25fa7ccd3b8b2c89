"""Episodes, songs and their metrics: play a policy on seeded episodes, and say what its music is like.

Every policy (an SB3 model, a pretrained agent, a planner or a baseline) plays through :func:`rollout`; an
episode's metrics are :func:`episode_metrics`, their means over seeded episodes :func:`evaluate_policy`, and
the corpus itself is described by the same music statistics (:func:`corpus_metrics`). A song is a rollout as a
listener hears it (:func:`song`), written as MIDI by :func:`write_song`: the same file ``python -m agents play
--headless`` writes, so evaluation reads what the product writes without going through the player.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents import music_metrics
from gym_launchpad.midi import write_midi
from gym_launchpad.reward import silence_distance

#: The tempo of every song written here and played by ``python -m agents play``: the authors' demo played
#: 0.04 s a step, 64 steps of a 4/4 bar in 2.56 s, 93.75 quarter notes a minute.
SONG_TEMPO = 93.75

#: The numeric metrics of an episode (:func:`episode_metrics`), the ones averaged over episodes.
METRICS = ("mean_reward_per_step", "final_distance", "ceiling_fraction", "notes_per_bar", "pitch_class_entropy",
           "in_scale_ratio", "bar_to_bar_change", "distinct_nearest_bars", *music_metrics.FRONT_METRICS)


@dataclass
class Episode:
    """One played episode: per step the reward, the distance and nearest corpus bar, and the bar itself."""

    rewards: np.ndarray  # (T,) float
    distances: np.ndarray  # (T,) int, info["distance"]
    nearest: np.ndarray  # (T,) int, info["nearest_bar"]
    bars: np.ndarray  # (T, N) uint64, the bar after each step
    best_distance: int  # the ceiling of the env's corpus
    start_bar: np.ndarray  # (N,) uint64, the bar after reset


def rollout(env, policy, seed: int, n_steps: int | None = None, epsilon: float = 0.0,
            deterministic: bool = True) -> Episode:
    """Play one episode of ``env`` from ``reset(seed=seed)`` with ``policy.predict``; an episode's entries are
    its bars as heard.

    It stops at the env's end or after ``n_steps`` bars. On a task of several presses a bar
    (:func:`presses_per_bar`) a bar's entry is taken at its bar line, its reward the sum over its presses. With
    probability ``epsilon`` a press is a uniformly random action instead (the paper evaluates DQN this way, with
    0.05); those draws come from a generator seeded by ``seed``, so an episode is reproducible.
    """
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    start_bar = env.unwrapped.words.copy()
    rewards, distances, nearest, bars = [], [], [], []
    state, episode_start = None, np.ones(1, dtype=bool)
    bar_reward = 0.0
    while n_steps is None or len(rewards) < n_steps:
        action, state = policy.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)
        episode_start = np.zeros(1, dtype=bool)
        if epsilon > 0 and rng.random() < epsilon:
            action = rng.integers(env.action_space.n)
        obs, reward, terminated, truncated, info = env.step(int(action))
        bar_reward += float(reward)
        if info.get("bar_line", True):
            rewards.append(bar_reward)
            distances.append(info["distance"])
            nearest.append(info["nearest_bar"])
            bars.append(env.unwrapped.words.copy())
            bar_reward = 0.0
        if terminated or truncated:
            break
    return Episode(np.asarray(rewards, dtype=np.float64), np.asarray(distances), np.asarray(nearest),
                   np.asarray(bars, dtype=np.uint64).reshape(len(bars), -1), int(info["best_distance"]), start_bar)


def song(env, policy, seed: int, bars: int) -> np.ndarray:
    """The ``(bars, N)`` bars a listener hears: the bar after ``reset(seed=seed)``, then the bar at each of
    ``bars - 1`` bar lines, a bar line every :func:`presses_per_bar` presses of ``policy`` (deterministic). A
    song is not an episode: the time limit does not end it."""
    obs, _ = env.reset(seed=seed)
    heard = [env.unwrapped.words.copy()]
    presses = presses_per_bar(env)
    while len(heard) < bars:
        for _ in range(presses):
            action, _ = policy.predict(obs, deterministic=True)
            obs, *_ = env.step(int(np.asarray(action).reshape(-1)[0]))
        heard.append(env.unwrapped.words.copy())
    return np.asarray(heard, dtype=np.uint64)


def presses_per_bar(env) -> int:
    """The presses between two bar lines of ``env`` (possibly wrapped): its ``presses_per_bar`` (the DJ task),
    else 1 (``Launchpad-v0``: every press is heard)."""
    return int(getattr(env.unwrapped, "presses_per_bar", 1))


def write_song(env, policy, seed: int, bars: int, path, **midi_options):
    """:func:`song` written to ``path`` as ``python -m agents play --headless`` writes it (tempo
    :data:`SONG_TEMPO`, the corpus's kind of cells); ``midi_options`` go to
    :func:`gym_launchpad.midi.write_midi`."""
    unwrapped = env.unwrapped
    return write_midi(song(env, policy, seed, bars), path, unwrapped.launchpad, tempo_bpm=SONG_TEMPO,
                      cells=unwrapped.corpus.cells, **midi_options)


def ceiling_fraction(distance, best_distance: int, silent_distance: int):
    """How far a distance has come from silence (0) to the ceiling (1); below 0 is worse than silence.

    Silence is the reference because it is what a policy gets by pressing nothing useful on an empty
    launchpad, and the paper notes that dropping notes is the first thing an agent learns.
    """
    span = silent_distance - best_distance
    if span <= 0:
        return np.where(np.asarray(distance) <= best_distance, 1.0, 0.0)
    return (silent_distance - np.asarray(distance, dtype=np.float64)) / span


def episode_metrics(spec, episode: Episode, silent_distance: int, cells: str = "sounding") -> dict:
    """The metrics of one episode (see :func:`evaluate_policy`), and ``key``, the key it plays in; ``cells``
    is what the corpus's (and so the bars') cells are."""
    entropy = music_metrics.pitch_class_entropy(spec, episode.bars)
    in_scale, key = music_metrics.in_scale_ratio(spec, episode.bars)
    return {
        "mean_reward_per_step": float(episode.rewards.mean()),
        "final_distance": int(episode.distances[-1]),
        "ceiling_fraction": float(ceiling_fraction(episode.distances[-1], episode.best_distance, silent_distance)),
        "notes_per_bar": music_metrics.notes_per_bar(episode.bars),
        "pitch_class_entropy": entropy,
        "in_scale_ratio": in_scale,
        "key": key,
        "bar_to_bar_change": music_metrics.bar_to_bar_change(np.concatenate([episode.start_bar[None], episode.bars])),
        "distinct_nearest_bars": music_metrics.distinct(episode.nearest),
        **music_metrics.front_metrics(episode.bars, episode.distances, episode.nearest, cells, episode.start_bar),
    }


def mean_metrics(metrics: list[dict]) -> dict:
    """The mean of each of :data:`METRICS` over episodes' :func:`episode_metrics`."""
    return {key: float(np.mean([m[key] for m in metrics])) for key in METRICS}


def evaluate_policy(policy, env, episodes: int, steps: int | None, seed: int, epsilon: float) -> dict:
    """Mean (and std of the reward) over ``episodes`` seeded episodes (seeds ``seed, seed+1, ...``).

    Metrics per episode: mean reward per step; the distance of the final bar; how far the final bar
    came from silence (0) to the exact ceiling (1); sounding cells per bar; pitch-class entropy (bits);
    the fraction of sounding cells in the best-fitting major/minor key; mean Hamming distance between
    consecutive bars; how many distinct corpus bars were nearest; and the front
    (:func:`agents.music_metrics.front_metrics`).
    """
    spec, corpus = env.unwrapped.launchpad, env.unwrapped.corpus
    silent = silence_distance(corpus)
    metrics = [episode_metrics(spec, rollout(env, policy, seed + i, n_steps=steps, epsilon=epsilon), silent,
                               corpus.cells)
               for i in range(episodes)]
    summary = mean_metrics(metrics)
    summary["mean_reward_per_step_std"] = float(np.std([m["mean_reward_per_step"] for m in metrics]))
    summary["keys"] = [m["key"] for m in metrics]
    return summary


def corpus_metrics(corpus) -> dict:
    """The music statistics of the corpus itself, as a row beside :func:`evaluate_policy`'s (the reward and
    distance metrics are NaN); bar-to-bar change over consecutive bars of one source."""
    spec, bars = corpus.spec, corpus.bars
    in_scale, key = music_metrics.in_scale_ratio(spec, bars)
    places = zip(corpus.source_index, corpus.bar_number, strict=True)
    position = {(int(s), int(b)): i for i, (s, b) in enumerate(places)}
    pairs = [(i, position[s, b + 1]) for (s, b), i in position.items() if (s, b + 1) in position]
    change = (float(np.bitwise_count(bars[[p for p, _ in pairs]] ^ bars[[q for _, q in pairs]]).sum(axis=1).mean())
              if pairs else float("nan"))
    return {
        "mean_reward_per_step": float("nan"), "final_distance": float("nan"), "ceiling_fraction": float("nan"),
        "notes_per_bar": music_metrics.notes_per_bar(bars),
        "pitch_class_entropy": music_metrics.pitch_class_entropy(spec, bars),
        "in_scale_ratio": in_scale, "keys": [key], "bar_to_bar_change": change,
        "distinct_nearest_bars": float("nan"), "mean_distance": float("nan"),
        "onsets_per_bar": music_metrics.onsets_per_bar(bars, corpus.cells), "heard_change_fraction": float("nan"),
        "distinct_nearest_per_100_bars": float("nan"),
    }
