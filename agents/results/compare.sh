#!/usr/bin/env bash
# The table and figure of agents/results/README.md, "Planners and learned agents": every policy from the same 20
# seeded triad starts, 1000 bars, epsilon 0 and 0.05 (beam and anneal at epsilon 0 only: they search again from
# every random press, a minute or more an episode on a shared CPU), then the learned agents and the navigator from
# 20 random launchpads.
#   agents/results/compare.sh planners   # baselines and planners (a fresh table)
#   agents/results/compare.sh learned    # the shipped learned agents, added to it
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
out=agents/results/compare
learned=(pretrained)
[ -f agents/shipped/explorer.safetensors ] && learned+=(explorer)
case "${1:?planners or learned}" in
  planners) $PY -m agents compare greedy beam anneal navigator noop random --epsilon-zero-only beam anneal --out $out ;;
  learned)
    $PY -m agents compare "${learned[@]}" --out $out --append
    $PY -m agents compare "${learned[@]}" navigator --init random --epsilons 0 --out $out/random-starts ;;
  *) echo "usage: $0 planners|learned" >&2; exit 2 ;;
esac
