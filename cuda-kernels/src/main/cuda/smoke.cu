// A kernel that only exercises the build and the launch path: fills n floats with a value.
// Grid-stride loop, so any grid covers any n.
extern "C" __global__ void fill_f32(float* __restrict__ out, long long n, float value) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n;
         i += (long long) gridDim.x * blockDim.x) {
        out[i] = value;
    }
}
