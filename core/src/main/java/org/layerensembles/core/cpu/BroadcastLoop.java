package org.layerensembles.core.cpu;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;

/**
 * Walks the elements of an elementwise result in rows, for any number of operands of any layout.
 *
 * <p>Every operand is first viewed at the result's shape (broadcast dimensions get stride 0).
 * Then the loop is simplified: dimensions of extent 1 are dropped, and neighbouring dimensions
 * are merged where every operand steps through them as through one dimension (stride of the
 * outer = stride of the inner times its extent, which includes two stride-0 dimensions). A
 * contiguous same-shape op becomes one long row; [N, C, H, W] with a per-channel [C, 1, 1]
 * becomes N*C rows of H*W in which the channel value is constant (inner stride 0).
 *
 * <p>A row callback gets the element offsets of all operands at the row's start and the row's
 * length; the operands' strides along the row are {@link #innerStride(int)}. Kernels pick a
 * vector loop for inner strides 0 and 1 and a scalar strided loop otherwise.
 */
final class BroadcastLoop {
    /** Elements per parallel task: big enough to amortise a task, small enough to balance. */
    static final int GRAIN = 1 << 15;

    /** Called once per (part of a) row with per-operand start offsets, in elements. */
    interface Row {
        void run(long[] offsets, int length);
    }

    private final int[] shape;
    private final int[][] strides;
    private final long[] base;
    private final long numel;

    /**
     * @param outShape the shape of the result; every operand's shape must broadcast to it
     *                 (callers validate first, so errors name the op)
     */
    BroadcastLoop(int[] outShape, NDArray... operands) {
        int n = operands.length;
        List<Integer> dims = new ArrayList<>();
        int[][] full = new int[n][];
        base = new long[n];
        for (int k = 0; k < n; k++) {
            full[k] = operands[k].broadcastTo(outShape).strides();
            base[k] = operands[k].offset();
        }
        long count = 1;
        for (int d = 0; d < outShape.length; d++) {
            count *= outShape[d];
            if (outShape[d] != 1) {
                dims.add(d);
            }
        }
        numel = count;
        // Merge from the innermost dimension outwards.
        List<int[]> merged = new ArrayList<>(); // each entry: extent, then n strides
        for (int i = dims.size() - 1; i >= 0; i--) {
            int d = dims.get(i);
            int[] entry = new int[n + 1];
            entry[0] = outShape[d];
            for (int k = 0; k < n; k++) {
                entry[k + 1] = full[k][d];
            }
            if (!merged.isEmpty()) {
                int[] inner = merged.get(merged.size() - 1);
                boolean fits = true;
                for (int k = 0; k < n && fits; k++) {
                    fits = (long) entry[k + 1] == (long) inner[k + 1] * inner[0];
                }
                if (fits && (long) inner[0] * entry[0] <= Integer.MAX_VALUE) {
                    inner[0] *= entry[0];
                    continue;
                }
            }
            merged.add(entry);
        }
        if (merged.isEmpty()) {
            merged.add(new int[n + 1]);
            merged.get(0)[0] = 1;
        }
        int rank = merged.size();
        shape = new int[rank];
        strides = new int[n][rank];
        for (int i = 0; i < rank; i++) {
            int[] entry = merged.get(rank - 1 - i);
            shape[i] = entry[0];
            for (int k = 0; k < n; k++) {
                strides[k][i] = entry[k + 1];
            }
        }
    }

    long numel() {
        return numel;
    }

    /** Stride of operand k along the rows, in elements (0 for a value broadcast along the row). */
    int innerStride(int k) {
        return strides[k][shape.length - 1];
    }

    /**
     * Runs the rows of the whole result on the worker pool, in tasks of {@link #GRAIN} elements
     * (long rows are cut at task boundaries). Fine for elementwise work, where each element is
     * computed on its own and the split cannot change any value.
     */
    void run(Row row) {
        long n = numel;
        Parallel.forEach(Parallel.taskCount(n, GRAIN), task -> {
            long start = (long) task * GRAIN;
            forRange(start, Math.min(n, start + GRAIN), row);
        });
    }

    /** Runs the rows covering flat result positions [start, end), in order. */
    void forRange(long start, long end, Row row) {
        int rank = shape.length;
        int inner = shape[rank - 1];
        int ops = base.length;
        long[] offsets = new long[ops];
        int[] index = new int[rank];
        long rest = start / inner;
        index[rank - 1] = (int) (start % inner);
        for (int d = rank - 2; d >= 0; d--) {
            index[d] = (int) (rest % shape[d]);
            rest /= shape[d];
        }
        long pos = start;
        while (pos < end) {
            for (int k = 0; k < ops; k++) {
                long o = base[k];
                int[] s = strides[k];
                for (int d = 0; d < rank; d++) {
                    o += (long) index[d] * s[d];
                }
                offsets[k] = o;
            }
            int length = (int) Math.min(inner - index[rank - 1], end - pos);
            row.run(offsets, length);
            pos += length;
            index[rank - 1] = 0;
            for (int d = rank - 2; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
    }
}
