package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

/**
 * Random fills. Element i (row-major) of a fill takes draw {@code first + i} of the generator,
 * so the values do not depend on how the work is split over threads.
 */
public final class CpuRandom {
    private static final int ELEMENTS_PER_TASK = 1 << 15;

    private CpuRandom() {
    }

    public static void uniform(NDArray out, SeededRandom rng, double low, double high) {
        if (!(low < high)) {
            throw new IllegalArgumentException("randomUniform: need low < high, got [" + low + ", " + high + ")");
        }
        double width = high - low;
        fill(out, rng, "randomUniform", (seed, i) -> low + width * SeededRandom.uniform(seed, i));
    }

    public static void normal(NDArray out, SeededRandom rng, double mean, double std) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("randomNormal: std must be >= 0, got " + std);
        }
        fill(out, rng, "randomNormal", (seed, i) -> mean + std * SeededRandom.normal(seed, i));
    }

    private interface Draw {
        double at(long seed, long index);
    }

    private static void fill(NDArray out, SeededRandom rng, String op, Draw draw) {
        if (out.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": needs a float32 array, got " + out.dtype());
        }
        NDArray target = out.isContiguous() ? out : NDArrays.empty(DType.FLOAT32, out.shape());
        long n = target.numel();
        long first = rng.reserve(n);
        long seed = rng.seed();
        MemorySegment seg = target.segment();
        long base = target.offset();
        Parallel.forEach(Parallel.taskCount(n, ELEMENTS_PER_TASK), task -> {
            long start = (long) task * ELEMENTS_PER_TASK;
            long end = Math.min(n, start + ELEMENTS_PER_TASK);
            for (long i = start; i < end; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, base + i, (float) draw.at(seed, first + i));
            }
        });
        if (target != out) {
            StridedCopy.copy(target, out);
        }
    }
}
