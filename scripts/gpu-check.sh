#!/usr/bin/env bash
# GPU check, runnable as is on a fresh GPU machine without internet: `npm run gpu-check` (or
# `bash scripts/gpu-check.sh [--ort-cuda-from=FILE.nupkg]`).
#   1. installs the GPU pieces it can (scripts/setup-gpu.mjs: onnxruntime-node's CUDA provider, from
#      NuGet or from --ort-cuda-from / DRIN_ORT_CUDA_FROM offline; tfjs-node-gpu where CUDA 11 is present);
#   2. `drin device` (GPUs, driver, the one-op session on onnxruntime's CUDA provider, tfjs-node-gpu);
#   3. with a working CUDA provider: one DRIN and one GHMFC parity fixture on CUDA, the model bench on CUDA (train /
#      eval mentions/s at the paper's sizes) and a small encode on CUDA (the tiny BERT/ResNet/DETR/CLIP);
#   4. one summary table. Every step has a time limit; the whole stays under 10 minutes. On a machine
#      without a working CUDA provider it ends with a "no GPU" summary and exit status 0.
# Logs: results/gpu-check/ (DRIN_GPU_CHECK_OUT). Fixtures: $DRIN_SHARED, else ../shared, else ./shared.
# DRIN_BENCH_STEPS: timed bench steps (default 5). DRIN_GPU_CHECK_DEVICE=cpu runs step 3 on the CPU
# (to check this script itself on a machine without a GPU).
set -u
cd "$(dirname "$0")/.."
OUT=${DRIN_GPU_CHECK_OUT:-results/gpu-check}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
export ONNXRUNTIME_NODE_INSTALL=skip # only setup-gpu.mjs asks onnxruntime-node for its CUDA files
START=$SECONDS
ROWS=()
row() { ROWS+=("$1"$'\t'"$2"$'\t'"$3"); }

BUDGET=${DRIN_GPU_CHECK_BUDGET:-570} # seconds for the whole check (under 10 minutes)

# run NAME LIMIT CMD...: log to $OUT/NAME.log, show its tail, return the command's status (124: time
# limit). LIMIT is cut to what is left of the budget; with under 20 s left the step is not started (125).
run() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET - (SECONDS - START)))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 20 ]; then
    echo "== $name: not started (the ${BUDGET}s budget is spent)" | tee "$OUT/$name.log"
    return 125
  fi
  echo "== $name (limit ${limit}s): $*"
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  tail -n 30 "$OUT/$name.log" | sed 's/^/   /'
  [ $rc -eq 124 ] && echo "   (stopped at the ${limit}s limit)"
  return $rc
}

# verdict RC OK-WORD: OK-WORD for 0, TIMEOUT for 124, NOT RUN for 125 (budget spent), else FAIL
verdict() { case $1 in 0) echo "$2" ;; 124) echo TIMEOUT ;; 125) echo "NOT RUN" ;; *) echo FAIL ;; esac; }

# 0. node_modules (offline: must already be there)
if [ ! -d node_modules/onnxruntime-node ]; then
  run npm-ci 300 npm ci --no-audit --no-fund || { row "node_modules" "FAILED" "npm ci failed (offline?): see $OUT/npm-ci.log"; }
fi

# 1. GPU pieces
run setup-gpu 330 node scripts/setup-gpu.mjs "$@"
SETUP=$(grep -E '^  (INSTALLED|PRESENT|SKIPPED|FAILED)' "$OUT/setup-gpu.log" | sed -E 's/^  ([A-Z]+) +([^:]+):.*/\2: \1/' | paste -sd ';' - | sed 's/;/; /g')
row "setup --gpu" "done" "${SETUP:-see $OUT/setup-gpu.log}"

# 2. drin device
run device 90 node bin/drin.js device
node bin/drin.js device --json >"$OUT/device.json" 2>/dev/null
field() { node -e "const r=require(process.argv[1]); const v=($1); console.log(v === undefined ? '' : v)" "$OUT/device.json" 2>/dev/null; }
GPUS=$(field "r.nvidia.gpus.map(g => g.name + ' ' + Math.round(g.memoryMiB / 1024) + ' GiB').join('; ') || 'none: ' + r.nvidia.reason")
DRIVER=$(field "'driver ' + (r.nvidia.driver || '-') + ', driver CUDA ' + (r.nvidia.cuda || '-') + ', nvcc ' + (r.toolkit || '-')")
ORT_OK=$(field "r.ortCuda.check.ok ? 'yes' : 'no'")
ORT_WHY=$(field "r.ortCuda.check.ok ? 'one-op session ran on cuda in ' + r.ortCuda.check.ms + ' ms' : r.use.ort.why")
TFJS=$(field "r.tfjsGpu.usingGpu ? 'uses the GPU' : (r.tfjsGpu.reason || 'no GPU')")
row "GPU" "$(field "r.nvidia.gpus.length ? 'OK' : 'NONE'")" "${GPUS:-drin device failed: see $OUT/device.log}"
row "driver / CUDA" "-" "${DRIVER:--}"
row "onnxruntime CUDA" "$([ "$ORT_OK" = yes ] && echo OK || echo NO)" "${ORT_WHY:-see $OUT/device.log}"
row "tfjs-node-gpu" "$(field "r.tfjsGpu.usingGpu ? 'OK' : 'NO'")" "$TFJS"

