#!/usr/bin/env bash
# Side-by-side benchmarks of shipyard and MLflow on this machine.
#
#   bash benchmarks/run.sh                      # everything (~10-15 min), writes benchmarks/results.json
#   bash benchmarks/run.sh search_runs          # only some benchmarks (table only, no results.json)
#
# Environment:
#   MLFLOW_PYTHON    an interpreter that already has mlflow==3.17.2 (skips creating the venv)
#   SHIPYARD_PYTHON  the interpreter with shipyard installed (default: <repo>/.venv/bin/python)
#   BENCH_TMPDIR     where the throw-away stores go (default: the system temp folder)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
MLFLOW_VERSION="3.17.2"
ALL=(log_metric log_metrics search_runs import_time create_runs)

# -- interpreters ----------------------------------------------------------------------
SHIPYARD_PYTHON="${SHIPYARD_PYTHON:-$REPO/.venv/bin/python}"
if ! "$SHIPYARD_PYTHON" -c "import shipyard" 2>/dev/null; then
    echo "error: $SHIPYARD_PYTHON cannot import shipyard; create the repo venv first" >&2
    echo "       (python3 -m venv .venv && .venv/bin/pip install -e '.[dev]') or set SHIPYARD_PYTHON" >&2
    exit 2
fi

has_mlflow() {
    "$1" -c "import sys, mlflow; sys.exit(mlflow.__version__ != '$MLFLOW_VERSION')" 2>/dev/null
}
if [[ -n "${MLFLOW_PYTHON:-}" ]]; then
    if ! has_mlflow "$MLFLOW_PYTHON"; then
        echo "error: MLFLOW_PYTHON=$MLFLOW_PYTHON does not have mlflow==$MLFLOW_VERSION" >&2
        exit 2
    fi
else
    VENV="$HERE/.venv-mlflow"
    MLFLOW_PYTHON="$VENV/bin/python"
    if ! has_mlflow "$MLFLOW_PYTHON"; then
        echo "creating $VENV with mlflow==$MLFLOW_VERSION (a few minutes, once)" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet "mlflow==$MLFLOW_VERSION"
        has_mlflow "$MLFLOW_PYTHON" || { echo "error: mlflow install failed" >&2; exit 2; }
    fi
fi

# -- what to run -------------------------------------------------------------------------
if [[ $# -gt 0 ]]; then
    BENCHES=("$@")
    for b in "${BENCHES[@]}"; do
        [[ -f "$HERE/tracking/$b.py" ]] || { echo "error: no benchmark $b (have: ${ALL[*]})" >&2; exit 2; }
    done
else
    BENCHES=("${ALL[@]}")
fi

tools_for() {
    case "$1" in
        log_metric) echo "shipyard mlflow mlflow-async" ;;
        *) echo "shipyard mlflow" ;;
    esac
}

WORK="$HERE/.work"
mkdir -p "$WORK/logs"
JSONL="$WORK/results.jsonl"
: >"$JSONL"
export BENCH_LOADAVG_START
BENCH_LOADAVG_START="$("$SHIPYARD_PYTHON" -c 'import os, json; print(json.dumps(os.getloadavg()))')"
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true

FAILED=()
START=$SECONDS
for bench in "${BENCHES[@]}"; do
    for tool in $(tools_for "$bench"); do
        if [[ "$tool" == shipyard ]]; then py="$SHIPYARD_PYTHON"; else py="$MLFLOW_PYTHON"; fi
        log="$WORK/logs/$bench-$tool.log"
        t0=$SECONDS
        printf '%-12s %-13s ' "$bench" "$tool" >&2
        # fresh interpreter per benchmark and tool, run from a neutral folder
        if (cd "${TMPDIR:-/tmp}" && "$py" "$HERE/tracking/$bench.py" --tool "$tool") \
            >"$WORK/out.json" 2>"$log" && grep -q '^{' "$WORK/out.json"; then
            grep '^{' "$WORK/out.json" | tail -n 1 >>"$JSONL"
            printf 'ok   %4ds\n' $((SECONDS - t0)) >&2
        else
            FAILED+=("$bench:$tool")
            printf 'FAILED (%ds), see %s\n' $((SECONDS - t0)) "$log" >&2
        fi
    done
done
echo "total $((SECONDS - START)) s" >&2

OUT=()
if [[ $# -eq 0 ]]; then OUT=(--out "$HERE/results.json"); fi
"$SHIPYARD_PYTHON" "$HERE/report.py" "$JSONL" "${OUT[@]}" --failed "${FAILED[*]:-}"
[[ ${#FAILED[@]} -eq 0 ]]
