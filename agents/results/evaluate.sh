#!/usr/bin/env bash
# The evaluation of agents/results/README.md: every trained run's final model, the shipped pretrained agent
# and the baselines on the shipped corpus, 5 episodes x 1000 bars each. Learned policies act with the paper's
# epsilon 0.05 (table, JSON and figures in agents/results/) and greedily (agents/results/epsilon0/).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
export OMP_WAIT_POLICY=PASSIVE
policies=()
runs=()
for run in runs/experiment/{mlp-head,linear-head,mlp,linear,mlp-centered,linear-centered}-seed[0-9]; do
  [ -d "$run" ] || continue
  model=$run/final_model.zip
  # A run stopped by Ctrl-C ends on its newest checkpoint.
  [ -f "$model" ] || model=$(ls "$run"/checkpoints/dqn_*_steps.zip | sort -t_ -k2 -n | tail -1)
  policies+=("$(basename "$run")=$model")
  runs+=("$run")
done
# The agent shipped as "pretrained" until the composer replaced it: that run's best evaluation.
policies+=("pretrained-mlp=runs/experiment/mlp-head-seed0/best_model.zip" random noop greedy)
$PY -m agents evaluate "${policies[@]}" --episodes 5 --steps 1000 --epsilon 0.05 --out agents/results --runs "${runs[@]}"
$PY -m agents evaluate "${policies[@]}" --episodes 5 --steps 1000 --epsilon 0 --out agents/results/epsilon0