# 3. on CUDA
DEV=${DRIN_GPU_CHECK_DEVICE:-cuda}
if [ "$ORT_OK" = yes ] || [ "$DEV" = cpu ]; then
  SHARED=${DRIN_SHARED:-}
  for d in "$SHARED" ../shared ./shared; do [ -n "$d" ] && [ -d "$d/fixtures/drin" ] && { SHARED=$d; break; }; done
  FIX="$SHARED/fixtures/drin/wikidiverse-small"
  FIXB="$SHARED/fixtures/baselines/ghmfc-wikidiverse-small" # GHMFC's ort engine on the same provider
  if [ -d "$FIX" ]; then
    FIXES=("$FIX")
    [ -d "$FIXB" ] && FIXES+=("$FIXB")
    run parity 150 node bin/drin.js parity --device $DEV "${FIXES[@]}"
    rc=$?
    row "drin parity ($DEV)" "$(verdict $rc PASS)" "$(grep -E 'fixture directories PASS' "$OUT/parity.log" | tail -1) $(for f in "${FIXES[@]}"; do basename "$f"; done | paste -sd ' ' -); log $OUT/parity.log"
  else
    row "drin parity ($DEV)" "SKIPPED" "no fixtures (set DRIN_SHARED to the folder holding fixtures/drin)"
  fi

  DRIN_BENCH_DEVICE=$DEV DRIN_BENCH_STEPS=${DRIN_BENCH_STEPS:-5} run bench 240 node --import tsx bench/index.ts model
  rc=$?
  for ds in wikidiverse wikimel; do
    line=$(grep -E "^model $ds " "$OUT/bench.log" | tail -1)
    if [ -n "$line" ]; then
      row "bench $ds ($DEV)" "OK" "$(echo "$line" | sed -E 's/.*(train +[0-9.]+ mentions\/s).*(eval +[0-9.]+ mentions\/s).*/\1, \2/')"
    else
      row "bench $ds ($DEV)" "$(verdict $rc FAIL)" "exit $rc: see $OUT/bench.log"
    fi
  done

  PREP="$OUT/tiny-prepared"; ENC="$OUT/tiny-encoded"; T=test/fixtures/tiny-models
  rm -rf "$PREP" "$ENC"
  if node --import tsx -e "require('./test/unit/encode-helpers').makeTinyPrepared(process.argv[1])" "$PREP" >"$OUT/tiny-prepared.log" 2>&1; then
    run encode 120 node bin/drin.js encode --prepared "$PREP" --out "$ENC" --text $T/tiny-bert --image $T/tiny-resnet --detector $T/tiny-detr --clip $T/tiny-clip --device $DEV --chunk-images 64 --chunk-texts 64
    rc=$?
    dev=$(grep -oE '^(WARNING: )?encode device: [a-z]+' "$OUT/encode.log" | head -1)
    [ $rc -eq 0 ] && ! grep -q "encode device: $DEV" "$OUT/encode.log" && rc=1
    row "encode tiny ($DEV)" "$(verdict $rc OK)" "${dev:-no device line}; $(grep -E '^encode: ' "$OUT/encode.log" | tail -1)"
  else
    row "encode tiny ($DEV)" "FAIL" "could not write the tiny prepared folder: see $OUT/tiny-prepared.log"
  fi
else
  for s in "drin parity ($DEV)" "bench ($DEV)" "encode tiny ($DEV)"; do row "$s" "SKIPPED" "no working onnxruntime CUDA provider"; done
fi

# 4. summary
echo
echo "GPU check summary ($((SECONDS - START)) s; logs in $OUT)"
printf '%s\n' "${ROWS[@]}" | awk -F'\t' '{ printf "  %-24s %-8s %s\n", $1, $2, $3 }'
if [ "$ORT_OK" = yes ]; then
  echo "RESULT: CUDA works through onnxruntime-node; DRIN's and GHMFC's ort engines, drin train / drin baseline --device auto and drin encode use it."
else
  echo "RESULT: no GPU in use — ${ORT_WHY:-drin device gave no report}. Everything runs on the CPU."
fi
exit 0
