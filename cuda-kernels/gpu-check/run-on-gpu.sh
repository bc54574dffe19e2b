#!/usr/bin/env bash
# The GPU check, run on the GPU machine from the repository root, with gpu-carry/ (made here by
# prepare.sh) carried along:
#   1. unpacks gpu-carry/gpu-carry.tar.gz (a Java runtime, the jars, the tests, the peer script);
#   2. prints the GPU (nvidia-smi);
#   3. runs the @Tag("gpu") tests with the JUnit console launcher, each test listed, with what it
#      prints (the kernels' max relative errors against the CPU backend);
#   4. times our CUDA backend (GpuTimings) and PyTorch on the same GPU (pytorch_peer.py);
#   5. prints one table: ours | PyTorch | ratio.
# Logs and the two timing files go to $OUT (the device tool brings them back), else ./gpu-check-out.
# Without a GPU it says so, runs what it can (the tests then report themselves skipped) and exits 1.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
archive=$root/gpu-carry/gpu-carry.tar.gz
out=${OUT:-$root/gpu-check-out}
work=${TMPDIR:-/tmp}/le-gpu-check
mkdir -p "$out"
if [[ ! -f $archive ]]; then
    echo "run-on-gpu: $archive is missing: run cuda-kernels/gpu-check/prepare.sh on the build machine and carry gpu-carry/" >&2
    exit 2
fi
rm -rf "$work" && mkdir -p "$work" && tar -C "$work" -xzf "$archive" || exit 2

gpu=1
if command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
    nvidia-smi | sed -n 3p # the line with the driver's CUDA version
else
    gpu=0
    echo "run-on-gpu: NO GPU on this machine (nvidia-smi is missing or sees no device); the GPU tests will be skipped"
fi
# The driver library may sit outside the loader's cache in containers.
if ! ldconfig -p 2> /dev/null | grep -q 'libcuda\.so\.1 '; then
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/local/cuda/compat; do
        [[ -e $d/libcuda.so.1 ]] && export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    done
fi

java=$work/jre/bin/java
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxDirectMemorySize=8g -Xss4m)
cp=$(ls "$work"/lib/*.jar | paste -sd:)
"$java" -version 2>&1 | head -1

echo "== GPU tests (@Tag gpu) =="
"$java" "${flags[@]}" -jar "$work/junit-console.jar" execute --disable-banner --disable-ansi-colors --details=tree \
    --class-path "$cp:$work/test-classes/cuda-kernels" --scan-class-path "$work/test-classes/cuda-kernels" \
    --include-tag gpu 2>&1 | tee "$out/gpu-tests.log"
tests_rc=${PIPESTATUS[0]}

echo "== timings: ours (GpuTimings) =="
"$java" "${flags[@]}" -cp "$cp" org.layerensembles.benchmarks.gpu.GpuTimings "$out/ours.tsv" 2>&1 \
    | tee "$out/ours.log"
echo "== timings: PyTorch (pytorch_peer.py) =="
if (( gpu )) && python3 -c 'import torch; assert torch.cuda.is_available()' 2> /dev/null; then
    PYTHONUNBUFFERED=1 python3 "$work/pytorch_peer.py" "$out/pytorch.tsv" 2>&1 | tee "$out/pytorch.log"
else
    echo "run-on-gpu: PyTorch with CUDA is not available here; no peer timings"
fi

echo "== ours | PyTorch | ratio (ms: lower is better, ratio = ours / PyTorch; GB/s: higher is better, ratio = ours / PyTorch) =="
python3 - "$out/ours.tsv" "$out/pytorch.tsv" <<'PY'
import sys

def load(path):
    try:
        with open(path) as f:
            return dict(line.rstrip("\n").split("\t", 1) for line in f if "\t" in line)
    except OSError:
        return {}

ours, peer = load(sys.argv[1]), load(sys.argv[2])
print(f"ours:    {ours.get('device', 'no results')}")
print(f"PyTorch: {peer.get('device', 'no results')}")
rows = [("train_plain_ms", "training step, plain unet-small (ms)"),
        ("train_le_ms", "training step, Layer Ensembles (ms)"),
        ("infer_le_ms", "inference LE, forward + softmax + uncertainty (ms)"),
        ("uncertainty_ms", "uncertainty maps + adjacent Dice (ms)"),
        ("uncertainty_gbps", "uncertainty, GB/s of probabilities read"),
        ("copy_dtod_gbps", "device copy, GB/s read + written")]
width = max(len(label) for _, label in rows)
print(f"{'':{width}} | {'ours':>12} | {'PyTorch':>10} | ratio")
notes = []
for key, label in rows:
    a, b = ours.get(key, "missing: not measured"), peer.get(key, "-")
    try:
        ratio = f"{float(a) / float(b):.2f}"
    except ValueError:
        ratio = "-"
    if a.startswith("missing"):
        notes.append(f"  {key}: {a}")
        a = "missing"
    print(f"{label:{width}} | {a:>12} | {b:>10} | {ratio}")
if notes:
    print("why ours is missing:")
    print("\n".join(notes))
PY

if (( ! gpu )); then
    echo "run-on-gpu: no GPU here: nothing was measured (tests skipped, timings missing)"
    exit 1
fi
exit "$tests_rc"
