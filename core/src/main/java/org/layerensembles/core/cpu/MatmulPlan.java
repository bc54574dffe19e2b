package org.layerensembles.core.cpu;

import java.util.Arrays;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;

/**
 * The validated layout of a batched matrix product {@code op(a) x op(b)}: sizes, the result's
 * shape, and for each batch entry where its matrices start in a and b (element offsets, batch
 * dimensions broadcast). Element (i, p) of op(a) for batch entry e is at
 * {@code aOffsets[e] + i*aRowStride + p*aColStride}; likewise b. Shared by the backends that
 * compute matmul so that all of them reject bad input with the same messages.
 *
 * @param outShape the result's shape: the broadcast batch dimensions, then m and n
 */
public record MatmulPlan(int m, int n, int k, int[] outShape, long[] aOffsets, long[] bOffsets,
                         long aRowStride, long aColStride, long bRowStride, long bColStride) {

    /** Checks dtypes, ranks, inner sizes and batch broadcasting, naming the op and both shapes. */
    public static MatmulPlan of(String op, NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        Checks.float32(op, "a", a);
        Checks.float32(op, "b", b);
        int[] as = a.shape();
        int[] bs = b.shape();
        if (as.length < 2 || bs.length < 2) {
            throw new IllegalArgumentException(op + ": both operands need rank >= 2, got a " + Shapes.str(as)
                    + " and b " + Shapes.str(bs));
        }
        int ra = as.length;
        int rb = bs.length;
        int m = transposeA ? as[ra - 1] : as[ra - 2];
        int ka = transposeA ? as[ra - 2] : as[ra - 1];
        int kb = transposeB ? bs[rb - 1] : bs[rb - 2];
        int n = transposeB ? bs[rb - 2] : bs[rb - 1];
        if (ka != kb) {
            throw new IllegalArgumentException(op + ": inner dimensions differ: a " + Shapes.str(as)
                    + (transposeA ? " (transposed)" : "") + " has K=" + ka + ", b " + Shapes.str(bs)
                    + (transposeB ? " (transposed)" : "") + " has K=" + kb);
        }
        int[] batchA = Arrays.copyOf(as, ra - 2);
        int[] batchB = Arrays.copyOf(bs, rb - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast(op, batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": batch dimensions of a " + Shapes.str(as) + " and b "
                    + Shapes.str(bs) + " cannot be broadcast together", e);
        }
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Shapes.validate(op, outShape);
        int[] sa = a.strides();
        int[] sb = b.strides();
        return new MatmulPlan(m, n, ka, outShape,
                batchOffsets(batch, batchA, sa, a.offset()), batchOffsets(batch, batchB, sb, b.offset()),
                transposeA ? sa[ra - 1] : sa[ra - 2], transposeA ? sa[ra - 2] : sa[ra - 1],
                transposeB ? sb[rb - 1] : sb[rb - 2], transposeB ? sb[rb - 2] : sb[rb - 1]);
    }

    /** Number of matrix products. */
    public int batches() {
        return aOffsets.length;
    }

    /**
     * Element offset of each batch entry's matrix in an operand whose batch shape {@code own}
     * broadcasts to {@code batch} (extent-1 and missing dimensions repeat).
     */
    private static long[] batchOffsets(int[] batch, int[] own, int[] strides, long base) {
        int count = Math.toIntExact(Shapes.numel(batch));
        long[] offsets = new long[count];
        int lead = batch.length - own.length;
        for (int i = 0; i < count; i++) {
            long off = base;
            long rest = i;
            for (int d = batch.length - 1; d >= 0; d--) {
                int idx = (int) (rest % batch[d]);
                rest /= batch[d];
                int od = d - lead;
                if (od >= 0 && own[od] != 1) {
                    off += (long) idx * strides[od];
                }
            }
            offsets[i] = off;
        }
        return offsets;
    }
}
