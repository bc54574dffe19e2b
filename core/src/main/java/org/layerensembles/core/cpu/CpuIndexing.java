package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.IndexChecks;

/**
 * Gather along an axis (torch.gather), its gradient, and one-hot encoding. The twin is
 * {@link org.layerensembles.core.reference.IndexingRef}.
 *
 * <p>The index array is viewed as [outer, K, inner] around the axis. The memory offset of each
 * outer and each inner multi-index in the other array is tabulated once, so an element costs two
 * table reads, a multiply by the axis stride and a bounds check.
 */
final class CpuIndexing {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** About how many elements one task covers. */
    private static final long TASK_ELEMENTS = 1 << 15;
    /** Inner positions one gatherBackward unit covers. */
    private static final int CHUNK = 1024;

    private CpuIndexing() {
    }

    /**
     * out[..., i_axis, ...] = x[..., index[..., i_axis, ...], ...]: out has the index's shape;
     * index (int32) has x's rank and, in every other dimension, an extent no larger than x's.
     * x may be float32 or int32.
     *
     * @throws IndexOutOfBoundsException for an index value outside [0, x.size(axis))
     */
    public static NDArray gather(NDArray x, int axis, NDArray index) {
        String op = "gather";
        int a = IndexChecks.gather(x, axis, index);
        int[] xShape = x.shape();
        int[] is = index.shape();
        NDArray out = NDArrays.empty(x.dtype(), is);
        if (out.numel() == 0) {
            return out;
        }
        Layout l = Layout.of(is, a, x.strides(), x.offset());
        NDArray ic = index.contiguous();
        MemorySegment idx = ic.segment();
        long io = ic.offset();
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        long oo = out.offset();
        long axisStride = x.strides()[a];
        int extent = xShape[a];
        long rows = l.outer * l.k;
        long rowsPerTask = Math.max(1, TASK_ELEMENTS / l.inner);
        Parallel.forEach(Parallel.taskCount(rows, rowsPerTask), t -> {
            long end = Math.min(rows, (t + 1) * rowsPerTask);
            for (long r = t * rowsPerTask; r < end; r++) {
                long base = l.outerOffset[(int) (r / l.k)];
                long e = r * l.inner;
                for (int i = 0; i < l.inner; i++) {
                    int v = idx.getAtIndex(I32, io + e + i);
                    if (v < 0 || v >= extent) {
                        throw IndexChecks.outOfRange(op, v, a, xShape);
                    }
                    // 4-byte words: the same copy serves float32 and int32
                    os.setAtIndex(I32, oo + e + i, xs.getAtIndex(I32, base + l.innerOffset[i] + v * axisStride));
                }
            }
        });
        return out;
    }

