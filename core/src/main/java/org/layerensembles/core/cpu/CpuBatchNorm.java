package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * one channel, a fixed number of runs per task that depends only on the shape, so a channel's
 * partial sums are always formed the same way and combined in task order: results do not depend
 * on the number of threads.
 *
 * <p>Accuracy: statistics are two-pass (mean first, then squared deviations from it) with the
 * deviations' sum as a correction term; each block of at most {@value #BLOCK} elements is summed
 * in float vector lanes and the block sums are added in double. So a channel of a million
 * elements keeps nearly double accuracy in its mean and variance.
 */
final class CpuBatchNorm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    /** Elements summed in float before the block's sum joins a double accumulator. */
    private static final int BLOCK = 1024;
    /** About how many elements one task covers. */
    private static final long TASK_ELEMENTS = 1 << 16;

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
        double count = (double) p.n * p.s;

        // Pass 1: the mean.
        double[] partial = new double[p.tasks()];
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            double sum = 0;
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                sum += sum(xs, (xo + p.runStart(run, c)) * 4, p.s);
            }
            partial[t] = sum;
        });
        double[] mean = new double[p.c];
        for (int c = 0; c < p.c; c++) {
            mean[c] = p.combine(partial, c) / count;
        }

        // Pass 2: squared deviations from the (float) mean, corrected by the deviations' mean.
        double[] partialDev = new double[p.tasks()];
        double[] partialSq = new double[p.tasks()];
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            float m = (float) mean[c];
            double dev = 0;
            double sq = 0;
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long off = (xo + p.runStart(run, c)) * 4;
                dev += sumDeviation(xs, off, p.s, m);
                sq += sumSquaredDeviation(xs, off, p.s, m);
            }
            partialDev[t] = dev;
            partialSq[t] = sq;
        });
        float[] meanOut = new float[p.c];
        float[] varOut = new float[p.c];
        float[] invStdOut = new float[p.c];
        float[] scale = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            double d = p.combine(partialDev, c) / count;
            double var = Math.max(0, p.combine(partialSq, c) / count - d * d);
            double invStd = 1 / Math.sqrt(var + eps);
            meanOut[c] = (float) mean[c];
            varOut[c] = (float) var;
            invStdOut[c] = (float) invStd;
            scale[c] = (float) (g[c] * invStd);
        }

        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        normalise(p, xs, xo, out, meanOut, scale, b);
        return new BatchNormResult(out, NDArrays.of(meanOut, p.c), NDArrays.of(varOut, p.c),
                NDArrays.of(invStdOut, p.c));
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

        // Pass 1: sum(gradY) and sum(gradY * (x - mean)) per channel.
        double[] partialG = new double[p.tasks()];
        double[] partialGD = new double[p.tasks()];
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            double sg = 0;
            double sgd = 0;
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                sg += sum(gs, (go + e) * 4, p.s);
                sgd += sumProduct(gs, (go + e) * 4, xs, (xo + e) * 4, p.s, m[c]);
            }
            partialG[t] = sg;
            partialGD[t] = sgd;
        });
        double count = (double) p.n * p.s;
        float[] gradGamma = new float[p.c];
        float[] gradBeta = new float[p.c];
        float[] k1 = new float[p.c];
        float[] k2 = new float[p.c];
        float[] k3 = new float[p.c];
        for (int c = 0; c < p.c; c++) {
            double sumG = p.combine(partialG, c);
            double gGamma = is[c] * p.combine(partialGD, c);
            double a = (double) g[c] * is[c];
            gradBeta[c] = (float) sumG;
            gradGamma[c] = (float) gGamma;
            // gradInput = k1 * gradY + k2 * (x - mean) + k3
            k1[c] = (float) a;
            k2[c] = count == 0 ? 0f : (float) (-a * is[c] * gGamma / count);
            k3[c] = count == 0 ? 0f : (float) (-a * sumG / count);
        }

        NDArray gradX = NDArrays.empty(DType.FLOAT32, x.shape());
        MemorySegment os = gradX.segment();
        long oo = gradX.offset();
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                gradInputRun(gs, (go + e) * 4, xs, (xo + e) * 4, os, (oo + e) * 4, p.s, m[c], k1[c], k2[c], k3[c]);
            }
        });
        return new BatchNormGrads(gradX, NDArrays.of(gradGamma, p.c), NDArrays.of(gradBeta, p.c));
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

    // ---- kernels on one run of contiguous floats (byte offsets)

    /** out = (x - mean[c]) * scale[c] + beta[c] over every run. */
    private static void normalise(Plan p, MemorySegment xs, long xo, NDArray out, float[] mean, float[] scale,
                                  float[] beta) {
        MemorySegment os = out.segment();
        long oo = out.offset();
        Parallel.forEach(p.tasks(), t -> {
            int c = p.channel(t);
            for (int run = p.firstRun(t); run < p.endRun(t); run++) {
                long e = p.runStart(run, c);
                normaliseRun(xs, (xo + e) * 4, os, (oo + e) * 4, p.s, mean[c], scale[c], beta[c]);
            }
        });
    }

    private static void normaliseRun(MemorySegment x, long xb, MemorySegment y, long yb, int len, float mean,
                                     float scale, float beta) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector vs = FloatVector.broadcast(F, scale);
        FloatVector vb = FloatVector.broadcast(F, beta);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += V) {
            FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm).fma(vs, vb)
                    .intoMemorySegment(y, yb + 4L * i, NATIVE);
        }
        for (; i < len; i++) {
            y.set(F32, yb + 4L * i, Math.fma(x.get(F32, xb + 4L * i) - mean, scale, beta));
        }
    }

    /** Sum of len floats: blocks of BLOCK summed in two float vector accumulators, block sums in double. */
    private static double sum(MemorySegment x, long xb, int len) {
        double total = 0;
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            int i = start;
            for (int upper = start + ((end - start) / (2 * V)) * (2 * V); i < upper; i += 2 * V) {
                a0 = a0.add(FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE));
                a1 = a1.add(FloatVector.fromMemorySegment(F, x, xb + 4L * (i + V), NATIVE));
            }
            float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) {
                s += x.get(F32, xb + 4L * i);
            }
            total += s;
        }
        return total;
    }

    /** Sum of (x - mean). */
    private static double sumDeviation(MemorySegment x, long xb, int len, float mean) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        double total = 0;
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += V) {
                acc = acc.add(FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm));
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) {
                s += x.get(F32, xb + 4L * i) - mean;
            }
            total += s;
        }
        return total;
    }

    /** Sum of (x - mean)^2. */
    private static double sumSquaredDeviation(MemorySegment x, long xb, int len, float mean) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        double total = 0;
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += V) {
                FloatVector d = FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm);
                acc = d.fma(d, acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) {
                float d = x.get(F32, xb + 4L * i) - mean;
                s = Math.fma(d, d, s);
            }
            total += s;
        }
        return total;
    }

    /** Sum of g * (x - mean). */
    private static double sumProduct(MemorySegment g, long gb, MemorySegment x, long xb, int len, float mean) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        double total = 0;
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += V) {
                FloatVector d = FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm);
                acc = d.fma(FloatVector.fromMemorySegment(F, g, gb + 4L * i, NATIVE), acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) {
                s = Math.fma(x.get(F32, xb + 4L * i) - mean, g.get(F32, gb + 4L * i), s);
            }
            total += s;
        }
        return total;
    }

    /** gradX = k1 * g + k2 * (x - mean) + k3. */
    private static void gradInputRun(MemorySegment g, long gb, MemorySegment x, long xb, MemorySegment out, long ob,
                                     int len, float mean, float k1, float k2, float k3) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector v1 = FloatVector.broadcast(F, k1);
        FloatVector v2 = FloatVector.broadcast(F, k2);
        FloatVector v3 = FloatVector.broadcast(F, k3);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += V) {
            FloatVector r = FloatVector.fromMemorySegment(F, g, gb + 4L * i, NATIVE).fma(v1, v3);
            FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm).fma(v2, r)
                    .intoMemorySegment(out, ob + 4L * i, NATIVE);
        }
        for (; i < len; i++) {
            float r = Math.fma(g.get(F32, gb + 4L * i), k1, k3);
            out.set(F32, ob + 4L * i, Math.fma(x.get(F32, xb + 4L * i) - mean, k2, r));
        }
    }
}
