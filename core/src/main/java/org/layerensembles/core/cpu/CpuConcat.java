package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.ConcatChecks;

/**
 * Concatenation and splitting along an axis, as copies. The twin is
 * {@link org.layerensembles.core.reference.ConcatRef}.
 *
 * <p>Around the axis a contiguous array is [outer, extent, inner]; one part's block for a given
 * outer index is a single contiguous run of {@code partExtent * inner} elements, both in the part
 * and in the joined array. So a contiguous part moves as {@code outer} bulk
 * {@link MemorySegment#copy} calls; a non-contiguous part goes through {@link StridedCopy} into
 * (or out of) a slice view. Both dtypes are 4 bytes wide, so copies are dtype-blind.
 */
final class CpuConcat {
    /** About how many elements one copy task moves. */
    private static final long TASK_ELEMENTS = 1 << 16;

    private CpuConcat() {
    }

    /**
     * Joins arrays along {@code axis} (negative counts from the end). All must have the same
     * dtype and rank, and the same extents except along the axis. The result is a new array even
     * for a single part.
     */
    public static NDArray concat(List<NDArray> xs, int axis) {
        int a = ConcatChecks.concat(xs, axis);
        int[] outShape = ConcatChecks.joinedShape(xs, a);
        long total = outShape[a];
        NDArray out = NDArrays.empty(xs.get(0).dtype(), outShape);
        long outer = product(outShape, 0, a);
        long inner = product(outShape, a + 1, outShape.length);
        int offset = 0;
        for (NDArray x : xs) {
            int extent = x.size(a);
            if (x.isContiguous()) {
                copyRuns(x.segment(), x.offset(), extent * inner, out.segment(), out.offset() + offset * inner, total * inner,
                        extent * inner, outer);
            } else {
                StridedCopy.copy(x, out.slice(a, offset, offset + extent));
            }
            offset += extent;
        }
        return out;
    }

    /**
     * Cuts {@code x} along {@code axis} into new contiguous arrays of the given extents, which
     * must be non-negative and sum to the axis extent.
     */
    public static List<NDArray> split(NDArray x, int axis, int... sizes) {
        int a = ConcatChecks.split(x, axis, sizes);
        int[] shape = x.shape();
        long outer = product(shape, 0, a);
        long inner = product(shape, a + 1, shape.length);
        List<NDArray> parts = new ArrayList<>(sizes.length);
        int offset = 0;
        for (int extent : sizes) {
            int[] partShape = shape.clone();
            partShape[a] = extent;
            NDArray part = NDArrays.empty(x.dtype(), partShape);
            if (x.isContiguous()) {
                copyRuns(x.segment(), x.offset() + offset * inner, shape[a] * inner, part.segment(), part.offset(),
                        extent * inner, extent * inner, outer);
            } else {
                StridedCopy.copy(x.slice(a, offset, offset + extent), part);
            }
            parts.add(part);
            offset += extent;
        }
        return parts;
    }

    private static long product(int[] shape, int from, int to) {
        long p = 1;
        for (int d = from; d < to; d++) {
            p *= shape[d];
        }
        return p;
    }

    /**
     * Copies {@code runs} runs of {@code runLength} 4-byte elements; run r starts at element
     * {@code srcStart + r * srcStride} of src and {@code dstStart + r * dstStride} of dst.
     */
    private static void copyRuns(MemorySegment src, long srcStart, long srcStride, MemorySegment dst, long dstStart,
                                 long dstStride, long runLength, long runs) {
        if (runLength == 0 || runs == 0) {
            return;
        }
        long runsPerTask = Math.max(1, TASK_ELEMENTS / runLength);
        Parallel.forEach(Parallel.taskCount(runs, runsPerTask), t -> {
            long end = Math.min(runs, (t + 1) * runsPerTask);
            for (long r = t * runsPerTask; r < end; r++) {
                MemorySegment.copy(src, 4 * (srcStart + r * srcStride), dst, 4 * (dstStart + r * dstStride),
                        4 * runLength);
            }
        });
    }
}
