package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.Checks;

/**
 * Batch normalisation over every dimension but the channel (dimension 1): [N, C, H, W] as in
 * BatchNorm2d, [N, C] as in BatchNorm1d, and any [N, C, ...] alike. The twin is
 * {@link org.layerensembles.core.reference.BatchNormRef}.
 *
 * <p>Layout: a contiguous [N, C, S...] array holds, for channel c, N runs of S contiguous
 * elements (S = the product of the trailing extents). Work is split into tasks of whole runs of
 * one channel, a number of runs per task that depends only on the shape, and per-task partial
 * results are merged in task order: results do not depend on the number of threads. When one
 * task covers a whole channel (up to {@code TASK_ELEMENTS}, which fits in L2), statistics and
 * output are computed in one task, so x streams from memory once.
 *
 * <p>Accuracy: each task computes its mean and sum of squared deviations by two passes over its
 * (cached) data, with the deviations' sum as a correction term; tasks merge with Chan et al.'s
 * pairwise update in double. The sums themselves are float vector blocks joined in double
 * ({@link BatchNormKernels}), so a channel of a million elements with a large mean keeps its
 * variance to about float precision.
 */
final class CpuBatchNorm {
    /**
     * About how many elements one task covers: at most 512 KB of floats, so a task's data stays
     * in a 1 MB L2 cache between its passes.
     */
    private static final long TASK_ELEMENTS = 1 << 17;

    private CpuBatchNorm() {
    }

