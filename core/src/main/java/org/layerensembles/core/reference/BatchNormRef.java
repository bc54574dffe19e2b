package org.layerensembles.core.reference;

/**
 * Batch normalisation in plain double-precision loops, the twin of the CPU kernel.
 *
 * <p>The input is [N, C, S...] in row-major order (S = product of the trailing extents, 1 for
 * [N, C]); statistics are per channel c over the M = N * S elements of that channel:
 * <pre>
 *   mean[c]   = (1/M) sum x
 *   var[c]    = (1/M) sum (x - mean)^2          (biased, as PyTorch uses for normalising)
 *   invStd[c] = 1 / sqrt(var + eps)
 *   y         = (x - mean) * invStd * gamma[c] + beta[c]
 * </pre>
 * Backward (through the batch statistics), with xhat = (x - mean) * invStd:
 * <pre>
 *   gradBeta[c]  = sum gradY
 *   gradGamma[c] = sum gradY * xhat
 *   gradX        = gamma * invStd * (gradY - gradBeta / M - xhat * gradGamma / M)
 * </pre>
 */
public final class BatchNormRef {
    private BatchNormRef() {
    }

    /** Output and statistics of training-mode batch norm. */
    public record Result(double[] output, double[] mean, double[] variance, double[] invStd) {
    }

    /** Gradients of training-mode batch norm. */
    public record Grads(double[] gradInput, double[] gradGamma, double[] gradBeta) {
    }

    public static Result train(double[] x, int[] shape, double[] gamma, double[] beta, double eps) {
        int n = shape[0];
        int channels = shape[1];
        int s = spatial(shape);
        double m = (double) n * s;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        double[] invStd = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    sum += x[(i * channels + c) * s + j];
                }
            }
            mean[c] = sum / m;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    double d = x[(i * channels + c) * s + j] - mean[c];
                    sq += d * d;
                }
            }
            var[c] = sq / m;
            invStd[c] = 1 / Math.sqrt(var[c] + eps);
        }
        double[] y = normalise(x, shape, mean, invStd, gamma, beta);
        return new Result(y, mean, var, invStd);
    }

    /** y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta. */
    public static double[] eval(double[] x, int[] shape, double[] runningMean, double[] runningVar, double[] gamma,
                                double[] beta, double eps) {
        double[] invStd = new double[shape[1]];
        for (int c = 0; c < invStd.length; c++) {
            invStd[c] = 1 / Math.sqrt(runningVar[c] + eps);
        }
        return normalise(x, shape, runningMean, invStd, gamma, beta);
    }

    public static Grads backward(double[] gradY, double[] x, int[] shape, double[] gamma, double[] mean,
                                 double[] invStd) {
        int n = shape[0];
        int channels = shape[1];
        int s = spatial(shape);
        double m = (double) n * s;
        double[] gradX = new double[x.length];
        double[] gradGamma = new double[channels];
        double[] gradBeta = new double[channels];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    int k = (i * channels + c) * s + j;
                    double xhat = (x[k] - mean[c]) * invStd[c];
                    gradBeta[c] += gradY[k];
                    gradGamma[c] += gradY[k] * xhat;
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    int k = (i * channels + c) * s + j;
                    double xhat = (x[k] - mean[c]) * invStd[c];
                    gradX[k] = gamma[c] * invStd[c] * (gradY[k] - gradBeta[c] / m - xhat * gradGamma[c] / m);
                }
            }
        }
        return new Grads(gradX, gradGamma, gradBeta);
    }

    private static double[] normalise(double[] x, int[] shape, double[] mean, double[] invStd, double[] gamma,
                                      double[] beta) {
        int n = shape[0];
        int channels = shape[1];
        int s = spatial(shape);
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                for (int j = 0; j < s; j++) {
                    int k = (i * channels + c) * s + j;
                    y[k] = (x[k] - mean[c]) * invStd[c] * gamma[c] + beta[c];
                }
            }
        }
        return y;
    }

    private static int spatial(int[] shape) {
        int s = 1;
        for (int d = 2; d < shape.length; d++) {
            s *= shape[d];
        }
        return s;
    }
}
