package org.layerensembles.core.reference;

import java.util.Arrays;

/**
 * Reference batched matrix product, in double precision:
 * {@code C[b, i, j] = sum over p of A[b, i, p] * B[b, p, j]}, where A is the operand [..., M, K]
 * (or [..., K, M] read transposed) and B is [..., K, N] (or [..., N, K] transposed). Leading batch
 * dimensions broadcast (an extent of 1, or a missing dimension, repeats).
 */
public final class MatmulRef {
    private MatmulRef() {
    }

    /** Shape of the product: the broadcast batch dimensions, then M and N. */
    public static int[] shape(int[] aShape, int[] bShape, boolean transposeA, boolean transposeB) {
        int ra = aShape.length;
        int rb = bShape.length;
        int m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
        int n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
        int rank = Math.max(ra, rb);
        int[] out = new int[rank];
        for (int d = 0; d < rank - 2; d++) {
            out[d] = Math.max(batchExtent(aShape, d, rank), batchExtent(bShape, d, rank));
        }
        out[rank - 2] = m;
        out[rank - 1] = n;
        return out;
    }

    public static double[] matmul(double[] a, int[] aShape, double[] b, int[] bShape,
                                  boolean transposeA, boolean transposeB) {
        int[] outShape = shape(aShape, bShape, transposeA, transposeB);
        int rank = outShape.length;
        int m = outShape[rank - 2];
        int n = outShape[rank - 1];
        int k = transposeA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
        int[] batchShape = Arrays.copyOf(outShape, rank - 2);
        int batches = RefArrays.numel(batchShape);
        double[] c = new double[batches * m * n];
        for (int bi = 0; bi < batches; bi++) {
            int[] batchIndex = RefArrays.unflat(batchShape, bi);
            int aBase = matrixStart(aShape, batchIndex, rank);
            int bBase = matrixStart(bShape, batchIndex, rank);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transposeA ? a[aBase + p * m + i] : a[aBase + i * k + p];
                        double bv = transposeB ? b[bBase + j * k + p] : b[bBase + p * n + j];
                        sum += av * bv;
                    }
                    c[(bi * m + i) * n + j] = sum;
                }
            }
        }
        return c;
    }

    /** Extent of output batch dimension d (of a result of the given rank) in an operand, 1 if missing. */
    private static int batchExtent(int[] shape, int d, int rank) {
        int od = d - (rank - shape.length);
        return od < 0 ? 1 : shape[od];
    }

    /** Flat position of the first element of the operand's matrix for this output batch index. */
    private static int matrixStart(int[] shape, int[] batchIndex, int rank) {
        int matrix = shape[shape.length - 2] * shape[shape.length - 1];
        int pos = 0;
        for (int d = 0; d < batchIndex.length; d++) {
            int od = d - (rank - shape.length);
            if (od >= 0) {
                int extent = shape[od];
                pos = pos * extent + (extent == 1 ? 0 : batchIndex[d]);
            }
        }
        return pos * matrix;
    }
}
