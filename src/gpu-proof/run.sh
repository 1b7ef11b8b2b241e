#!/usr/bin/env bash
# breedbot GPU proof, as packed by `npm run gpu:pack`. Needs only bash, coreutils, gzip and tar: no Node.js, no
# network. Unpacks next to nothing it does not own (a temporary folder), points the Vulkan loader at the packed
# libraries, runs the proof, and leaves gpu-proof.json, gpu-proof.log and run.log in $OUT (default ./out).
# Sizes are flags or PROOF_* variables (src/gpu-proof/main.ts), e.g. ./run.sh --batches=1,16 --head-labels=2000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/breedbot-gpu-proof.XXXXXX")
cleanup() { [ -n "${PROOF_KEEP_WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

{
  echo "run.sh: unpacking into $work"
  gzip -dc "$here/node.gz" >"$work/node"
  chmod +x "$work/node"
  "$work/node" -e 'process.stdin.pipe(require("zlib").createBrotliDecompress()).pipe(process.stdout)' \
    <"$here/payload.tar.br" | tar -xf - -C "$work"
  app="$work/app"

  # The packed Vulkan loader (and the GL dispatch libraries NVIDIA's driver uses), then the driver's own folders.
  libs="$app/vulkan/usr/lib/x86_64-linux-gnu"
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libs="$libs:$d"; done
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then
    export VK_DRIVER_FILES="$nvidia_icd"
  fi
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work}
  echo "run.sh: $(uname -srm); VK_DRIVER_FILES=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-(loader default)}}"
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null || true
  command -v nvidia-smi >/dev/null && nvidia-smi -L || true

  # The proof's own budget is PROOF_BUDGET_SECONDS (330 s by default); this is the hard stop behind it.
  set +e
  timeout -k 10 "${PROOF_TIMEOUT_SECONDS:-345}" "$work/node" "$app/gpu-proof.mjs" \
    --model-dir="$app/model" --model-config="$app/model-config/model.json" --photos="$app/photos" --out="$OUT" "$@"
  rc=$?
  set -e
  echo "run.sh: proof exited with $rc"
  exit $rc
} 2>&1 | tee "$OUT/run.log"
