#!/usr/bin/env bash
# Side-by-side benchmarks on this machine: shipyard's tracking vs MLflow, its registry vs DVC,
# its model serving (REST and batch) vs MLflow's, its LLM gateway vs the LiteLLM proxy, its
# evaluations vs MLflow's (classifier) and raw llama-cpp-python (prompt on the local model).
#
#   bash benchmarks/run.sh                      # everything (~40 min), writes benchmarks/results.json
#   bash benchmarks/run.sh search_runs          # only some benchmarks (table only, no results.json)
#   bash benchmarks/run.sh registry_table registry_folder    # the registry ones (~5 min)
#   bash benchmarks/run.sh serving              # serving_rest + serving_batch (~8 min), writes
#                                               # benchmarks/results-serving.json
#   bash benchmarks/run.sh gateway              # gateway_overhead + cache_hit + local_tokens
#                                               # (~12 min), writes benchmarks/results-gateway.json
#   bash benchmarks/run.sh evals                # eval_classic + eval_local_llm (~4 min), writes
#                                               # benchmarks/results-evals.json
#
# Environment:
#   MLFLOW_PYTHON    an interpreter that already has mlflow==3.17.2 (skips creating the venv)
#   DVC_PYTHON       an interpreter that already has dvc==3.67.1 (skips creating the venv)
#   LITELLM_PYTHON   an interpreter that already has litellm[proxy]==1.106.2 (skips the venv)
#   SHIPYARD_PYTHON  the interpreter with shipyard installed (default: <repo>/.venv/bin/python)
#   BENCH_TMPDIR     where the throw-away stores go (default: the system temp folder)
#   BENCH_RESULTS    write the results file here (default: benchmarks/results.json for a
#                    full run, none for a partial one)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
MLFLOW_VERSION="3.17.2"
DVC_VERSION="3.67.1"
# Exactly this one: 1.107.0 was a compromised release. One worker, no database.
LITELLM_VERSION="1.106.2"
TRACKING=(log_metric log_metrics search_runs import_time create_runs)
REGISTRY=(registry_table registry_folder)
SERVING=(serving_rest serving_batch)
GATEWAY=(gateway_overhead cache_hit local_tokens)
EVALS=(eval_classic eval_local_llm)
ALL=("${TRACKING[@]}" "${REGISTRY[@]}" "${SERVING[@]}" "${GATEWAY[@]}" "${EVALS[@]}")

script_for() {  # tracking/NAME.py, registry/NAME.py, serving/NAME.py, gateway/NAME.py, evals/NAME.py
    local d
    for d in tracking registry serving gateway evals; do
        if [[ -f "$HERE/$d/$1.py" ]]; then echo "$HERE/$d/$1.py"; return 0; fi
    done
    return 1
}

# -- what to run -------------------------------------------------------------------------
if [[ $# -gt 0 ]]; then
    BENCHES=()
    for b in "$@"; do
        case "$b" in
            serving) BENCHES+=("${SERVING[@]}") ;;
            gateway) BENCHES+=("${GATEWAY[@]}") ;;
            evals) BENCHES+=("${EVALS[@]}") ;;
            *) BENCHES+=("$b") ;;
        esac
    done
    for b in "${BENCHES[@]}"; do
        script_for "$b" >/dev/null || {
            echo "error: no benchmark $b (have: ${ALL[*]}, serving, gateway, evals)" >&2
            exit 2
        }
    done
else
    BENCHES=("${ALL[@]}")
