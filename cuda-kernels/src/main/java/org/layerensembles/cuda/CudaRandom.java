package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;

/**
 * Random fills on the GPU (random.cu) with core's counter-based {@link SeededRandom}: a fill of n
 * elements reserves draws first .. first + n - 1 of the generator on the host, and element i
 * (row-major over the view's shape) takes draw first + i, so the GPU fills the numbers the CPU
 * backend would (uniform: the same bits; normal: within a float ulp, see random.cu).
 */
final class CudaRandom {
    private static final String MODULE = "random";
    private final Gpu gpu;

    CudaRandom(Gpu gpu) {
        this.gpu = gpu;
    }

    void uniform(NDArray out, SeededRandom rng, double low, double high) {
        if (!(low < high)) {
            throw new IllegalArgumentException("randomUniform: need low < high, got [" + low + ", " + high + ")");
        }
        fill("randomUniform", "random_uniform", out, rng, low, high - low);
    }

    void normal(NDArray out, SeededRandom rng, double mean, double std) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("randomNormal: std must be >= 0, got " + std);
        }
        fill("randomNormal", "random_normal", out, rng, mean, std);
    }

    private void fill(String op, String kernel, NDArray out, SeededRandom rng, double a, double b) {
        if (out.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": needs a float32 array, got " + out.dtype());
        }
        gpu.require(op, "out", out);
        long n = out.numel();
        long first = rng.reserve(n);
        StridedLayout l = StridedLayout.of(op, out.shape(), out.strides());
        gpu.launchElements(MODULE, kernel, n, l.addTo(KernelArgs.create().ptr(Gpu.address(out)).i32((int) n)
                .i64(rng.seed()).i64(first).f64(a).f64(b)));
    }
}
