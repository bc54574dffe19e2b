package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels of {@link CpuBatchNorm}, each over one run of {@code len} contiguous
 * floats addressed by byte offsets. Sums are formed in float vector lanes over blocks of at most
 * {@value #BLOCK} elements; each block's sum joins a double accumulator, so long runs keep nearly
 * double accuracy. The {@code Relu} variants fuse a ReLU after batch norm: forward writes
 * max(y, 0); backward zeroes gradY where the pre-ReLU value y = (x - mean) * scale + beta is not
 * positive, recomputing y from x with the very float operations of the forward (so the mask is
 * the forward's, bit for bit, and no output array is read).
 */
final class BatchNormKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    /** Elements summed in float before the block's sum joins a double accumulator. */
    static final int BLOCK = 1024;

    private BatchNormKernels() {
    }

    static void normaliseRun(MemorySegment x, long xb, MemorySegment y, long yb, int len, float mean,
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

    /** y = max((x - mean) * scale + beta, 0), the ReLU's max as {@code unary(RELU)} computes it. */
    static void normaliseReluRun(MemorySegment x, long xb, MemorySegment y, long yb, int len, float mean,
                                 float scale, float beta) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector vs = FloatVector.broadcast(F, scale);
        FloatVector vb = FloatVector.broadcast(F, beta);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += V) {
            FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm).fma(vs, vb).max(0f)
                    .intoMemorySegment(y, yb + 4L * i, NATIVE);
        }
        for (; i < len; i++) {
            y.set(F32, yb + 4L * i, Math.max(Math.fma(x.get(F32, xb + 4L * i) - mean, scale, beta), 0f));
        }
    }

    /**
     * Merges the count, mean and sum of squared deviations (M2) of a run into {@code acc} =
     * {count, mean, M2}, block by block. Each block is read from memory once; its mean and M2
     * come from two more passes over it while it sits in the L1 cache: a float provisional mean
     * m, then the deviations from m (whose sum corrects the mean: exact mean = m + dev / n,
     * M2 = sq - dev^2 / n). Blocks merge with Chan et al.'s pairwise update in double, in order.
     */
    static void accumulateMoments(MemorySegment x, long xb, int len, double[] acc) {
        for (int start = 0; start < len; start += BLOCK) {
            int n = Math.min(BLOCK, len - start);
            long b = xb + 4L * start;
            float m = (float) ((double) blockSum(x, b, n) / n);
            double dev = blockDeviation(x, b, n, m);
            double sq = blockSquaredDeviation(x, b, n, m);
            merge(acc, n, m + dev / n, Math.max(0, sq - dev * dev / n));
        }
    }

    /**
     * Chan et al.'s update of {count, mean, M2} with a part of count nb, mean meanB and M2 m2B:
     * delta = meanB - mean, M2 += m2B + delta^2 * n * nb / (n + nb).
     */
    static void merge(double[] acc, double nb, double meanB, double m2B) {
        double n = acc[0];
        double total = n + nb;
        if (total == 0) {
            return;
        }
        double delta = meanB - acc[1];
        acc[1] += delta * nb / total;
        acc[2] += m2B + delta * delta * n * nb / total;
        acc[0] = total;
    }

    /** Sum of one block of n <= BLOCK floats, in two float vector accumulators. */
    private static float blockSum(MemorySegment x, long xb, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - n % (2 * V); i < upper; i += 2 * V) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE));
            a1 = a1.add(FloatVector.fromMemorySegment(F, x, xb + 4L * (i + V), NATIVE));
        }
        float s = ExpLog.sumLanes(a0.add(a1));
        for (; i < n; i++) {
            s += x.get(F32, xb + 4L * i);
        }
        return s;
    }

    /** Sum of (x - mean) over one block of n <= BLOCK floats. */
    private static float blockDeviation(MemorySegment x, long xb, int n, float mean) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += V) {
            acc = acc.add(FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm));
        }
        float s = ExpLog.sumLanes(acc);
        for (; i < n; i++) {
            s += x.get(F32, xb + 4L * i) - mean;
        }
        return s;
    }

    /** Sum of (x - mean)^2 over one block of n <= BLOCK floats. */
    private static float blockSquaredDeviation(MemorySegment x, long xb, int n, float mean) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += V) {
            FloatVector d = FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm);
            acc = d.fma(d, acc);
        }
        float s = ExpLog.sumLanes(acc);
        for (; i < n; i++) {
            float d = x.get(F32, xb + 4L * i) - mean;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /**
     * Adds sum(g) and sum(g * (x - mean)) over a run to acc[0] and acc[1], in one pass over g
     * and x (float lanes per block, joined in double).
     */
    static void accumulateGradSums(MemorySegment g, long gb, MemorySegment x, long xb, int len, float mean,
                                   double[] acc) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector sg = FloatVector.zero(F);
            FloatVector sgd = FloatVector.zero(F);
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += V) {
                FloatVector gv = FloatVector.fromMemorySegment(F, g, gb + 4L * i, NATIVE);
                sg = sg.add(gv);
                sgd = FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm).fma(gv, sgd);
            }
            float s = ExpLog.sumLanes(sg);
            float sd = ExpLog.sumLanes(sgd);
            for (; i < end; i++) {
                float gi = g.get(F32, gb + 4L * i);
                s += gi;
                sd = Math.fma(x.get(F32, xb + 4L * i) - mean, gi, sd);
            }
            acc[0] += s;
            acc[1] += sd;
        }
    }

    /**
     * {@link #accumulateGradSums} of the ReLU-masked gradient: g counts only where
     * (x - mean) * scale + beta > 0.
     */
    static void accumulateGradSumsRelu(MemorySegment g, long gb, MemorySegment x, long xb, int len, float mean,
                                       float scale, float beta, double[] acc) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector vs = FloatVector.broadcast(F, scale);
        FloatVector vb = FloatVector.broadcast(F, beta);
        FloatVector zero = FloatVector.zero(F);
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector sg = zero;
            FloatVector sgd = zero;
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += V) {
                FloatVector d = FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm);
                FloatVector gv = zero.blend(FloatVector.fromMemorySegment(F, g, gb + 4L * i, NATIVE),
                        d.fma(vs, vb).compare(VectorOperators.GT, 0f));
                sg = sg.add(gv);
                sgd = d.fma(gv, sgd);
            }
            float s = ExpLog.sumLanes(sg);
            float sd = ExpLog.sumLanes(sgd);
            for (; i < end; i++) {
                float d = x.get(F32, xb + 4L * i) - mean;
                float gi = Math.fma(d, scale, beta) > 0f ? g.get(F32, gb + 4L * i) : 0f;
                s += gi;
                sd = Math.fma(d, gi, sd);
            }
            acc[0] += s;
            acc[1] += sd;
        }
    }

    /** gradX = k1 * g + k2 * (x - mean) + k3. */
    static void gradInputRun(MemorySegment g, long gb, MemorySegment x, long xb, MemorySegment out, long ob,
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

    /** {@link #gradInputRun} of the ReLU-masked gradient (g taken as 0 where (x - mean) * scale + beta <= 0). */
    static void gradInputReluRun(MemorySegment g, long gb, MemorySegment x, long xb, MemorySegment out, long ob,
                                 int len, float mean, float scale, float beta, float k1, float k2, float k3) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        FloatVector vs = FloatVector.broadcast(F, scale);
        FloatVector vb = FloatVector.broadcast(F, beta);
        FloatVector v1 = FloatVector.broadcast(F, k1);
        FloatVector v2 = FloatVector.broadcast(F, k2);
        FloatVector v3 = FloatVector.broadcast(F, k3);
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += V) {
            FloatVector d = FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm);
            FloatVector gv = zero.blend(FloatVector.fromMemorySegment(F, g, gb + 4L * i, NATIVE),
                    d.fma(vs, vb).compare(VectorOperators.GT, 0f));
            d.fma(v2, gv.fma(v1, v3)).intoMemorySegment(out, ob + 4L * i, NATIVE);
        }
        for (; i < len; i++) {
            float d = x.get(F32, xb + 4L * i) - mean;
            float gi = Math.fma(d, scale, beta) > 0f ? g.get(F32, gb + 4L * i) : 0f;
            out.set(F32, ob + 4L * i, Math.fma(d, k2, Math.fma(gi, k1, k3)));
        }
    }
}
