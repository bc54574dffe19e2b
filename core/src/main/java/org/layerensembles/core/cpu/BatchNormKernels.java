package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels of {@link CpuBatchNorm}, each over one run of {@code len} contiguous
 * floats addressed by byte offsets. Sums are formed in float vector lanes over blocks of at most
 * {@value #BLOCK} elements; each block's sum joins a double accumulator, so long runs keep nearly
 * double accuracy.
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

    /** Sum of len floats: blocks of BLOCK summed in two float vector accumulators, block sums in double. */
    static double sum(MemorySegment x, long xb, int len) {
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
            float s = ExpLog.sumLanes(a0.add(a1));
            for (; i < end; i++) {
                s += x.get(F32, xb + 4L * i);
            }
            total += s;
        }
        return total;
    }

    /** Sum of (x - mean). */
    static double sumDeviation(MemorySegment x, long xb, int len, float mean) {
        FloatVector vm = FloatVector.broadcast(F, mean);
        double total = 0;
        for (int start = 0; start < len; start += BLOCK) {
            int end = Math.min(len, start + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            int i = start;
            for (int upper = start + F.loopBound(end - start); i < upper; i += V) {
                acc = acc.add(FloatVector.fromMemorySegment(F, x, xb + 4L * i, NATIVE).sub(vm));
            }
            float s = ExpLog.sumLanes(acc);
            for (; i < end; i++) {
                s += x.get(F32, xb + 4L * i) - mean;
            }
            total += s;
        }
        return total;
    }

    /** Sum of (x - mean)^2. */
    static double sumSquaredDeviation(MemorySegment x, long xb, int len, float mean) {
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
            float s = ExpLog.sumLanes(acc);
            for (; i < end; i++) {
                float d = x.get(F32, xb + 4L * i) - mean;
                s = Math.fma(d, d, s);
            }
            total += s;
        }
        return total;
    }

    /** Sum of g * (x - mean). */
    static double sumProduct(MemorySegment g, long gb, MemorySegment x, long xb, int len, float mean) {
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
            float s = ExpLog.sumLanes(acc);
            for (; i < end; i++) {
                s = Math.fma(x.get(F32, xb + 4L * i) - mean, g.get(F32, gb + 4L * i), s);
            }
            total += s;
        }
        return total;
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
}
