"""``python -m agents.eval.piano_roll --out docs/img/dj_piano_roll.png``: 32 bars of the learned dj agent beside
32 bars of a Bach chorale, as piano rolls read back from MIDI files (issue #21 item 4).

The agent's song is the file ``python -m agents play --headless --agent dj --seed 100 --bars 62`` writes
(:func:`agents.rollout.write_song`), shown from bar 30 (the bars :mod:`agents.eval.song_metrics` measures first);
the chorale is the first chorale in 4/4 from bar 1 of music21's corpus with 32 bars or more, its bars 1-32 written as
:mod:`agents.eval.chorale_reference` writes them (its own note lengths, folded into the launchpad's range; needs
music21). Both are read back with :func:`agents.eval.song_metrics.read_notes`: a note is a bar from its start
step to its end step (64 steps a 4/4 bar), bar lines are marked. matplotlib, headless (Agg).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from agents.eval.song_metrics import SKIP_BARS, read_notes

#: Bars shown of each song.
BARS = 32


def agent_song(path: Path, agent: str = "dj", seed: int = 100, bars: int = SKIP_BARS + BARS) -> Path:
    """Write ``agent``'s song of ``bars`` bars from ``reset(seed=seed)`` to ``path`` as ``play --headless`` does."""
    from agents import policies
    from agents.rollout import write_song

    loaded = policies.load_policy(policies.parse_policy(agent, policies.DJ))
    write_song(loaded.env, loaded.policy, seed, bars, path)
    loaded.env.close()
    return path


def chorale_song(path: Path) -> tuple[Path, str]:
    """Write the first chorale in 4/4 from bar 1 with 32 bars (bars 1-32) to ``path`` as chorale_reference writes
    it; returns the path and the chorale's name."""
    from agents.eval.chorale_reference import chorale_spans
    from gym_launchpad.corpus import Corpus
    from gym_launchpad.corpus.chorales import bach_chorale_paths
    from gym_launchpad.midi import spans_to_midi

    spec = Corpus.onsets().spec
    for source in bach_chorale_paths():
        song = chorale_spans(source, spec)
        if song is not None and song[1] >= BARS:
            spans, n_bars = song
            spans_to_midi(spans, n_bars, spec).write(str(path))
            return path, Path(source).stem
    raise RuntimeError(f"no chorale of {BARS} bars in 4/4 from bar 1 in music21's corpus")


def draw_roll(ax, path, first_bar: int, bars: int = BARS, title: str = "", steps_per_bar: int = 64) -> None:
    """The notes of the MIDI file ``path`` in bars ``first_bar``..``first_bar + bars - 1`` on ``ax``: pitch x step
    (steps counted from ``first_bar``), a note a bar from start to end step, bar lines every ``steps_per_bar``."""
    pitch, start, end, _ = read_notes(path, steps_per_bar)
    low, high = first_bar * steps_per_bar, (first_bar + bars) * steps_per_bar
    shown = (end > low) & (start < high)
    for p, s, e in zip(pitch[shown], start[shown], end[shown], strict=True):
        s, e = max(s, low) - low, min(e, high) - low
        ax.add_patch(_rectangle(s, p, e - s))
    for bar in range(bars + 1):
        ax.axvline(bar * steps_per_bar, color="0.55", linewidth=0.6 if bar % 4 else 1.2, zorder=0)
    lo, hi = (int(pitch[shown].min()), int(pitch[shown].max())) if shown.any() else (47, 70)
    ax.set_ylim(lo - 1.5, hi + 1.5)
    ax.set_xlim(0, bars * steps_per_bar)
    ticks = np.arange(0, bars, 4)
    ax.set_xticks(ticks * steps_per_bar, [str(first_bar + t) for t in ticks])
    ax.set_xlabel("bar (64 steps a bar; thin lines: bar lines)")
    ax.set_ylabel("MIDI pitch")
    for c in range(12 * (lo // 12), hi + 2, 12):
        ax.axhline(c - 0.5, color="0.85", linewidth=0.5, zorder=0)
    ax.set_title(title, loc="left")


def _rectangle(start, pitch, length):
    from matplotlib.patches import Rectangle

    return Rectangle((start, pitch - 0.4), length, 0.8, facecolor="tab:blue", edgecolor="navy", linewidth=0.3)


def plot(agent_midi, chorale_midi, path, agent_first: int = SKIP_BARS, chorale_name: str = "a chorale",
         agent: str = "dj", seed: int = 100) -> None:
    """Two piano rolls, the agent's bars ``agent_first``.. above the chorale's bars 0.., to the PNG ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(20, 9), constrained_layout=True)
    draw_roll(axes[0], agent_midi, agent_first, title=f"the learned {agent} agent, seed {seed}, bars "
                                                      f"{agent_first}-{agent_first + BARS - 1} (play --headless)")
    draw_roll(axes[1], chorale_midi, 0, title=f"Bach chorale {chorale_name}, bars 1-{BARS} (own note lengths, "
                                              "folded into the launchpad's range)")
    axes[1].set_xticks(axes[1].get_xticks(), [str(int(t) // 64 + 1) for t in axes[1].get_xticks()])
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.eval.piano_roll", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/dj_piano_roll.png"), help="the PNG to write")
    parser.add_argument("--agent", default="dj", help="the DJ policy (default: dj)")
    parser.add_argument("--seed", type=int, default=100, help="the song's seed (default: 100)")
    parser.add_argument("--first-bar", type=int, default=SKIP_BARS, help="the agent's first bar shown (default: 30)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        song = agent_song(Path(folder) / "agent.mid", args.agent, args.seed, args.first_bar + BARS)
        chorale, name = chorale_song(Path(folder) / "chorale.mid")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        plot(song, chorale, args.out, args.first_bar, name, args.agent, args.seed)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