fi
NEED_MLFLOW=0
NEED_DVC=0
NEED_LITELLM=0
NEED_WRK=0
ONLY_SERVING=1
ONLY_GATEWAY=1
ONLY_EVALS=1
for b in "${BENCHES[@]}"; do
    case "$(script_for "$b")" in
        */registry/*) NEED_DVC=1 ;;
        */gateway/local_tokens.py) ;;  # shipyard and raw llama-cpp-python, both in the repo venv
        */evals/eval_local_llm.py) ;;  # the same
        */gateway/*) NEED_LITELLM=1 NEED_WRK=1 ;;
        *) NEED_MLFLOW=1 ;;
    esac
    [[ "$(script_for "$b")" == */serving/* ]] || ONLY_SERVING=0
    [[ "$(script_for "$b")" == */gateway/* ]] || ONLY_GATEWAY=0
    [[ "$(script_for "$b")" == */evals/* ]] || ONLY_EVALS=0
done

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
if [[ $NEED_MLFLOW == 0 ]]; then
    MLFLOW_PYTHON=""
elif [[ -n "${MLFLOW_PYTHON:-}" ]]; then
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

# DVC is only ever run as a command (DVC_PYTHON -m dvc, or the dvc script beside it); the
# registry scripts themselves run under SHIPYARD_PYTHON, which has numpy, pandas and pyarrow.
has_dvc() {
    "$1" -c "import sys, dvc; sys.exit(dvc.__version__ != '$DVC_VERSION')" 2>/dev/null
}
if [[ $NEED_DVC == 0 ]]; then
    DVC_PYTHON=""
elif [[ -n "${DVC_PYTHON:-}" ]]; then
    if ! has_dvc "$DVC_PYTHON"; then
        echo "error: DVC_PYTHON=$DVC_PYTHON does not have dvc==$DVC_VERSION" >&2
        exit 2
    fi
else
    VENV="$HERE/.venv-dvc"
    DVC_PYTHON="$VENV/bin/python"
    if ! has_dvc "$DVC_PYTHON"; then
        echo "creating $VENV with dvc==$DVC_VERSION (a few minutes, once)" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet "dvc==$DVC_VERSION"
        has_dvc "$DVC_PYTHON" || { echo "error: dvc install failed" >&2; exit 2; }
    fi
fi
export DVC_PYTHON DVC_NO_ANALYTICS=1

# LiteLLM's proxy runs from its own venv, only ever as its `litellm` command.
has_litellm() {
    "$1" -c "import sys, importlib.metadata as m; sys.exit(m.version('litellm') != '$LITELLM_VERSION')" \
        2>/dev/null && [[ -x "$(dirname "$1")/litellm" ]]
}
if [[ $NEED_LITELLM == 0 ]]; then
    LITELLM_PYTHON=""
elif [[ -n "${LITELLM_PYTHON:-}" ]]; then
    if ! has_litellm "$LITELLM_PYTHON"; then
        echo "error: LITELLM_PYTHON=$LITELLM_PYTHON does not have litellm[proxy]==$LITELLM_VERSION" >&2
        exit 2
    fi
else
    VENV="$HERE/.venv-litellm"
    LITELLM_PYTHON="$VENV/bin/python"
    if ! has_litellm "$LITELLM_PYTHON"; then
        echo "creating $VENV with litellm[proxy]==$LITELLM_VERSION (a few minutes, once)" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet "litellm[proxy]==$LITELLM_VERSION"
        has_litellm "$LITELLM_PYTHON" || { echo "error: litellm install failed" >&2; exit 2; }
    fi
fi
export LITELLM_PYTHON

# The gateway load generator is wrk (C, one thread drives tens of thousands of requests/s);
# Debian packages it. A Python load generator would be the bottleneck on 2 cores.
if [[ $NEED_WRK == 1 ]] && ! command -v wrk >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing wrk (apt-get install -y wrk)" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    fi
    command -v wrk >/dev/null || { echo "error: the gateway benchmarks need wrk: apt-get install wrk" >&2; exit 2; }
fi
# The serving benchmarks drive both sides from one shipyard process, which runs
# MLflow's commands with this interpreter (and the venv's bin folder on PATH).
export MLFLOW_PYTHON

tools_for() {
    case "$1" in
        log_metric) echo "shipyard mlflow mlflow-async" ;;
        eval_classic) echo "shipyard mlflow mlflow-noshap" ;;
        registry_*) echo "shipyard dvc" ;;
        serving_* | gateway_* | cache_hit | local_tokens | eval_local_llm)
            echo "side-by-side" ;;  # one process runs every side, prints every line
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
        case "$tool" in
            shipyard | dvc | side-by-side) py="$SHIPYARD_PYTHON" ;;
            *) py="$MLFLOW_PYTHON" ;;
        esac
        log="$WORK/logs/$bench-$tool.log"
        t0=$SECONDS
        printf '%-16s %-13s ' "$bench" "$tool" >&2
        # fresh interpreter per benchmark and tool, run from a neutral folder
        if (cd "${TMPDIR:-/tmp}" && "$py" "$(script_for "$bench")" --tool "$tool") \
            >"$WORK/out.json" 2>"$log" && grep -q '^{' "$WORK/out.json"; then
            if [[ $tool == side-by-side ]]; then
                grep '^{' "$WORK/out.json" >>"$JSONL"
            else
                grep '^{' "$WORK/out.json" | tail -n 1 >>"$JSONL"
            fi
            printf 'ok   %4ds\n' $((SECONDS - t0)) >&2
        else
            FAILED+=("$bench:$tool")
            printf 'FAILED (%ds), see %s\n' $((SECONDS - t0)) "$log" >&2
        fi
    done
done
echo "total $((SECONDS - START)) s" >&2

OUT=()
if [[ -n "${BENCH_RESULTS:-}" ]]; then
    OUT=(--out "$BENCH_RESULTS")
elif [[ $# -eq 0 ]]; then
    OUT=(--out "$HERE/results.json")
elif [[ $ONLY_SERVING == 1 && ${#BENCHES[@]} == "${#SERVING[@]}" ]]; then
    OUT=(--out "$HERE/results-serving.json")
elif [[ $ONLY_GATEWAY == 1 && ${#BENCHES[@]} == "${#GATEWAY[@]}" ]]; then
    OUT=(--out "$HERE/results-gateway.json")
elif [[ $ONLY_EVALS == 1 && ${#BENCHES[@]} == "${#EVALS[@]}" ]]; then
    OUT=(--out "$HERE/results-evals.json")
fi
"$SHIPYARD_PYTHON" "$HERE/report.py" "$JSONL" "${OUT[@]}" --failed "${FAILED[*]:-}"
[[ ${#FAILED[@]} -eq 0 ]]
