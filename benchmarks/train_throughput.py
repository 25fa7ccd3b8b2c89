"""What does vectorising buy in training: env-steps/s of ``python -m agents train`` with 1 env and with 16?

Runs the command a user runs (``python -m agents train --preset P --n-envs E``, one torch thread, no
checkpoints, no progress bar) for the linear and mlp presets, each with ``--n-envs 1`` and ``--n-envs 16``,
in a fresh process. Each configuration runs twice, for ``steps`` and for one vector step; the difference of
their wall times is the time of the extra env-steps, so the process start, torch's import, the env's and the
model's construction do not count. With 16 envs SB3's ``train_freq=4`` counts vector steps, so a gradient
step comes every 64 env-steps instead of every 4: the speed-up is mostly fewer gradient steps per env-step.

    python benchmarks/train_throughput.py [--quick] [--steps N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Row, table

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ("linear", "mlp")
N_ENVS = (1, 16)


def train_seconds(preset: str, n_envs: int, steps: int, logdir: Path) -> float:
    """Wall seconds of one ``python -m agents train`` run of ``steps`` env-steps."""
    command = [sys.executable, "-m", "agents", "train", "--preset", preset, "--n-envs", str(n_envs),
               "--timesteps", str(steps), "--logdir", str(logdir), "--checkpoint-freq", "0", "--threads", "1",
               "--no-progress-bar", "--seed", "0"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def env_steps_per_second(preset: str, n_envs: int, steps: int) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        full = train_seconds(preset, n_envs, steps, Path(scratch) / "full")
        start_only = train_seconds(preset, n_envs, n_envs, Path(scratch) / "start")
    return (steps - n_envs) / max(full - start_only, 1e-9)


def run(quick: bool = False, steps: int | None = None) -> list[Row]:
    steps = steps or (640 if quick else 8000)
    rows = []
    for preset in PRESETS:
        rates = {n: env_steps_per_second(preset, n, steps) for n in N_ENVS}
        single, batched = rates[N_ENVS[0]], rates[N_ENVS[1]]
        figures = (f"{steps} env-steps: --n-envs 1 {single:,.0f} env-steps/s, --n-envs 16 {batched:,.0f} "
                   "env-steps/s (process start excluded)")
        rows.append(Row(f"python -m agents train, {preset}, --n-envs 16 / 1", figures, batched / single, ""))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke size: 640 env-steps a run")
    parser.add_argument("--steps", type=int, default=None, help="env-steps a run (default 8000)")
    args = parser.parse_args(argv)
    print(table(run(args.quick, args.steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
