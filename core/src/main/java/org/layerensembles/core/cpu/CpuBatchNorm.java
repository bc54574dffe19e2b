package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.BatchNormChecks;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.Checks;

/**
 * Batch normalisation over every dimension but the channel (dimension 1): [N, C, H, W] as in
 * BatchNorm2d, [N, C] as in BatchNorm1d, and any [N, C, ...] alike, optionally fused with the
 * ReLU that follows it in a U-Net block. The twin is
 * {@link org.layerensembles.core.reference.BatchNormRef}.
 *
 * <p>Layout: a contiguous [N, C, S...] array holds, for channel c, N runs of S contiguous
 * elements (S = the product of the trailing extents). Work is split into tasks of whole runs of
 * one channel, a number of runs per task that depends only on the shape, and per-task partial
 * results are merged in task order: results do not depend on the number of threads. When one
 * task covers a whole channel (up to {@code TASK_ELEMENTS}, which fits in L2), statistics and
 * output are computed in one task, so x streams from memory once: the forward reads x once and
 * writes y (the ReLU applied as y is written); the backward reads gradY and x once for its two
 * sums and again, from cache, to write gradInput.
 *
 * <p>Accuracy: statistics are merged block by block ({@link BatchNormKernels#accumulateMoments}:
 * each block of at most 1024 elements by two passes while it sits in L1, blocks and tasks joined
 * by Chan et al.'s pairwise update in double), so a channel of a million elements with a large
 * mean keeps its variance to about float precision.
 *
 * <p>Output and mask: y = (x - mean) * scale + beta with float constants mean, scale =
 * (float) (gamma * invStd) from the float invStd that the forward returns, and beta. The fused
 * backward recomputes the pre-ReLU value from x with the same constants, so it knows the
 * forward's ReLU mask exactly without reading y; the unfused forward gives the same pre-ReLU
 * bits, so fused = relu(unfused) exactly.
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
        return train("batchNormTrain", x, gamma, beta, eps, false);
    }

    /** {@link #train} followed by a ReLU, in the same passes: y = max(batchNorm(x), 0). */
    public static BatchNormResult trainRelu(NDArray x, NDArray gamma, NDArray beta, double eps) {
        return train("batchNormReluTrain", x, gamma, beta, eps, true);
    }

    private static BatchNormResult train(String op, NDArray x, NDArray gamma, NDArray beta, double eps,
                                         boolean relu) {
        Plan p = Plan.of(op, x);
        float[] g = channelValues(op, "gamma", gamma, x, p.c, 1f);
        float[] b = channelValues(op, "beta", beta, x, p.c, 0f);
        BatchNormChecks.eps(op, eps);
        BatchNormChecks.hasBatch(op, x, (long) p.n * p.s);
        NDArray xc = x.contiguous();
        MemorySegment xs = xc.segment();
        long xo = xc.offset();
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        MemorySegment os = out.segment();
        long oo = out.offset();

        // Each task: the count, mean and M2 of its runs. When a task covers a whole channel it
        // also writes the output at once (x read from memory once); otherwise a second sweep does.
        double[][] moments = new double[p.tasks()][];
        boolean fused = p.tasksPerChannel == 1;
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            double[] acc = new double[3];
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                BatchNormKernels.accumulateMoments(xs, (xo + p.runStart(run, c)) * 4, p.s, acc);
            }
            moments[t] = acc;
            if (fused) {
                normaliseTask(p, t, xs, xo, os, oo, Channel.of(p, c, moments, g[c], b[c], eps), relu);
            }
        });
        Channel[] channels = new Channel[p.c];
        for (int c = 0; c < p.c; c++) {
            channels[c] = Channel.of(p, c, moments, g[c], b[c], eps);
        }
        if (!fused) {
            Parallel.forEach(p.tasks(), t -> normaliseTask(p, t, xs, xo, os, oo, channels[p.channel(t)], relu));
        }
        float[] meanOut = new float[p.c];
        float[] varOut = new float[p.c];
        float[] invStdOut = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            meanOut[c] = channels[c].mean;
            varOut[c] = (float) channels[c].variance;
            invStdOut[c] = channels[c].invStd;
        }
        return new BatchNormResult(out, NDArrays.of(meanOut, p.c), NDArrays.of(varOut, p.c),
                NDArrays.of(invStdOut, p.c));
    }

    /** The scale of y = (x - mean) * scale + beta, from the float invStd (forward and backward alike). */
    private static float scaleOf(float gamma, float invStd) {
        return (float) ((double) gamma * invStd);
    }

    /** A channel's final statistics and the float constants of y = (x - mean) * scale + beta. */
    private record Channel(float mean, double variance, float invStd, float scale, float beta) {
        /** Merges the channel's task moments in task order. */
        static Channel of(Plan p, int c, double[][] moments, float gamma, float beta, double eps) {
            double[] acc = new double[3];
            for (int k = 0; k < p.tasksPerChannel; k++) {
                double[] m = moments[c * p.tasksPerChannel + k];
                BatchNormKernels.merge(acc, m[0], m[1], m[2]);
            }
            double var = acc[2] / acc[0];
            float invStd = (float) (1 / Math.sqrt(var + eps));
            return new Channel((float) acc[1], var, invStd, scaleOf(gamma, invStd), beta);
        }
    }

    private static void normaliseTask(Plan p, int t, MemorySegment xs, long xo, MemorySegment os, long oo, Channel ch,
                                      boolean relu) {
        int c = p.channel(t);
        for (int run = p.firstRun(t); run < p.endRun(t); run++) {
            long e = p.runStart(run, c);
            normaliseRun(xs, (xo + e) * 4, os, (oo + e) * 4, p.s, ch.mean, ch.scale, ch.beta, relu);
        }
    }

    private static void normaliseRun(MemorySegment xs, long xb, MemorySegment os, long ob, int len, float mean,
                                     float scale, float beta, boolean relu) {
        if (relu) {
            BatchNormKernels.normaliseReluRun(xs, xb, os, ob, len, mean, scale, beta);
        } else {
            BatchNormKernels.normaliseRun(xs, xb, os, ob, len, mean, scale, beta);
        }
    }

    /**
     * Inference-mode batch norm with given statistics:
     * y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta (null gamma: ones, null beta: zeros).
     */
    public static NDArray eval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                               double eps) {
        return eval("batchNormEval", x, runningMean, runningVar, gamma, beta, eps, false);
    }

    /** {@link #eval} followed by a ReLU, in the same pass. */
    public static NDArray evalRelu(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                                   double eps) {
        return eval("batchNormReluEval", x, runningMean, runningVar, gamma, beta, eps, true);
    }

    private static NDArray eval(String op, NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma,
                                NDArray beta, double eps, boolean relu) {
        Plan p = Plan.of(op, x);
        float[] rm = channelValues(op, "runningMean", BatchNormChecks.required(op, "runningMean", runningMean), x, p.c,
                0f);
        float[] rv = channelValues(op, "runningVar", BatchNormChecks.required(op, "runningVar", runningVar), x, p.c,
                1f);
        float[] g = channelValues(op, "gamma", gamma, x, p.c, 1f);
        float[] b = channelValues(op, "beta", beta, x, p.c, 0f);
        BatchNormChecks.eps(op, eps);
        float[] scale = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            scale[c] = (float) (g[c] / Math.sqrt((double) rv[c] + eps));
        }
        NDArray xc = x.contiguous();
        MemorySegment xs = xc.segment();
        long xo = xc.offset();
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        MemorySegment os = out.segment();
        long oo = out.offset();
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                normaliseRun(xs, (xo + e) * 4, os, (oo + e) * 4, p.s, rm[c], scale[c], b[c], relu);
            }
        });
        return out;
    }

    /**
     * Gradients of training-mode batch norm through the batch statistics. With M elements per
     * channel and xhat = (x - mean) * invStd: gradBeta = sum(gradY), gradGamma = sum(gradY * xhat),
     * gradInput = gamma * invStd * (gradY - gradBeta / M - xhat * gradGamma / M).
     * A null gamma means ones.
     */
    public static BatchNormGrads backward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd) {
        return backward("batchNormBackward", gradY, x, gamma, null, mean, invStd, false);
    }

    /**
     * Gradients of {@link #trainRelu}: those of {@link #backward} for the ReLU-masked gradY (0
     * where the forward's pre-ReLU value was not positive). The mask is recomputed from x, mean,
     * invStd, gamma and beta exactly as the forward computed it, so these must be the forward's.
     * A null gamma means ones, a null beta zeros.
     */
    public static BatchNormGrads backwardRelu(NDArray gradY, NDArray x, NDArray gamma, NDArray beta, NDArray mean,
                                              NDArray invStd) {
        return backward("batchNormReluBackward", gradY, x, gamma, beta, mean, invStd, true);
    }

    private static BatchNormGrads backward(String op, NDArray gradY, NDArray x, NDArray gamma, NDArray beta,
                                           NDArray mean, NDArray invStd, boolean relu) {
        Plan p = Plan.of(op, x);
        Checks.float32(op, "gradY", gradY);
        Checks.sameShape(op, "gradY", gradY, "x", x);
        float[] g = channelValues(op, "gamma", gamma, x, p.c, 1f);
        float[] b = channelValues(op, "beta", beta, x, p.c, 0f);
        float[] m = channelValues(op, "mean", BatchNormChecks.required(op, "mean", mean), x, p.c,
                0f);
        float[] is = channelValues(op, "invStd", BatchNormChecks.required(op, "invStd", invStd), x, p.c,
                1f);
        float[] scale = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            scale[c] = scaleOf(g[c], is[c]);
        }
        NDArray xc = x.contiguous();
        NDArray gc = gradY.contiguous();
        Streams io = new Streams(gc.segment(), gc.offset(), xc.segment(), xc.offset(), NDArrays.empty(DType.FLOAT32,
                x.shape()));

        // Each task sums gradY and gradY * (x - mean) over its runs (masked by the ReLU when
        // fused); a task covering a whole channel then writes gradInput at once, from data still in cache.
        double[][] partials = new double[p.tasks()][];
        boolean fused = p.tasksPerChannel == 1;
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            double[] acc = new double[2];
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                if (relu) {
                    BatchNormKernels.accumulateGradSumsRelu(io.gs, (io.go + e) * 4, io.xs, (io.xo + e) * 4, p.s,
                            m[c], scale[c], b[c], acc);
                } else {
                    BatchNormKernels.accumulateGradSums(io.gs, (io.go + e) * 4, io.xs, (io.xo + e) * 4, p.s, m[c],
                            acc);
                }
            }
            partials[t] = acc;
            if (fused) {
                gradInputTask(p, t, io, m[c], scale[c], b[c], Gradient.of(p, c, partials, g[c], is[c]), relu);
            }
        });
        float[] gradGamma = new float[p.c];
        float[] gradBeta = new float[p.c];
        Gradient[] grads = new Gradient[p.c];
        for (int c = 0; c < p.c; c++) {
            grads[c] = Gradient.of(p, c, partials, g[c], is[c]);
            gradGamma[c] = (float) grads[c].gradGamma;
            gradBeta[c] = (float) grads[c].gradBeta;
        }
        if (!fused) {
            Parallel.forEach(p.tasks(), t -> {
                int c = p.channel(t);
                gradInputTask(p, t, io, m[c], scale[c], b[c], grads[c], relu);
            });
        }
        return new BatchNormGrads(io.gradX, NDArrays.of(gradGamma, p.c), NDArrays.of(gradBeta, p.c));
    }

    /** The backward's arrays: gradY and x (contiguous, with element offsets) and the gradInput it writes. */
    private record Streams(MemorySegment gs, long go, MemorySegment xs, long xo, NDArray gradX) {
    }

    /** A channel's gamma and beta gradients and the constants of gradInput = k1 * gradY + k2 * (x - mean) + k3. */
    private record Gradient(double gradGamma, double gradBeta, float k1, float k2, float k3) {
        static Gradient of(Plan p, int c, double[][] partials, float gamma, float invStd) {
            double count = (double) p.n * p.s;
            double sumG = 0;
            double sumGD = 0;
            for (int k = 0; k < p.tasksPerChannel; k++) {
                double[] part = partials[c * p.tasksPerChannel + k];
                sumG += part[0];
                sumGD += part[1];
            }
            double gGamma = invStd * sumGD;
            double a = (double) gamma * invStd;
            if (count == 0) {
                return new Gradient(gGamma, sumG, (float) a, 0f, 0f);
            }
            return new Gradient(gGamma, sumG, (float) a, (float) (-a * invStd * gGamma / count),
                    (float) (-a * sumG / count));
        }
    }

    private static void gradInputTask(Plan p, int t, Streams io, float mean, float scale, float beta, Gradient k,
                                      boolean relu) {
        int c = p.channel(t);
        MemorySegment os = io.gradX.segment();
        long oo = io.gradX.offset();
        for (int run = p.firstRun(t); run < p.endRun(t); run++) {
            long e = p.runStart(run, c);
            if (relu) {
                BatchNormKernels.gradInputReluRun(io.gs, (io.go + e) * 4, io.xs, (io.xo + e) * 4, os, (oo + e) * 4,
                        p.s, mean, scale, beta, k.k1, k.k2, k.k3);
            } else {
                BatchNormKernels.gradInputRun(io.gs, (io.go + e) * 4, io.xs, (io.xo + e) * 4, os, (oo + e) * 4,
                        p.s, mean, k.k1, k.k2, k.k3);
            }
        }
    }

    // ---- the split of [N, C, S] into tasks

    /** Tasks of whole runs of one channel: channel t / tasksPerChannel, runs from (t % tasksPerChannel) * runsPerTask. */
    private record Plan(int n, int c, int s, int runsPerTask, int tasksPerChannel) {
        static Plan of(String op, NDArray x) {
            BatchNormChecks.input(op, x);
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
    }

    // ---- argument checks

    /** The values of a per-channel vector (or {@code absent} repeated when it is null), after checking its shape. */
    private static float[] channelValues(String op, String what, NDArray v, NDArray x, int channels, float absent) {
        if (v == null) {
            float[] values = new float[channels];
            java.util.Arrays.fill(values, absent);
            return values;
        }
        BatchNormChecks.channel(op, what, v, x, channels);
        return v.toFloatArray();
    }
}
