package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;

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
        String op = "concat";
        if (xs == null || xs.isEmpty()) {
            throw new IllegalArgumentException(op + ": needs at least one array");
        }
        NDArray first = xs.get(0);
        if (first == null) {
            throw new IllegalArgumentException(op + ": array 0 is null");
        }
        int rank = first.rank();
        int a = axisOf(op, axis, first.shape());
        int[] firstShape = first.shape();
        long total = 0;
        for (int p = 0; p < xs.size(); p++) {
            NDArray x = xs.get(p);
            if (x == null) {
                throw new IllegalArgumentException(op + ": array " + p + " is null");
            }
            if (x.dtype() != first.dtype()) {
                throw new IllegalArgumentException(op + ": dtypes differ, array 0 is " + first.dtype() + " "
                        + Shapes.str(firstShape) + ", array " + p + " is " + x.dtype() + " " + Shapes.str(x.shape()));
            }
            if (x.rank() != rank) {
                throw new IllegalArgumentException(op + ": ranks differ, array 0 has shape " + Shapes.str(firstShape)
                        + ", array " + p + " has shape " + Shapes.str(x.shape()));
            }
            for (int d = 0; d < rank; d++) {
                if (d != a && x.size(d) != firstShape[d]) {
                    throw new IllegalArgumentException(op + ": shape mismatch in dimension " + d
                            + " (all but axis " + a + " must agree), array 0 has shape " + Shapes.str(firstShape)
                            + ", array " + p + " has shape " + Shapes.str(x.shape()));
                }
            }
            total += x.size(a);
        }
        int[] outShape = firstShape.clone();
        outShape[a] = Math.toIntExact(total);
        NDArray out = NDArrays.empty(first.dtype(), Shapes.validate(op, outShape));
        long outer = product(outShape, 0, a);
        long inner = product(outShape, a + 1, rank);
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
        String op = "split";
        if (x == null) {
            throw new IllegalArgumentException(op + ": x is null");
        }
        int[] shape = x.shape();
        int a = axisOf(op, axis, shape);
        if (sizes == null || sizes.length == 0) {
            throw new IllegalArgumentException(op + ": needs at least one size");
        }
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative size in " + Arrays.toString(sizes));
            }
            sum += s;
        }
        if (sum != shape[a]) {
            throw new IllegalArgumentException(op + ": sizes " + Arrays.toString(sizes) + " sum to " + sum
                    + ", but dimension " + a + " of x " + Shapes.str(shape) + " has extent " + shape[a]);
        }
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

    private static int axisOf(String op, int axis, int[] shape) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for shape "
                    + Shapes.str(shape) + " (rank " + shape.length + ")");
        }
        return a;
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
