#!/usr/bin/env bash
# The rounds of `axiom search --width 1 --parallel 1 --select best` scripted by hand with plain git
# (bench/search.mjs runs it as `bash searchByHand.sh <repo> <agent.js> <rounds> <task>` against the
# search itself). Round 0 evaluates the base; each later round expands the best node so far:
#   a worktree at its commit → the agent with the prompt of the search's default template (the task,
#   the parent's result and its AXIOM_FEEDBACK= lines) → commit what it left → the evaluation →
#   a ref keeps the node's commit → the worktree removed.
# No safety net, no record beyond the refs: what a person would script. Prints "<best score> <best commit>".
set -euo pipefail
repo=$1 agent=$2 rounds=$3 task=$4
cd "$repo"
base=$(git rev-parse HEAD)
best=$base best_score=-1 passed=no score=none feedback='' diffstat='no changes'
for ((i = 0; i <= rounds; i++)); do
  wt="../hand-$i"
  git worktree add -q --detach "$wt" "$best"
  if ((i > 0)); then
    prompt="$task

You start from an earlier attempt at this task: its work is already in this worktree.
Its evaluation: passed $passed, score $score; its changes so far: $diffstat.
What the evaluation said:
${feedback:-(nothing)}

Improve on it: fix what the evaluation reports, keep what already works, and commit your work."
    (cd "$wt" && node "$agent" "hand-$i" "$prompt")
    if [[ -n $(git -C "$wt" status --porcelain) ]]; then
      git -C "$wt" add -A
      git -C "$wt" -c user.name=bench -c user.email=b@b commit -q -m "hand-$i: the agent's work"
    fi
  fi
  rc=0
  out=$(cd "$wt" && sh run-tests.sh) || rc=$?
  commit=$(git -C "$wt" rev-parse HEAD)
  git update-ref "refs/hand/nodes/$i" "$commit"
  node_score=$(printf '%s\n' "$out" | sed -n 's/^AXIOM_SCORE=//p' | tail -n 1)
  if ((${node_score:-0} > best_score)); then
    best=$commit best_score=${node_score:-0} score=${node_score:-none}
    passed=$([[ $rc -eq 0 ]] && echo yes || echo no)
    feedback=$(printf '%s\n' "$out" | sed -n 's/^AXIOM_FEEDBACK=//p')
    diffstat=$(git diff --shortstat "$base" "$commit" | sed 's/^ *//')
    diffstat=${diffstat:-no changes}
  fi
  git worktree remove --force "$wt"
done
echo "$best_score $best"
