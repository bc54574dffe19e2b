package org.layerensembles.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.cpu.CpuRandom;
import org.layerensembles.core.memory.MemoryScope;

/**
 * Creating host arrays. Memory comes from the current {@link MemoryScope} (or the garbage
 * collector when none is open).
 */
public final class NDArrays {
    private NDArrays() {
    }

    /** A contiguous array whose contents are undefined (pooled memory is reused, not zeroed). */
    public static NDArray empty(DType dtype, int... shape) {
        int[] s = Shapes.validate("empty", shape);
        long bytes = Shapes.numel(s) * dtype.byteSize();
        return new NDArray(MemoryScope.allocate(bytes), dtype, s, Shapes.contiguousStrides(s), 0);
    }

    /**
     * A zeroed contiguous array of {@code like}'s dtype and shape whose memory has the same owner
     * as {@code like}'s: it lives exactly as long (a parameter's gradient, optimizer state).
     */
    public static NDArray zerosBeside(NDArray like) {
        int[] s = like.shape();
        long bytes = Shapes.numel(s) * like.dtype().byteSize();
        NDArray a = new NDArray(MemoryScope.allocateIn(like.allocation().owner(), bytes), like.dtype(), s,
                Shapes.contiguousStrides(s), 0);
        a.segment().asSlice(0, bytes).fill((byte) 0);
        return a;
    }

    public static NDArray zeros(int... shape) {
        return zeros(DType.FLOAT32, shape);
    }

    public static NDArray zeros(DType dtype, int... shape) {
        NDArray a = empty(dtype, shape);
        a.segment().asSlice(0, a.numel() * dtype.byteSize()).fill((byte) 0);
        return a;
    }

    public static NDArray ones(int... shape) {
        return full(1f, shape);
    }

    /** A float32 array with every element equal to {@code value}. */
    public static NDArray full(float value, int... shape) {
        NDArray a = empty(DType.FLOAT32, shape);
        MemorySegment seg = a.segment();
        long n = a.numel();
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
        }
        return a;
    }

    /** A float32 array holding {@code value} with shape [] (broadcasts against anything). */
    public static NDArray scalar(float value) {
        return full(value, new int[0]);
    }

    /** float32 [n]: 0, 1, ..., n-1. */
    public static NDArray arange(int n) {
        return arange(0, n, 1);
    }

    /** float32 values start, start+step, ... below end (above it for a negative step). */
    public static NDArray arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be non-zero, got " + step);
        }
        long n = Math.max(0, (long) Math.ceil((end - start) / step));
        NDArray a = empty(DType.FLOAT32, Math.toIntExact(n));
        MemorySegment seg = a.segment();
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (start + i * step));
        }
        return a;
    }

    /** int32 [n]: 0, 1, ..., n-1. */
    public static NDArray arangeInt(int n) {
        NDArray a = empty(DType.INT32, n);
        MemorySegment seg = a.segment();
        for (int i = 0; i < n; i++) {
            seg.setAtIndex(ValueLayout.JAVA_INT, i, i);
        }
        return a;
    }

    /** A float32 array holding a copy of {@code data} in row-major order. */
    public static NDArray of(float[] data, int... shape) {
        checkLength(data.length, shape);
        NDArray a = empty(DType.FLOAT32, shape);
        MemorySegment.copy(data, 0, a.segment(), ValueLayout.JAVA_FLOAT, 0, data.length);
        return a;
    }

    /** An int32 array holding a copy of {@code data} in row-major order. */
    public static NDArray of(int[] data, int... shape) {
        checkLength(data.length, shape);
        NDArray a = empty(DType.INT32, shape);
        MemorySegment.copy(data, 0, a.segment(), ValueLayout.JAVA_INT, 0, data.length);
        return a;
    }

    /** A float32 array rounded from double values (reference computations produce doubles). */
    public static NDArray of(double[] data, int... shape) {
        checkLength(data.length, shape);
        NDArray a = empty(DType.FLOAT32, shape);
        MemorySegment seg = a.segment();
        for (int i = 0; i < data.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) data[i]);
        }
        return a;
    }

    private static void checkLength(int length, int[] shape) {
        if (Shapes.numel(Shapes.validate("of", shape)) != length) {
            throw new IllegalArgumentException("of: " + length + " values do not fill shape " + Shapes.str(shape));
        }
    }

    /** float32 values uniform in [low, high), draws taken from {@code rng}. */
    public static NDArray randomUniform(SeededRandom rng, double low, double high, int... shape) {
        NDArray a = empty(DType.FLOAT32, shape);
        CpuRandom.uniform(a, rng, low, high);
        return a;
    }

    /** float32 normal values N(mean, std^2), draws taken from {@code rng}. */
    public static NDArray randomNormal(SeededRandom rng, double mean, double std, int... shape) {
        NDArray a = empty(DType.FLOAT32, shape);
        CpuRandom.normal(a, rng, mean, std);
        return a;
    }
}
