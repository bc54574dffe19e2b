package org.layerensembles.core.reference;

/**
 * Softmax and log-softmax along one axis, in plain double-precision loops: the twin of the CPU
 * kernels. Along the axis, for each "line" of K values x_0 .. x_{K-1} (all other indices fixed):
 * <pre>
 *   m          = max_k x_k                        (subtracted so that exp never overflows)
 *   softmax    y_k = exp(x_k - m) / sum_j exp(x_j - m)
 *   logSoftmax y_k = (x_k - m) - log(sum_j exp(x_j - m))
 * </pre>
 * Backward, given y (the forward's output) and g = dL/dy:
 * <pre>
 *   softmax    dL/dx_k = y_k * (g_k - sum_j g_j y_j)
 *   logSoftmax dL/dx_k = g_k - exp(y_k) * sum_j g_j
 * </pre>
 * Arrays are row-major; a line's elements lie {@code inner} apart, where inner is the product of
 * the extents after the axis.
 */
public final class SoftmaxRef {
    private SoftmaxRef() {
    }

    public static double[] softmax(double[] x, int[] shape, int axis) {
        double[] y = new double[x.length];
        Lines lines = new Lines(shape, axis);
        for (int line = 0; line < lines.count(); line++) {
            int start = lines.start(line);
            double m = lines.max(x, start);
            double sum = lines.sumExp(x, start, m);
            for (int k = 0; k < lines.k; k++) {
                int i = start + k * lines.inner;
                y[i] = Math.exp(x[i] - m) / sum;
            }
        }
        return y;
    }

    public static double[] logSoftmax(double[] x, int[] shape, int axis) {
        double[] y = new double[x.length];
        Lines lines = new Lines(shape, axis);
        for (int line = 0; line < lines.count(); line++) {
            int start = lines.start(line);
            double m = lines.max(x, start);
            double sum = lines.sumExp(x, start, m);
            double logSum = Math.log(sum);
            for (int k = 0; k < lines.k; k++) {
                int i = start + k * lines.inner;
                y[i] = (x[i] - m) - logSum;
            }
        }
        return y;
    }

    public static double[] softmaxBackward(double[] y, double[] gradY, int[] shape, int axis) {
        double[] gradX = new double[y.length];
        Lines lines = new Lines(shape, axis);
        for (int line = 0; line < lines.count(); line++) {
            int start = lines.start(line);
            double dot = 0;
            for (int k = 0; k < lines.k; k++) {
                int i = start + k * lines.inner;
                dot += gradY[i] * y[i];
            }
            for (int k = 0; k < lines.k; k++) {
                int i = start + k * lines.inner;
                gradX[i] = y[i] * (gradY[i] - dot);
            }
        }
        return gradX;
    }

    public static double[] logSoftmaxBackward(double[] y, double[] gradY, int[] shape, int axis) {
        double[] gradX = new double[y.length];
        Lines lines = new Lines(shape, axis);
        for (int line = 0; line < lines.count(); line++) {
            int start = lines.start(line);
            double sum = 0;
            for (int k = 0; k < lines.k; k++) {
                sum += gradY[start + k * lines.inner];
            }
            for (int k = 0; k < lines.k; k++) {
                int i = start + k * lines.inner;
                gradX[i] = gradY[i] - Math.exp(y[i]) * sum;
            }
        }
        return gradX;
    }

    /** The lines along an axis: [outer, k, inner] around it; line (o, i) starts at o * k * inner + i. */
    private static final class Lines {
        final int outer;
        final int k;
        final int inner;

        Lines(int[] shape, int axis) {
            int a = axis < 0 ? axis + shape.length : axis;
            int o = 1;
            for (int d = 0; d < a; d++) {
                o *= shape[d];
            }
            int in = 1;
            for (int d = a + 1; d < shape.length; d++) {
                in *= shape[d];
            }
            outer = o;
            k = shape[a];
            inner = in;
        }

        int count() {
            return outer * inner;
        }

        int start(int line) {
            return (line / inner) * k * inner + line % inner;
        }

        /** The largest element of the line starting at {@code start}. */
        double max(double[] x, int start) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                m = Math.max(m, x[start + j * inner]);
            }
            return m;
        }

        /** The sum of exp(x - m) over the line starting at {@code start}. */
        double sumExp(double[] x, int start, double m) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(x[start + j * inner] - m);
            }
            return sum;
        }
    }
}