    /**
     * Training-mode batch norm: per channel c, mean and biased variance over all other
     * dimensions, y = (x - mean) / sqrt(var + eps) * gamma + beta. A null gamma means ones, a
     * null beta zeros.
     */
    public static BatchNormResult train(NDArray x, NDArray gamma, NDArray beta, double eps) {
        String op = "batchNormTrain";
        Plan p = Plan.of(op, x);
        float[] g = channelValues(op, "gamma", gamma, x, p.c, 1f);
        float[] b = channelValues(op, "beta", beta, x, p.c, 0f);
        checkEps(op, eps);
        if ((long) p.n * p.s == 0) {
            throw new IllegalArgumentException(op + ": x " + Shapes.str(x.shape())
                    + " has no elements per channel, so no batch statistics");
        }
        NDArray xc = x.contiguous();
        MemorySegment xs = xc.segment();
        long xo = xc.offset();
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        MemorySegment os = out.segment();
        long oo = out.offset();

        // Each task: the count, mean and sum of squared deviations (M2) of its runs, by two passes
        // over data it just brought into cache. When a task covers a whole channel it also
        // normalises it at once (x read from memory once); otherwise a second sweep does.
        double[] taskMean = new double[p.tasks()];
        double[] taskM2 = new double[p.tasks()];
        boolean fused = p.tasksPerChannel == 1;
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            taskStatistics(p, t, xs, xo, taskMean, taskM2);
            if (fused) {
                Channel ch = Channel.of(p, c, taskMean, taskM2, g[c], b[c], eps);
                normaliseTask(p, t, xs, xo, os, oo, ch);
            }
        });
        Channel[] channels = new Channel[p.c];
        for (int c = 0; c < p.c; c++) {
            channels[c] = Channel.of(p, c, taskMean, taskM2, g[c], b[c], eps);
        }
        if (!fused) {
            Parallel.forEach(p.tasks(), t -> normaliseTask(p, t, xs, xo, os, oo, channels[p.channel(t)]));
        }
        float[] meanOut = new float[p.c];
        float[] varOut = new float[p.c];
        float[] invStdOut = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            meanOut[c] = channels[c].mean;
            varOut[c] = (float) channels[c].variance;
            invStdOut[c] = (float) channels[c].invStd;
        }
        return new BatchNormResult(out, NDArrays.of(meanOut, p.c), NDArrays.of(varOut, p.c),
                NDArrays.of(invStdOut, p.c));
    }

    /** A channel's final statistics and the float constants of y = (x - mean) * scale + beta. */
    private record Channel(float mean, double variance, double invStd, float scale, float beta) {
        /**
         * Merges the channel's task statistics in task order (Chan et al.'s pairwise update:
         * delta = mean_b - mean_a, M2 = M2_a + M2_b + delta^2 n_a n_b / n).
         */
        static Channel of(Plan p, int c, double[] taskMean, double[] taskM2, float gamma, float beta, double eps) {
            double n = 0;
            double mean = 0;
            double m2 = 0;
            for (int k = 0; k < p.tasksPerChannel; k++) {
                int t = c * p.tasksPerChannel + k;
                double nb = (double) (p.endRun(t) - p.firstRun(t)) * p.s;
                double delta = taskMean[t] - mean;
                double total = n + nb;
                mean += delta * nb / total;
                m2 += taskM2[t] + delta * delta * n * nb / total;
                n = total;
            }
            double var = m2 / n;
            double invStd = 1 / Math.sqrt(var + eps);
            return new Channel((float) mean, var, invStd, (float) (gamma * invStd), beta);
        }
    }

    /** Mean and M2 of one task's runs: a float-rounded provisional mean, then deviations from it. */
    private static void taskStatistics(Plan p, int t, MemorySegment xs, long xo, double[] taskMean, double[] taskM2) {
        int c = p.channel(t);
        double n = (double) (p.endRun(t) - p.firstRun(t)) * p.s;
        double sum = 0;
        for (int run = p.firstRun(t); run < p.endRun(t); run++) {
            sum += BatchNormKernels.sum(xs, (xo + p.runStart(run, c)) * 4, p.s);
        }
        float m = (float) (sum / n);
        double dev = 0;
        double sq = 0;
        for (int run = p.firstRun(t); run < p.endRun(t); run++) {
            long off = (xo + p.runStart(run, c)) * 4;
            dev += BatchNormKernels.sumDeviation(xs, off, p.s, m);
            sq += BatchNormKernels.sumSquaredDeviation(xs, off, p.s, m);
        }
        // deviations from m sum to dev: the exact mean is m + dev / n, and M2 = sq - dev^2 / n
        taskMean[t] = m + dev / n;
        taskM2[t] = Math.max(0, sq - dev * dev / n);
    }

    private static void normaliseTask(Plan p, int t, MemorySegment xs, long xo, MemorySegment os, long oo, Channel ch) {
        int c = p.channel(t);
        for (int run = p.firstRun(t); run < p.endRun(t); run++) {
            long e = p.runStart(run, c);
            BatchNormKernels.normaliseRun(xs, (xo + e) * 4, os, (oo + e) * 4, p.s, ch.mean, ch.scale, ch.beta);
        }
    }

    /**
     * Inference-mode batch norm with given statistics:
     * y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta (null gamma: ones, null beta: zeros).
     */
    public static NDArray eval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                               double eps) {
        String op = "batchNormEval";
        Plan p = Plan.of(op, x);
        float[] rm = channelValues(op, "runningMean", requireNonNull(op, "runningMean", runningMean), x, p.c, 0f);
        float[] rv = channelValues(op, "runningVar", requireNonNull(op, "runningVar", runningVar), x, p.c, 1f);
        float[] g = channelValues(op, "gamma", gamma, x, p.c, 1f);
        float[] b = channelValues(op, "beta", beta, x, p.c, 0f);
        checkEps(op, eps);
        float[] scale = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            scale[c] = (float) (g[c] / Math.sqrt((double) rv[c] + eps));
        }
        NDArray xc = x.contiguous();
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        normalise(p, xc.segment(), xc.offset(), out, rm, scale, b);
        return out;
    }

    /**
     * Gradients of training-mode batch norm through the batch statistics. With M elements per
     * channel and xhat = (x - mean) * invStd: gradBeta = sum(gradY), gradGamma = sum(gradY * xhat),
     * gradInput = gamma * invStd * (gradY - gradBeta / M - xhat * gradGamma / M).
     * A null gamma means ones.
     */
    public static BatchNormGrads backward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd) {
        String op = "batchNormBackward";
        Plan p = Plan.of(op, x);
        Checks.float32(op, "gradY", gradY);
        Checks.sameShape(op, "gradY", gradY, "x", x);
        float[] g = channelValues(op, "gamma", gamma, x, p.c, 1f);
        float[] m = channelValues(op, "mean", requireNonNull(op, "mean", mean), x, p.c, 0f);
        float[] is = channelValues(op, "invStd", requireNonNull(op, "invStd", invStd), x, p.c, 1f);
        NDArray xc = x.contiguous();
        NDArray gc = gradY.contiguous();
        MemorySegment xs = xc.segment();
        MemorySegment gs = gc.segment();
        long xo = xc.offset();
        long go = gc.offset();

        NDArray gradX = NDArrays.empty(DType.FLOAT32, x.shape());
        MemorySegment os = gradX.segment();
        long oo = gradX.offset();

        // Each task sums gradY and gradY * (x - mean) over its runs; a task covering a whole
        // channel then writes gradInput at once, from data still in cache.
        double[] partialG = new double[p.tasks()];
        double[] partialGD = new double[p.tasks()];
        boolean fused = p.tasksPerChannel == 1;
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            double sg = 0;
            double sgd = 0;
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                sg += BatchNormKernels.sum(gs, (go + e) * 4, p.s);
                sgd += BatchNormKernels.sumProduct(gs, (go + e) * 4, xs, (xo + e) * 4, p.s, m[c]);
            }
            partialG[t] = sg;
            partialGD[t] = sgd;
            if (fused) {
                gradInputTask(p, t, gs, go, xs, xo, os, oo, m[c],
                        Gradient.of(p, c, partialG, partialGD, g[c], is[c]));
            }
        });
        float[] gradGamma = new float[p.c];
        float[] gradBeta = new float[p.c];
        Gradient[] grads = new Gradient[p.c];
        for (int c = 0; c < p.c; c++) {
            grads[c] = Gradient.of(p, c, partialG, partialGD, g[c], is[c]);
            gradGamma[c] = (float) grads[c].gradGamma;
            gradBeta[c] = (float) grads[c].gradBeta;
        }
        if (!fused) {
            Parallel.forEach(p.tasks(), t -> {
                int c = p.channel(t);
                gradInputTask(p, t, gs, go, xs, xo, os, oo, m[c], grads[c]);
            });
        }
        return new BatchNormGrads(gradX, NDArrays.of(gradGamma, p.c), NDArrays.of(gradBeta, p.c));
    }

    /** A channel's gamma and beta gradients and the constants of gradInput = k1 * gradY + k2 * (x - mean) + k3. */
    private record Gradient(double gradGamma, double gradBeta, float k1, float k2, float k3) {
        static Gradient of(Plan p, int c, double[] partialG, double[] partialGD, float gamma, float invStd) {
            double count = (double) p.n * p.s;
            double sumG = p.combine(partialG, c);
            double gGamma = invStd * p.combine(partialGD, c);
            double a = (double) gamma * invStd;
            if (count == 0) {
                return new Gradient(gGamma, sumG, (float) a, 0f, 0f);
            }
            return new Gradient(gGamma, sumG, (float) a, (float) (-a * invStd * gGamma / count),
                    (float) (-a * sumG / count));
        }
    }

    private static void gradInputTask(Plan p, int t, MemorySegment gs, long go, MemorySegment xs, long xo,
                                      MemorySegment os, long oo, float mean, Gradient k) {
        int c = p.channel(t);
        for (int run = p.firstRun(t); run < p.endRun(t); run++) {
            long e = p.runStart(run, c);
            BatchNormKernels.gradInputRun(gs, (go + e) * 4, xs, (xo + e) * 4, os, (oo + e) * 4, p.s, mean, k.k1, k.k2, k.k3);
        }
    }

    // ---- the split of [N, C, S] into tasks

    /** Tasks of whole runs of one channel: channel t / tasksPerChannel, runs from (t % tasksPerChannel) * runsPerTask. */
    private record Plan(int n, int c, int s, int runsPerTask, int tasksPerChannel) {
        static Plan of(String op, NDArray x) {
            if (x == null) {
                throw new IllegalArgumentException(op + ": x is null");
            }
            Checks.float32(op, "x", x);
            if (x.rank() < 2) {
                throw new IllegalArgumentException(op + ": x must be [N, C, ...] (rank 2 or more), got shape "
                        + Shapes.str(x.shape()));
            }
            int[] shape = x.shape();
            int s = 1;
            for (int d = 2; d < shape.length; d++) {
                s *= shape[d];
            }
            int runsPerTask = (int) Math.max(1, TASK_ELEMENTS / Math.max(1, s));
            int tasksPerChannel = Math.max(1, Parallel.taskCount(shape[0], runsPerTask));
            return new Plan(shape[0], shape[1], s, runsPerTask, tasksPerChannel);
        }

        int tasks() {
            return c * tasksPerChannel;
        }

        int channel(int task) {
            return task / tasksPerChannel;
        }

        int firstRun(int task) {
            return (task % tasksPerChannel) * runsPerTask;
        }

        int endRun(int task) {
            return Math.min(n, firstRun(task) + runsPerTask);
        }

        /** Element index (in a contiguous [N, C, S]) of run n of channel ch. */
        long runStart(int run, int ch) {
            return ((long) run * c + ch) * s;
        }

        /** A channel's per-task partials added in task order. */
        double combine(double[] partials, int ch) {
            double total = 0;
            for (int k = 0; k < tasksPerChannel; k++) {
                total += partials[ch * tasksPerChannel + k];
            }
            return total;
        }
    }

    // ---- argument checks

    private static NDArray requireNonNull(String op, String what, NDArray v) {
        if (v == null) {
            throw new IllegalArgumentException(op + ": " + what + " is null");
        }
        return v;
    }

    /** The values of a per-channel vector (or {@code absent} repeated when it is null), after checking its shape. */
    private static float[] channelValues(String op, String what, NDArray v, NDArray x, int channels, float absent) {
        if (v == null) {
            float[] values = new float[channels];
            java.util.Arrays.fill(values, absent);
            return values;
        }
        Checks.float32(op, what, v);
        if (v.rank() != 1 || v.size(0) != channels) {
            throw new IllegalArgumentException(op + ": " + what + " must have shape [" + channels
                    + "] (the channels of x " + Shapes.str(x.shape()) + "), got " + Shapes.str(v.shape()));
        }
        return v.toFloatArray();
    }

    private static void checkEps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }

    /** out = (x - mean[c]) * scale[c] + beta[c] over every run. */
    private static void normalise(Plan p, MemorySegment xs, long xo, NDArray out, float[] mean, float[] scale,
                                  float[] beta) {
        MemorySegment os = out.segment();
        long oo = out.offset();
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                BatchNormKernels.normaliseRun(xs, (xo + e) * 4, os, (oo + e) * 4, p.s, mean[c], scale[c], beta[c]);
            }
        });
    }
}
