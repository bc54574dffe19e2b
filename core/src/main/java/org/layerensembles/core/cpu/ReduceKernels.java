package org.layerensembles.core.cpu;

import static org.layerensembles.core.cpu.BinaryKernels.F;
import static org.layerensembles.core.cpu.BinaryKernels.NATIVE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Inner loops of the reductions over a contiguous float32 input.
 *
 * <p>Sums are accumulated in double: each float vector is widened into two double vectors and
 * added to double accumulators, so that the error of a float32 sum of a million elements is one
 * rounding of the exact result, not a million roundings. Lanes are combined in a fixed order
 * (lane 0, 1, ...), never with {@code reduceLanes}, whose order may differ between the
 * interpreter and compiled code: a value must not depend on when the JIT kicked in.
 *
 * <p>The reduced positions are given as "rows": a row index {@code r} in [r0, r1) maps to an
 * element offset through the extents and strides of the reduced dimension groups
 * ({@link Groups}), like an odometer.
 */
final class ReduceKernels {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private ReduceKernels() {
    }

    /** Extents and strides (in elements) of some dimension groups, outermost first. */
    record Groups(int[] extents, long[] strides) {
        long count() {
            long n = 1;
            for (int e : extents) {
                n *= e;
            }
            return n;
        }

        /** Element offset of the position with this row-major flat index. */
        long offset(long flat) {
            long off = 0;
            for (int d = extents.length - 1; d >= 0; d--) {
                off += (flat % extents[d]) * strides[d];
                flat /= extents[d];
            }
            return off;
        }
    }

    // ---- row case: the innermost reduced group is contiguous, rows of length L

