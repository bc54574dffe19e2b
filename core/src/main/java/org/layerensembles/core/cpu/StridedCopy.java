package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * Copies the elements of one array into another of the same shape, whatever both layouts are.
 * Rows that are unit-stride on both sides move as bulk copies; the rest element by element.
 * Both dtypes are 4 bytes, so elements are moved as raw 32-bit words.
 */
public final class StridedCopy {
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT;
    private static final long ROWS_PER_TASK_ELEMENTS = 1 << 16;

    private StridedCopy() {
    }

    public static void copy(NDArray src, NDArray dst) {
        if (!java.util.Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("copy: shapes " + Shapes.str(src.shape()) + " and "
                    + Shapes.str(dst.shape()) + " differ");
        }
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy: dtypes " + src.dtype() + " and " + dst.dtype() + " differ");
        }
        MemorySegment from = src.segment();
        MemorySegment to = dst.segment();
        long n = src.numel();
        if (n == 0) {
            return;
        }
        if (src.isContiguous() && dst.isContiguous()) {
            MemorySegment.copy(from, src.offset() * 4, to, dst.offset() * 4, n * 4);
            return;
        }
        int[] shape = src.shape();
        if (shape.length == 0) {
            to.setAtIndex(WORD, dst.offset(), from.getAtIndex(WORD, src.offset()));
            return;
        }
        int rank = shape.length;
        int inner = shape[rank - 1];
        int srcInner = src.strides()[rank - 1];
        int dstInner = dst.strides()[rank - 1];
        long rows = n / inner;
        long rowsPerTask = Math.max(1, ROWS_PER_TASK_ELEMENTS / inner);
        int[] srcStrides = src.strides();
        int[] dstStrides = dst.strides();
        Parallel.forEach(Parallel.taskCount(rows, rowsPerTask), task -> {
            long firstRow = task * rowsPerTask;
            long lastRow = Math.min(rows, firstRow + rowsPerTask);
            for (long row = firstRow; row < lastRow; row++) {
                long s = src.offset();
                long d = dst.offset();
                long rest = row;
                for (int dim = rank - 2; dim >= 0; dim--) {
                    long i = rest % shape[dim];
                    rest /= shape[dim];
                    s += i * srcStrides[dim];
                    d += i * dstStrides[dim];
                }
                if (srcInner == 1 && dstInner == 1) {
                    MemorySegment.copy(from, s * 4, to, d * 4, (long) inner * 4);
                } else {
                    for (int j = 0; j < inner; j++) {
                        to.setAtIndex(WORD, d + (long) j * dstInner, from.getAtIndex(WORD, s + (long) j * srcInner));
                    }
                }
            }
        });
    }
}
