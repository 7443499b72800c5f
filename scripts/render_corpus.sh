#!/usr/bin/env bash
# Render the synthetic call corpus (corpus/<lang>/*.toml) with espeak-ng and evaluate it with
# reference transcripts. Used by CI and for the eval table in BENCHMARKS.md.
#
#   scripts/render_corpus.sh [--asr] [LANG...]      (default: it pl es en ko)
#
# Audio goes to out/corpus/<lang>/ (git-ignored). Unchanged dialogues are skipped and espeak-ng
# turn audio is cached in out/.tts-cache, so a second run only evaluates. Results:
# out/corpus-eval/{report.html,junit.xml,results.json,table.txt}. Exit status: that of eval
# (0 all expectations met, 1 some failed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
TRANSCRIPTS=only
if [[ "${1:-}" == "--asr" ]]; then TRANSCRIPTS=auto; shift; fi
LANGS=("$@")
# default: every language of rules/ (the folders that hold a pack: <lang>/cues.toml)
[[ ${#LANGS[@]} -eq 0 ]] && mapfile -t LANGS < <("$PY" -c 'from voiceassist.langs import LANGS; print("\n".join(LANGS))')

dirs=()
for lang in "${LANGS[@]}"; do
  "$PY" scripts/make_calls.py "corpus/$lang" --out "out/corpus/$lang" --cache out/.tts-cache --jobs "$JOBS" -q
  dirs+=("out/corpus/$lang")
done
mkdir -p out/corpus-eval
set +e
"$PY" -m voiceassist eval "${dirs[@]}" --transcripts "$TRANSCRIPTS" --jobs "$JOBS" --no-progress \
  --junit out/corpus-eval/junit.xml --report out/corpus-eval/report.html --json out/corpus-eval/results.json \
  | tee out/corpus-eval/table.txt
status=${PIPESTATUS[0]}
set -e
echo "report: out/corpus-eval/report.html"
exit "$status"