    /**
     * The gradient of gather: zeros of {@code inputShape} with each gradY[i] added at the
     * position gather read for i. Each target is written by one task, adding along the axis in
     * index order, so sums do not depend on the thread count.
     */
    public static NDArray gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape) {
        String op = "gatherBackward";
        int a = IndexChecks.gatherBackward(gradY, axis, index, inputShape);
        int[] shape = inputShape.clone();
        NDArray out = NDArrays.zeros(DType.FLOAT32, shape);
        if (index.numel() == 0) {
            return out;
        }
        Layout l = Layout.of(index.shape(), a, out.strides(), out.offset());
        NDArray ic = index.contiguous();
        NDArray gc = gradY.contiguous();
        MemorySegment idx = ic.segment();
        MemorySegment gs = gc.segment();
        MemorySegment os = out.segment();
        long io = ic.offset();
        long go = gc.offset();
        long axisStride = out.strides()[a];
        int extent = shape[a];
        int chunk = Math.min(l.inner, CHUNK);
        long chunksPerOuter = (l.inner + chunk - 1) / chunk;
        long units = l.outer * chunksPerOuter;
        long unitsPerTask = Math.max(1, TASK_ELEMENTS / ((long) l.k * chunk));
        Parallel.forEach(Parallel.taskCount(units, unitsPerTask), t -> {
            long end = Math.min(units, (t + 1) * unitsPerTask);
            for (long u = t * unitsPerTask; u < end; u++) {
                int o = (int) (u / chunksPerOuter);
                int i0 = (int) (u % chunksPerOuter) * chunk;
                int i1 = Math.min(l.inner, i0 + chunk);
                long base = l.outerOffset[o];
                for (int k = 0; k < l.k; k++) {
                    long e = ((long) o * l.k + k) * l.inner;
                    for (int i = i0; i < i1; i++) {
                        int v = idx.getAtIndex(I32, io + e + i);
                        if (v < 0 || v >= extent) {
                            throw IndexChecks.outOfRange(op, v, a, shape);
                        }
                        long target = base + l.innerOffset[i] + v * axisStride;
                        os.setAtIndex(F32, target, os.getAtIndex(F32, target) + gs.getAtIndex(F32, go + e + i));
                    }
                }
            }
        });
        return out;
    }

    /**
     * float32 one-hot of int32 labels: the output has the labels' shape with a class dimension of
     * extent {@code classes} inserted at {@code axis}, which counts over the output's rank
     * (negative from its end: labels [N, H, W] with axis 1 or -3 give [N, classes, H, W]).
     *
     * @throws IllegalArgumentException for a label outside [0, classes), naming it
     */
    public static NDArray oneHot(NDArray labels, int classes, int axis) {
        String op = "oneHot";
        int a = IndexChecks.oneHot(labels, classes, axis);
        int[] ls = labels.shape();
        NDArray out = NDArrays.empty(DType.FLOAT32, IndexChecks.oneHotShape(ls, classes, a));
        NDArray lc = labels.contiguous();
        MemorySegment lab = lc.segment();
        long lb = lc.offset() * 4;
        long n = lc.numel();
        checkLabels(op, lab, lb, n, classes, ls);
        if (n == 0) {
            return out;
        }
        long outer = 1;
        for (int d = 0; d < a; d++) {
            outer *= ls[d];
        }
        long inner = n / outer;
        MemorySegment os = out.segment();
        long ob = out.offset() * 4;
        long rows = outer * classes;
        long rowsPerTask = Math.max(1, TASK_ELEMENTS / inner);
        Parallel.forEach(Parallel.taskCount(rows, rowsPerTask), t -> {
            long end = Math.min(rows, (t + 1) * rowsPerTask);
            for (long r = t * rowsPerTask; r < end; r++) {
                long o = r / classes;
                int c = (int) (r % classes);
                oneHotRow(lab, lb + 4 * o * inner, os, ob + 4 * r * inner, inner, c);
            }
        });
        return out;
    }

    /** out[i] = labels[i] == c ? 1 : 0 for i in [0, n). */
    private static void oneHotRow(MemorySegment lab, long lb, MemorySegment out, long ob, long n, int c) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector zero = FloatVector.zero(F);
        long i = 0;
        for (long upper = n - n % I.length(); i < upper; i += I.length()) {
            IntVector v = IntVector.fromMemorySegment(I, lab, lb + 4 * i, NATIVE);
            zero.blend(one, v.eq(c).cast(F)).intoMemorySegment(out, ob + 4 * i, NATIVE);
        }
        for (; i < n; i++) {
            out.set(F32, ob + 4 * i, lab.get(I32, lb + 4 * i) == c ? 1f : 0f);
        }
    }

    /** Throws naming the first label outside [0, classes); a vector min/max scan finds whether there is one. */
    private static void checkLabels(String op, MemorySegment lab, long lb, long n, int classes, int[] shape) {
        IntVector lo = IntVector.broadcast(I, 0);
        IntVector hi = IntVector.broadcast(I, 0);
        long i = 0;
        for (long upper = n - n % I.length(); i < upper; i += I.length()) {
            IntVector v = IntVector.fromMemorySegment(I, lab, lb + 4 * i, NATIVE);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        int min = lo.reduceLanes(VectorOperators.MIN);
        int max = hi.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            int v = lab.get(I32, lb + 4 * i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (min >= 0 && max < classes) {
            return;
        }
        for (long j = 0; j < n; j++) {
            int v = lab.get(I32, lb + 4 * j);
            if (v < 0 || v >= classes) {
                int[] at = new int[shape.length];
                long rest = j;
                for (int d = shape.length - 1; d >= 0; d--) {
                    at[d] = (int) (rest % shape[d]);
                    rest /= shape[d];
                }
                throw new IllegalArgumentException(op + ": label " + v + " at " + Arrays.toString(at) + " of labels "
                        + Shapes.str(shape) + " is outside [0, " + classes + ")");
            }
        }
    }

    // ---- layout

    /**
     * The index shape as [outer, k, inner] around the axis, with the element offsets (in the other
     * array, whose strides and offset are given) of every outer and inner multi-index.
     */
    private record Layout(int outer, int k, int inner, long[] outerOffset, long[] innerOffset) {
        static Layout of(int[] indexShape, int axis, int[] strides, long offset) {
            long[] outerOff = offsets(indexShape, strides, 0, axis, offset);
            long[] innerOff = offsets(indexShape, strides, axis + 1, indexShape.length, 0);
            return new Layout(outerOff.length, indexShape[axis], innerOff.length, outerOff, innerOff);
        }

        /** Offsets of the row-major multi-indices over dimensions [from, to). */
        private static long[] offsets(int[] shape, int[] strides, int from, int to, long start) {
            long[] off = {start};
            for (int d = from; d < to; d++) {
                long[] next = new long[off.length * shape[d]];
                for (int q = 0; q < off.length; q++) {
                    for (int j = 0; j < shape[d]; j++) {
                        next[q * shape[d] + j] = off[q] + (long) j * strides[d];
                    }
                }
                off = next;
            }
            return off;
        }
    }
}