    /**
     * Sum of the reduced elements with flat reduced index in [s, e), for one output whose first
     * element is at {@code base}. {@code outer} are the reduced groups outside the contiguous
     * innermost one, of extent {@code length}.
     */
    static double sumRows(MemorySegment seg, long base, Groups outer, int length, long s, long e) {
        DoubleVector a0 = DoubleVector.zero(D);
        DoubleVector a1 = DoubleVector.zero(D);
        DoubleVector a2 = DoubleVector.zero(D);
        DoubleVector a3 = DoubleVector.zero(D);
        int fl = F.length();
        long pos = s;
        long row = s / length;
        int col = (int) (s % length);
        while (pos < e) {
            int n = (int) Math.min(length - col, e - pos);
            long at = base + outer.offset(row) + col;
            int i = 0;
            for (; i + 2 * fl <= n; i += 2 * fl) {
                FloatVector v = FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE);
                FloatVector w = FloatVector.fromMemorySegment(F, seg, (at + i + fl) * 4, NATIVE);
                a0 = a0.add(v.convertShape(VectorOperators.F2D, D, 0));
                a1 = a1.add(v.convertShape(VectorOperators.F2D, D, 1));
                a2 = a2.add(w.convertShape(VectorOperators.F2D, D, 0));
                a3 = a3.add(w.convertShape(VectorOperators.F2D, D, 1));
            }
            for (; i < n; i += fl) {
                VectorMask<Float> m = F.indexInRange(i, n);
                FloatVector v = FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE, m);
                a0 = a0.add(v.convertShape(VectorOperators.F2D, D, 0));
                a1 = a1.add(v.convertShape(VectorOperators.F2D, D, 1));
            }
            pos += n;
            row++;
            col = 0;
        }
        return lanes(a0.add(a2).add(a1.add(a3)));
    }

    /**
     * Max (or min) of the reduced elements with flat reduced index in [s, e); NaN wins. A min is
     * computed as -max(-x) (negation is exact), so that one loop without branches serves both.
     */
    static double extremeRows(boolean max, MemorySegment seg, long base, Groups outer, int length, long s, long e) {
        float sign = max ? 1f : -1f;
        FloatVector a0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector a1 = a0;
        int fl = F.length();
        long pos = s;
        long row = s / length;
        int col = (int) (s % length);
        while (pos < e) {
            int n = (int) Math.min(length - col, e - pos);
            long at = base + outer.offset(row) + col;
            int i = 0;
            for (; i + 2 * fl <= n; i += 2 * fl) {
                a0 = a0.max(FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE).mul(sign));
                a1 = a1.max(FloatVector.fromMemorySegment(F, seg, (at + i + fl) * 4, NATIVE).mul(sign));
            }
            for (; i < n; i += fl) {
                VectorMask<Float> m = F.indexInRange(i, n);
                FloatVector v = FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE, m);
                a0 = a0.lanewise(VectorOperators.MAX, v.mul(sign), m);
            }
            pos += n;
            row++;
            col = 0;
        }
        float r = Float.NEGATIVE_INFINITY;
        for (float x : a0.max(a1).toArray()) {
            r = Math.max(r, x);
        }
        return sign * r;
    }

    private static double lanes(DoubleVector v) {
        double[] lane = v.toArray();
        double s = 0;
        for (double x : lane) {
            s += x;
        }
        return s;
    }

    // ---- column case: the innermost kept group is contiguous; a block of outputs at a time

    /** Most outputs accumulated at once in the column case (the scratch holds them as doubles). */
    static final int BLOCK = 1024;
    private static final ThreadLocal<MemorySegment> ACC =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(BLOCK * 8L, 64));

    /** This thread's accumulator block (native memory, like every operand of a vector loop). */
    static MemorySegment accumulator() {
        return ACC.get();
    }

    /**
     * Sums into {@code acc[0..n)} (doubles), for the n neighbouring outputs whose first element
     * is at {@code base}, the elements of reduced rows r0..r1: acc[j] = sum over r of
     * x[base + offset(r) + j], added in order of r.
     */
    static void sumColumns(MemorySegment seg, long base, int n, Groups rows, long r0, long r1, MemorySegment acc) {
        acc.asSlice(0, n * 8L).fill((byte) 0);
        Odometer rowAt = new Odometer(rows, r0);
        for (long r = r0; r < r1; r++) {
            addWidened(seg, base + rowAt.offset, acc, n);
            rowAt.next();
        }
    }

    /** acc[j] += (double) x[at + j] for j in [0, n). */
    private static void addWidened(MemorySegment seg, long at, MemorySegment acc, int n) {
        int fl = F.length();
        int dl = D.length();
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += fl) {
            FloatVector v = FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE);
            DoubleVector.fromMemorySegment(D, acc, i * 8L, NATIVE).add(v.convertShape(VectorOperators.F2D, D, 0))
                    .intoMemorySegment(acc, i * 8L, NATIVE);
            DoubleVector.fromMemorySegment(D, acc, (i + dl) * 8L, NATIVE).add(v.convertShape(VectorOperators.F2D, D, 1))
                    .intoMemorySegment(acc, (i + dl) * 8L, NATIVE);
        }
        for (; i < n; i++) {
            acc.setAtIndex(ValueLayout.JAVA_DOUBLE, i, acc.getAtIndex(ValueLayout.JAVA_DOUBLE, i)
                    + seg.getAtIndex(ValueLayout.JAVA_FLOAT, at + i));
        }
    }

    /** out[outAt + j] = (float) (acc[j] / divisor) for j in [0, n). */
    static void storeNarrowed(MemorySegment acc, int n, double divisor, MemorySegment out, long outAt) {
        int dl = D.length();
        int i = 0;
        for (int bound = D.loopBound(n); i < bound; i += dl) {
            FloatVector f = (FloatVector) DoubleVector.fromMemorySegment(D, acc, i * 8L, NATIVE).div(divisor)
                    .convertShape(VectorOperators.D2F, F, 0);
            f.intoMemorySegment(out, (outAt + i) * 4, NATIVE, HALF);
        }
        for (; i < n; i++) {
            double sum = acc.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            out.setAtIndex(ValueLayout.JAVA_FLOAT, outAt + i, (float) (sum / divisor));
        }
    }

    /** The lanes of a float vector that a narrowed double vector fills. */
    private static final VectorMask<Float> HALF = F.indexInRange(0, D.length());

    /**
     * Max (or min) into {@code acc[0..n)} (floats) over reduced rows r0..r1, like
     * {@link #sumColumns}. Stored negated for a min (-max(-x)); {@link #storeExtreme} undoes it.
     */
    static void extremeColumns(boolean max, MemorySegment seg, long base, int n, Groups rows, long r0, long r1,
                               MemorySegment acc) {
        float sign = max ? 1f : -1f;
        for (int j = 0; j < n; j++) {
            acc.setAtIndex(ValueLayout.JAVA_FLOAT, j, Float.NEGATIVE_INFINITY);
        }
        Odometer rowAt = new Odometer(rows, r0);
        for (long r = r0; r < r1; r++) {
            long at = base + rowAt.offset;
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE);
                FloatVector.fromMemorySegment(F, acc, i * 4L, NATIVE).max(v.mul(sign))
                        .intoMemorySegment(acc, i * 4L, NATIVE);
            }
            for (; i < n; i++) {
                acc.setAtIndex(ValueLayout.JAVA_FLOAT, i, Math.max(acc.getAtIndex(ValueLayout.JAVA_FLOAT, i),
                        sign * seg.getAtIndex(ValueLayout.JAVA_FLOAT, at + i)));
            }
            rowAt.next();
        }
    }

    /** Reads back {@link #extremeColumns}'s block: the extreme of output j, as a double. */
    static double extremeAt(boolean max, MemorySegment acc, int j) {
        return (max ? 1 : -1) * acc.getAtIndex(ValueLayout.JAVA_FLOAT, j);
    }

    static void storeExtreme(boolean max, MemorySegment acc, int n, MemorySegment out, long outAt) {
        float sign = max ? 1f : -1f;
        for (int j = 0; j < n; j++) {
            out.setAtIndex(ValueLayout.JAVA_FLOAT, outAt + j, sign * acc.getAtIndex(ValueLayout.JAVA_FLOAT, j));
        }
    }

    /** Walks the element offsets of consecutive flat positions of some groups. */
    private static final class Odometer {
        private final int[] extents;
        private final long[] strides;
        private final int[] index;
        long offset;

        Odometer(Groups g, long start) {
            extents = g.extents();
            strides = g.strides();
            index = new int[extents.length];
            for (int d = extents.length - 1; d >= 0; d--) {
                index[d] = (int) (start % extents[d]);
                start /= extents[d];
                offset += index[d] * strides[d];
            }
        }

        void next() {
            for (int d = extents.length - 1; d >= 0; d--) {
                offset += strides[d];
                if (++index[d] < extents[d]) {
                    return;
                }
                offset -= extents[d] * strides[d];
                index[d] = 0;
            }
        }
    }
}
