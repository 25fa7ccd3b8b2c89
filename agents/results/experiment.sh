#!/usr/bin/env bash
# Train the experiment's runs on the shipped corpus, two processes at a time (one torch thread each).
# Logs and checkpoints go to runs/experiment/PRESET[SUFFIX]-seedSEED (git-ignored); agents/results/evaluate.sh
# turns them into the table and figures.
#   usage: [EXTRA="--set ..."] [SUFFIX=-name] agents/results/experiment.sh STEPS PRESET-SEED...
#   e.g.   agents/results/experiment.sh 500000 mlp-0 linear-0
#          EXTRA="--set reward_scale=0.01 --set center_reward=true" SUFFIX=-centered \
#              agents/results/experiment.sh 250000 mlp-0 linear-0
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=$1
shift
PY=${PY:-.venv/bin/python}
EXTRA=${EXTRA:-}
SUFFIX=${SUFFIX:-}
export OMP_WAIT_POLICY=PASSIVE
mkdir -p runs/experiment
# Evaluation every 50k steps (the paper: 250k) so the curves have points, over 5 episodes of 1000 bars
# with epsilon 0.05 (the paper: 10 episodes); checkpoints (model + latest replay buffer) every 50k.
printf '%s\n' "$@" | tr '-' ' ' | xargs -P 2 -L 1 sh -c \
  "$PY -m agents train --preset \$0 --seed \$1 --logdir runs/experiment/\$0$SUFFIX-seed\$1 --timesteps $STEPS \
     --set eval_freq=50000 --set eval_episodes=5 --checkpoint-freq 50000 --no-progress-bar $EXTRA \
     > runs/experiment/\$0$SUFFIX-seed\$1.log 2>&1 && echo \"done \$0$SUFFIX seed \$1\""
