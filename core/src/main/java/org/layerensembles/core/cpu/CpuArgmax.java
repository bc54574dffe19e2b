package org.layerensembles.core.cpu;

import static org.layerensembles.core.cpu.BinaryKernels.F;
import static org.layerensembles.core.cpu.BinaryKernels.I;
import static org.layerensembles.core.cpu.BinaryKernels.NATIVE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.ReduceShapes;

/**
 * argmax along one axis. The input, made contiguous, is seen as [outer, A, inner]. With
 * inner = 1 (the last axis) each row of A is scanned; otherwise (e.g. the class axis of
 * [N, C, H, W]) a vector of inner positions is compared across A at once, keeping the best
 * value and its index per lane. A later element replaces the best only when strictly larger, so
 * the first index wins ties; NaN counts as larger than everything (the first NaN wins), as in
 * NumPy.
 */
final class CpuArgmax {
    private static final int GRAIN = 1 << 15;

    private CpuArgmax() {
    }

    static NDArray argmax(NDArray x, int axis, boolean keepDims) {
        Checks.float32("argmax", "x", x);
        int[] shape = x.shape();
        int a = ReduceShapes.argmaxAxis(shape, axis);
        NDArray out = NDArrays.empty(DType.INT32, ReduceShapes.argmaxShape(shape, a, keepDims));
        if (out.numel() == 0) {
            return out;
        }
        long outer = Shapes.numel(java.util.Arrays.copyOf(shape, a));
        int extent = shape[a];
        int inner = 1;
        for (int d = a + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        NDArray c = x.contiguous();
        MemorySegment seg = c.segment();
        MemorySegment res = out.segment();
        long base = c.offset();
        long outBase = out.offset();
        if (inner == 1) {
            long rowsPerTask = Math.max(1, GRAIN / extent);
            Parallel.forEach(Parallel.taskCount(outer, rowsPerTask), task -> {
                long end = Math.min(outer, (task + 1) * rowsPerTask);
                for (long r = task * rowsPerTask; r < end; r++) {
                    res.setAtIndex(ValueLayout.JAVA_INT, outBase + r, scanRow(seg, base + r * extent, extent));
                }
            });
            return out;
        }
        int fl = F.length();
        int innerFinal = inner;
        int chunks = (inner + fl - 1) / fl;
        int chunksPerTask = (int) Math.max(1, Math.min(chunks, GRAIN / ((long) fl * extent)));
        int tasksPerOuter = (chunks + chunksPerTask - 1) / chunksPerTask;
        Parallel.forEach(Math.toIntExact(outer * tasksPerOuter), task -> {
            long o = task / tasksPerOuter;
            int first = (task % tasksPerOuter) * chunksPerTask;
            int end = Math.min(chunks, first + chunksPerTask);
            for (int ch = first; ch < end; ch++) {
                int j = ch * fl;
                columns(seg, base + o * extent * innerFinal + j, extent, innerFinal, Math.min(fl, innerFinal - j),
                        res, outBase + o * innerFinal + j);
            }
        });
        return out;
    }

    /**
     * argmax of a contiguous row. Long rows: a vector pass finds the maximum (Math.max
     * semantics: NaN wins), a second finds its first position (the first NaN when it is NaN).
     * Values equal to the maximum compare equal (including -0.0 vs 0.0), so this is the first
     * index that a strict "greater than" scan would keep.
     */
    private static int scanRow(MemorySegment seg, long at, int extent) {
        int fl = F.length();
        if (extent < 2 * fl) {
            float best = seg.getAtIndex(ValueLayout.JAVA_FLOAT, at);
            int bestIndex = 0;
            for (int i = 1; i < extent && !Float.isNaN(best); i++) {
                float v = seg.getAtIndex(ValueLayout.JAVA_FLOAT, at + i);
                if (v > best || Float.isNaN(v)) {
                    best = v;
                    bestIndex = i;
                }
            }
            return bestIndex;
        }
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(extent); i < bound; i += fl) {
            acc = acc.max(FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE));
        }
        float best = Float.NEGATIVE_INFINITY;
        for (float v : acc.toArray()) {
            best = Math.max(best, v);
        }
        for (; i < extent; i++) {
            best = Math.max(best, seg.getAtIndex(ValueLayout.JAVA_FLOAT, at + i));
        }
        i = 0;
        if (!Float.isNaN(best)) {
            for (int bound = F.loopBound(extent); i < bound; i += fl) {
                VectorMask<Float> hit = FloatVector.fromMemorySegment(F, seg, (at + i) * 4, NATIVE)
                        .compare(VectorOperators.EQ, best);
                if (hit.anyTrue()) {
                    return i + hit.firstTrue();
                }
            }
        }
        for (; i < extent; i++) {
            float v = seg.getAtIndex(ValueLayout.JAVA_FLOAT, at + i);
            if (v == best || Float.isNaN(v)) {
                return i;
            }
        }
        throw new AssertionError("argmax: maximum not found again");
    }

    /** argmax over {@code extent} rows spaced {@code stride} apart, for n neighbouring lanes. */
    private static void columns(MemorySegment seg, long at, int extent, int stride, int n, MemorySegment res,
                                long outAt) {
        VectorMask<Float> m = F.indexInRange(0, n);
        FloatVector best = FloatVector.fromMemorySegment(F, seg, at * 4, NATIVE, m);
        IntVector bestIndex = IntVector.zero(I);
        for (int i = 1; i < extent; i++) {
            FloatVector v = FloatVector.fromMemorySegment(F, seg, (at + (long) i * stride) * 4, NATIVE, m);
            VectorMask<Float> take = v.compare(VectorOperators.GT, best)
                    .or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
            best = best.blend(v, take);
            bestIndex = bestIndex.blend(i, take.cast(I));
        }
        bestIndex.intoMemorySegment(res, outAt * 4, NATIVE, m.cast(I));
    }
}
