#!/usr/bin/env bash
# Compiles every src/main/cuda/*.cu into PTX for compute_80 (<name>.ptx, JIT-compiled by the
# driver on any GPU of compute capability 8.0+) and a cubin for sm_90 (<name>.sm_90.cubin,
# loaded as is on Hopper). Called by Maven (exec-maven-plugin, generate-resources):
#   build-kernels.sh <source dir> <output dir>
# Without nvcc (not on PATH, not in $CUDA_HOME/bin) it writes <output dir>/NO_KERNELS with the
# reason and succeeds: the build passes, and the CUDA backend reports that no kernels were built.
# Outputs newer than their source and than every .cuh header beside it are kept, so a rebuild
# costs nothing; editing a header rebuilds every .cu (which ones include it is not tracked).
set -euo pipefail

src_dir=${1:?usage: build-kernels.sh <source dir> <output dir>}
out_dir=${2:?usage: build-kernels.sh <source dir> <output dir>}
cuda_home=${CUDA_HOME:-/usr/local/cuda}
mkdir -p "$out_dir"

nvcc=$(command -v nvcc || true)
if [[ -z $nvcc && -x $cuda_home/bin/nvcc ]]; then
    nvcc=$cuda_home/bin/nvcc
fi
if [[ -z $nvcc ]]; then
    rm -f "$out_dir"/*.ptx "$out_dir"/*.cubin
    reason="nvcc was not found on PATH or in $cuda_home/bin when this jar was built"
    echo "$reason" > "$out_dir/NO_KERNELS"
    echo "build-kernels: NO_KERNELS: $reason" >&2
    exit 0
fi
rm -f "$out_dir/NO_KERNELS"

flags=(-O3 -std=c++17 -Werror all-warnings -Xptxas -warn-spills)
shopt -s nullglob
sources=("$src_dir"/*.cu)
headers=("$src_dir"/*.cuh)

# True when $1 exists and is newer than the .cu $2 and every header.
up_to_date() {
    [[ $1 -nt $2 ]] || return 1
    local h
    for h in "${headers[@]}"; do
        [[ $1 -nt $h ]] || return 1
    done
}

for cu in "${sources[@]}"; do
    name=$(basename "$cu" .cu)
    ptx=$out_dir/$name.ptx
    cubin=$out_dir/$name.sm_90.cubin
    if up_to_date "$ptx" "$cu" && up_to_date "$cubin" "$cu"; then
        continue
    fi
    echo "build-kernels: $name.cu -> $name.ptx (compute_80), $name.sm_90.cubin" >&2
    "$nvcc" "${flags[@]}" -arch=compute_80 -ptx -o "$ptx" "$cu"
    "$nvcc" "${flags[@]}" -arch=sm_90 -cubin -o "$cubin" "$cu"
done
echo "build-kernels: ${#sources[@]} kernel file(s) in $out_dir ($("$nvcc" --version | tail -1))" >&2
