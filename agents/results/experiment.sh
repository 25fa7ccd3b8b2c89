#!/usr/bin/env bash
# The experiment of agents/results/README.md: DQN with the linear and the mlp Q-network on the shipped corpus,
# STEPS env steps each, for SEEDS, two training processes at a time (one torch thread each), then the
# evaluation that writes the table, JSON and figures here. Logs and checkpoints go to runs/ (git-ignored).
#   usage: agents/results/experiment.sh [STEPS] [SEEDS...]      (default: 500000 steps, seeds 0 1 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-500000}
shift || true
SEEDS=${*:-0 1 2}
PY=${PY:-.venv/bin/python}
export OMP_WAIT_POLICY=PASSIVE
# Evaluation every 50k steps (the paper: 250k) so the curves have points; 5 episodes of 1000 bars
# with epsilon 0.05 (the paper: 10 episodes).
COMMON="--timesteps $STEPS --set eval_freq=50000 --set eval_episodes=5 --no-progress-bar"
jobs=()
for seed in $SEEDS; do
  for preset in mlp linear; do
    jobs+=("$preset $seed")
  done
done
mkdir -p runs/experiment
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 sh -c \
  "$PY -m agents train --preset \$0 --seed \$1 --logdir runs/experiment/\$0-seed\$1 $COMMON \
     > runs/experiment/\$0-seed\$1.log 2>&1 && echo \"done \$0 seed \$1\""
