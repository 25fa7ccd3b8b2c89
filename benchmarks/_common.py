"""What the benchmark scripts share: a result row, interleaved best-of timing, synthetic corpora, the table."""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec


@dataclass
class Row:
    """One line of the table: the question, what was measured, and the ratio against its target."""

    question: str
    figures: str
    ratio: float
    target: str  # e.g. "<= 1.5x"; empty when the issue sets none
    met: bool | None = None

    def markdown(self) -> str:
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        ratio = f"{self.ratio:.2f}x" if self.ratio >= 1 or math.isnan(self.ratio) else f"{self.ratio:.3f}x"
        return f"| {self.question} | {self.figures} | {ratio} | {self.target} | {verdict} |"


def check(ratio: float, target: str) -> bool:
    """Whether ``ratio`` meets ``target``, written ``"<= 1.5x"`` or ``">= 100x"``."""
    op, bound = target.split()
    bound = float(bound.rstrip("x"))
    return ratio <= bound if op == "<=" else ratio >= bound


def best_of(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Run each ``runs[name]()`` (which returns seconds per operation) ``rounds`` times, interleaved.

    The minimum is kept: on a shared machine noise only ever slows a run down, and interleaving puts both
    sides of a ratio under the same load.
    """
    best = {name: float("inf") for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            best[name] = min(best[name], run())
    return best


def timed_calls(fn: Callable[[], object], number: int) -> float:
    """Seconds per call of ``fn`` over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def synthetic_corpus(k: int, seed: int = 0, spec: LaunchpadSpec | None = None) -> Corpus:
    """``k`` distinct random bars with one cell in eight sounding, built straight from words (no float rolls)."""
    spec = spec or LaunchpadSpec()
    rng = np.random.default_rng(seed)
    size = k * spec.n_notes

    def random_words():
        return np.frombuffer(rng.bytes(8 * size), dtype=np.uint64).reshape(k, spec.n_notes)

    # The AND of three random words sets each bit with probability 1/8.
    words = random_words() & random_words() & random_words() & spec.row_mask
    return Corpus.from_bars(spec, words, metadata={"builder": f"benchmarks synthetic_corpus(k={k}, seed={seed})"})


def mixed_corpus(k: int, seed: int = 0) -> Corpus:
    """``k`` bars whose row ``n`` is row ``n`` of a shipped bar drawn at random, row by row: the shipped
    corpus's rhythms and density, many times its bars, and few distinct row words (so an env's ceiling, a
    pass over the distinct words, stays cheap)."""
    shipped = Corpus.default()
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(shipped), (2 * k, shipped.spec.n_notes))  # twice: duplicates are merged
    words = np.unique(np.take_along_axis(shipped.bars, drawn, axis=0), axis=0)[:k]
    return Corpus.from_bars(shipped.spec, rng.permutation(words),
                            metadata={"builder": f"benchmarks mixed_corpus(k={k}, seed={seed})"})


def kernel() -> str:
    """The distance kernel the envs run here: numba if installed, unless ``$GYM_LAUNCHPAD_KERNEL`` says otherwise."""
    from gym_launchpad.reward import make_kernel

    return make_kernel(1).name


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(rows: list[Row]) -> str:
    lines = ["| question | figures | ratio | target | |", "| --- | --- | --- | --- | --- |"]
    return "\n".join(lines + [row.markdown() for row in rows])


def quick_main(description: str, run: Callable[[bool], list[Row]], quick_help: str, argv=None) -> int:
    """The command line of a benchmark whose only option is ``--quick``: print its table."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    print(table(run(parser.parse_args(argv).quick)))
    return 0
