package org.layerensembles.cuda;

import java.util.Random;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * Runs a primitive on the CPU backend and on the CUDA backend and compares: prints the maximum
 * absolute and relative error of every comparison (so a GPU run leaves a table of them in its
 * log), then asserts |gpu - cpu| <= atol + rtol |cpu| element by element.
 */
final class GpuVsCpu {
    static final Backend CPU = Backends.cpu();
    private static CudaBackend gpu;

    private GpuVsCpu() {
    }

    static synchronized CudaBackend gpu() {
        if (gpu == null) {
            gpu = new CudaBackend();
        }
        return gpu;
    }

    /** The host array on the device. */
    static NDArray dev(NDArray host) {
        return gpu().toDevice(host);
    }

    /** Values uniform in [-1, 1) (exact float32), fresh for each seed. */
    static NDArray random(long seed, int... shape) {
        return TestData.array(seed, shape);
    }

    /** Values uniform in [lo, hi). */
    static NDArray uniform(long seed, double lo, double hi, int... shape) {
        NDArray x = random(seed, shape);
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (v[i] + 1) / 2 * (hi - lo));
        }
        return NDArrays.of(v, shape);
    }

    /** int32 values in [0, bound). */
    static NDArray ints(long seed, int bound, int... shape) {
        Random r = new Random(seed);
        int[] v = new int[RefArrays.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(bound);
        }
        return NDArrays.of(v, shape);
    }

    /** Compares a device result with the CPU's within the stated tolerance, printing the errors. */
    static void close(String what, NDArray cpu, NDArray device, double atol, double rtol) {
        NDArray got = gpu().toHost(device);
        double[] e = RefArrays.doubles(cpu);
        double[] a = RefArrays.doubles(got);
        double maxAbs = 0;
        double maxRel = 0;
        for (int i = 0; i < Math.min(e.length, a.length); i++) {
            double d = Math.abs(a[i] - e[i]);
            if (!Double.isNaN(d)) {
                maxAbs = Math.max(maxAbs, d);
                maxRel = Math.max(maxRel, d / Math.max(Math.abs(e[i]), 1e-30));
            }
        }
        System.out.printf("[gpu] %-48s max abs %.3e  max rel %.3e  (atol %.0e, rtol %.0e, %d values)%n", what, maxAbs,
                maxRel, atol, rtol, e.length);
        Compare.assertClose(what, cpu, got, atol, rtol);
    }

    /** Compares bit for bit (int results, and float results the kernels promise exactly). */
    static void identical(String what, NDArray cpu, NDArray device) {
        NDArray got = gpu().toHost(device);
        System.out.printf("[gpu] %-48s compared bit for bit (%d values)%n", what, cpu.numel());
        Compare.assertIdentical(what, cpu, got);
    }
}
