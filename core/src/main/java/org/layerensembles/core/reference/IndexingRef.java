package org.layerensembles.core.reference;

/**
 * Gather (torch.gather), its gradient, and one-hot encoding, element by element: the twin of
 * the CPU kernels. For an index array of the same rank as x:
 * <pre>
 *   gather:         out[i_0, .., i_a, .., i_r] = x[i_0, .., index[i_0, .., i_a, .., i_r], .., i_r]
 *   gatherBackward: gradX[i_0, .., index[i], .., i_r] += gradY[i]   (into zeros of x's shape)
 *   oneHot:         out[.., c, ..] = 1 if labels[..] == c else 0     (c a new dimension at axis)
 * </pre>
 */
public final class IndexingRef {
    private IndexingRef() {
    }

    public static double[] gather(double[] x, int[] xShape, int axis, int[] index, int[] indexShape) {
        double[] out = new double[index.length];
        for (int i = 0; i < index.length; i++) {
            int[] at = RefArrays.unflat(indexShape, i);
            at[axis] = index[i];
            out[i] = x[RefArrays.flat(xShape, at)];
        }
        return out;
    }

    public static double[] gatherBackward(double[] gradY, int axis, int[] index, int[] indexShape, int[] inputShape) {
        double[] gradX = new double[RefArrays.numel(inputShape)];
        for (int i = 0; i < index.length; i++) {
            int[] at = RefArrays.unflat(indexShape, i);
            at[axis] = index[i];
            gradX[RefArrays.flat(inputShape, at)] += gradY[i];
        }
        return gradX;
    }

    /** One-hot of labels (row-major, shape {@code labelShape}) with the class dimension inserted at {@code axis} of the output. */
    public static double[] oneHot(int[] labels, int[] labelShape, int classes, int axis) {
        int[] outShape = new int[labelShape.length + 1];
        for (int d = 0, j = 0; d < outShape.length; d++) {
            outShape[d] = d == axis ? classes : labelShape[j++];
        }
        double[] out = new double[RefArrays.numel(outShape)];
        for (int i = 0; i < out.length; i++) {
            int[] at = RefArrays.unflat(outShape, i);
            int[] labelAt = new int[labelShape.length];
            for (int d = 0, j = 0; d < outShape.length; d++) {
                if (d != axis) {
                    labelAt[j++] = at[d];
                }
            }
            out[i] = labels[RefArrays.flat(labelShape, labelAt)] == at[axis] ? 1 : 0;
        }
        return out;
    }
}
