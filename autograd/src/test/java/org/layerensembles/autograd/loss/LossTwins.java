package org.layerensembles.autograd.loss;

import java.util.Random;

/**
 * Double-precision twins of the losses, written from PyTorch's documented formulas with plain
 * loops (nothing shared with the code under test). Inputs are row-major [N, C, S...] arrays; the
 * spatial extent is flattened to S. Labels arrive as doubles (how GradCheck hands over an int32
 * input).
 */
final class LossTwins {
    private LossTwins() {
    }

    /**
     * PyTorch's NLLLoss / CrossEntropyLoss with class-index targets: l_i = -w[y_i] * logp_i[y_i]
     * for y_i != ignore (0 otherwise); MEAN divides the sum by sum of w[y_i] over the elements not
     * ignored (NaN when that is 0/0).
     *
     * @param fromLogits true: x holds logits (log-softmax taken here, max-shifted); false: x holds
     *                   log-probabilities (NLL)
     * @param weights    class weights or null
     */
    static double[] classLoss(double[] x, int[] shape, double[] labels, double[] weights, int ignore,
                              Reduction reduction, boolean fromLogits) {
        int n = shape[0];
        int c = shape[1];
        int s = x.length / (n * c);
        double[] per = new double[n * s];
        double sum = 0;
        double total = 0;
        for (int b = 0; b < n; b++) {
            for (int j = 0; j < s; j++) {
                int i = b * s + j;
                int y = (int) labels[i];
                if (y == ignore) {
                    continue;
                }
                double logp;
                if (fromLogits) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < c; k++) {
                        max = Math.max(max, x[(b * c + k) * s + j]);
                    }
                    double z = 0;
                    for (int k = 0; k < c; k++) {
                        z += Math.exp(x[(b * c + k) * s + j] - max);
                    }
                    logp = x[(b * c + y) * s + j] - max - Math.log(z);
                } else {
                    logp = x[(b * c + y) * s + j];
                }
                double w = weights == null ? 1 : weights[y];
                per[i] = -w * logp;
                sum += per[i];
                total += w;
            }
        }
        return switch (reduction) {
            case NONE -> per;
            case SUM -> new double[] {sum};
            case MEAN -> new double[] {sum / total};
        };
    }

    /** Softmax over dimension 1 of [N, C, S], max-shifted. */
    static double[] softmax(double[] x, int[] shape) {
        int n = shape[0];
        int c = shape[1];
        int s = x.length / (n * c);
        double[] p = new double[x.length];
        for (int b = 0; b < n; b++) {
            for (int j = 0; j < s; j++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) {
                    max = Math.max(max, x[(b * c + k) * s + j]);
                }
                double z = 0;
                for (int k = 0; k < c; k++) {
                    z += Math.exp(x[(b * c + k) * s + j] - max);
                }
                for (int k = 0; k < c; k++) {
                    p[(b * c + k) * s + j] = Math.exp(x[(b * c + k) * s + j] - max) / z;
                }
            }
        }
        return p;
    }

    /**
     * Soft Dice loss as documented on {@link Losses#softDice}: per class c taken,
     * (2 sum p g + smooth) / (sum p + sum g + smooth) over the batch and every pixel whose label is
     * not the ignore index; 1 - the mean over the classes taken.
     */
    static double softDice(double[] x, int[] shape, double[] labels, double smooth, boolean includeBackground,
                           int ignore) {
        int n = shape[0];
        int c = shape[1];
        int s = x.length / (n * c);
        double[] p = softmax(x, shape);
        double diceSum = 0;
        int first = includeBackground ? 0 : 1;
        for (int k = first; k < c; k++) {
            double inter = 0;
            double ps = 0;
            double gs = 0;
            for (int b = 0; b < n; b++) {
                for (int j = 0; j < s; j++) {
                    int y = (int) labels[b * s + j];
                    if (y == ignore) {
                        continue;
                    }
                    double pk = p[(b * c + k) * s + j];
                    double gk = y == k ? 1 : 0;
                    inter += pk * gk;
                    ps += pk;
                    gs += gk;
                }
            }
            diceSum += (2 * inter + smooth) / (ps + gs + smooth);
        }
        return 1 - diceSum / (c - first);
    }

    /**
     * PyTorch's BCEWithLogitsLoss from its definition, l = -[pw t log sigma(x) + (1 - t) log(1 -
     * sigma(x))], with log(1 - sigma(x)) taken as log sigma(-x) so that neither side cancels, and
     * log sigma in double with log1p (so that tiny losses keep their relative precision).
     *
     * @param pw per-element positive weights already broadcast to x's shape, or null
     */
    static double[] bceWithLogits(double[] x, double[] t, double[] pw, Reduction reduction) {
        double[] per = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double w = pw == null ? 1 : pw[i];
            per[i] = -(w * t[i] * logSigmoid(x[i]) + (1 - t[i]) * logSigmoid(-x[i]));
            sum += per[i];
        }
        return switch (reduction) {
            case NONE -> per;
            case SUM -> new double[] {sum};
            case MEAN -> new double[] {sum / x.length};
        };
    }

    /** log(1 / (1 + exp(-x))), written so that 1 + tiny is never rounded (log1p) and exp never overflows. */
    private static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    // ---- test data

    /** Values uniform in [lo, hi), exactly representable as float32. */
    static double[] uniform(long seed, int n, double lo, double hi) {
        Random r = new Random(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (lo + r.nextDouble() * (hi - lo));
        }
        return d;
    }

    /** Labels uniform in [0, classes), then about {@code ignoredFraction} of them set to {@code ignore}. */
    static int[] labels(long seed, int n, int classes, double ignoredFraction, int ignore) {
        Random r = new Random(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextDouble() < ignoredFraction ? ignore : r.nextInt(classes);
        }
        return y;
    }

    static double[] doubles(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    /** The shape without dimension 1. */
    static int[] targetShape(int[] shape) {
        int[] t = new int[shape.length - 1];
        t[0] = shape[0];
        System.arraycopy(shape, 2, t, 1, shape.length - 2);
        return t;
    }
}
