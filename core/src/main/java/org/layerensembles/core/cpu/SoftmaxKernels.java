package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels of {@link CpuSoftmax}, two shapes of each:
 * <ul>
 *   <li><b>columns</b>: the class axis is strided (inner extent > 1, e.g. axis 1 of
 *       [N, C, H, W]). {@code count} neighbouring inner positions are processed together, one
 *       vector lane per position, walking the K classes at stride {@code stride} bytes, so every
 *       load is unit-stride and the reduction over classes is lane-wise (no shuffles).</li>
 *   <li><b>rows</b>: the class axis is the last one (inner extent 1): K contiguous values are
 *       reduced with vectors along the row.</li>
 * </ul>
 * Inputs {@code a} (x, or y for the backward ones) and {@code b} (gradY; unused by forwards) and
 * the output are addressed by byte offsets. Numerically stable: exponentials of x - max only.
 * exp, log and lane sums come from {@link ExpLog}, which gives the same bits in vector lanes, scalar
 * tails and every JIT tier (results must not depend on warm-up or on which thread ran a task).
 */
final class SoftmaxKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private SoftmaxKernels() {
    }

    /** A kernel over {@code count} positions whose K classes lie {@code stride} bytes apart. */
    interface Columns {
        void run(MemorySegment a, long ab, MemorySegment b, long bb, MemorySegment out, long ob, int k, long stride,
                 int count);
    }

    /** A kernel over one row of K contiguous classes. */
    interface Row {
        void run(MemorySegment a, long ab, MemorySegment b, long bb, MemorySegment out, long ob, int k);
    }

    private static FloatVector load(MemorySegment s, long byteOffset) {
        return FloatVector.fromMemorySegment(F, s, byteOffset, NATIVE);
    }

    // ---- columns (strided class axis): one lane per position

    /** y = exp(x - max) / sum exp(x - max). */
    static void softmaxColumns(MemorySegment x, long xb, MemorySegment unused, long ub, MemorySegment y, long yb,
                               int k, long stride, int count) {
        int i = 0;
        for (int upper = F.loopBound(count); i < upper; i += V) {
            long xo = xb + 4L * i;
            long yo = yb + 4L * i;
            FloatVector m = load(x, xo);
            for (int c = 1; c < k; c++) {
                m = m.max(load(x, xo + c * stride));
            }
            FloatVector s = FloatVector.zero(F);
            for (int c = 0; c < k; c++) {
                FloatVector e = ExpLog.exp(load(x, xo + c * stride).sub(m));
                s = s.add(e);
                e.intoMemorySegment(y, yo + c * stride, NATIVE);
            }
            FloatVector r = FloatVector.broadcast(F, 1f).div(s);
            for (int c = 0; c < k; c++) {
                load(y, yo + c * stride).mul(r).intoMemorySegment(y, yo + c * stride, NATIVE);
            }
        }
        for (; i < count; i++) {
            long xo = xb + 4L * i;
            long yo = yb + 4L * i;
            float m = x.get(F32, xo);
            for (int c = 1; c < k; c++) {
                m = Math.max(m, x.get(F32, xo + c * stride));
            }
            float s = 0;
            for (int c = 0; c < k; c++) {
                float e = ExpLog.exp(x.get(F32, xo + c * stride) - m);
                s += e;
                y.set(F32, yo + c * stride, e);
            }
            float r = 1f / s;
            for (int c = 0; c < k; c++) {
                y.set(F32, yo + c * stride, y.get(F32, yo + c * stride) * r);
            }
        }
    }

    /**
     * y = (x - max) - log(sum exp(x - max)), in three steps over the tile: the sums of
     * exponentials go to y's first class row ({@link #expSumColumns}), are replaced by their
     * logarithms ({@link #logInPlace}), and then every class is written. The vector exp and the
     * vector log in one compiled method exceeded the JIT's inlining budget
     * (NodeCountInliningCutoff: the log's parts were then called with boxed vectors, ~8x
     * slower); the log step takes and returns no vectors, so it is fast whether it is inlined
     * or compiled on its own.
     */
    static void logSoftmaxColumns(MemorySegment x, long xb, MemorySegment unused, long ub, MemorySegment y, long yb,
                                  int k, long stride, int count) {
        expSumColumns(x, xb, y, yb, k, stride, count);
        logInPlace(y, yb, count);
        subtractColumns(x, xb, y, yb, k, stride, count);
    }

    /** y[class 0] = sum over classes of exp(x - max), for each of {@code count} positions. */
    private static void expSumColumns(MemorySegment x, long xb, MemorySegment y, long yb, int k, long stride,
                                      int count) {
        int i = 0;
        for (int upper = F.loopBound(count); i < upper; i += V) {
            long xo = xb + 4L * i;
            FloatVector m = load(x, xo);
            for (int c = 1; c < k; c++) {
                m = m.max(load(x, xo + c * stride));
            }
            FloatVector s = FloatVector.zero(F);
            for (int c = 0; c < k; c++) {
                s = s.add(ExpLog.exp(load(x, xo + c * stride).sub(m)));
            }
            s.intoMemorySegment(y, yb + 4L * i, NATIVE);
        }
        for (; i < count; i++) {
            long xo = xb + 4L * i;
            float m = columnMax(x, xo, k, stride);
            float s = 0;
            for (int c = 0; c < k; c++) {
                s += ExpLog.exp(x.get(F32, xo + c * stride) - m);
            }
            y.set(F32, yb + 4L * i, s);
        }
    }

    /** v = log(v) over {@code count} contiguous floats. */
    private static void logInPlace(MemorySegment v, long vb, int count) {
        int i = 0;
        for (int upper = F.loopBound(count); i < upper; i += V) {
            ExpLog.log(load(v, vb + 4L * i)).intoMemorySegment(v, vb + 4L * i, NATIVE);
        }
        for (; i < count; i++) {
            v.set(F32, vb + 4L * i, ExpLog.log(v.get(F32, vb + 4L * i)));
        }
    }

    /** y = (x - max) - logS for every class, where y's first class row holds logS on entry. */
    private static void subtractColumns(MemorySegment x, long xb, MemorySegment y, long yb, int k, long stride,
                                        int count) {
        int i = 0;
        for (int upper = F.loopBound(count); i < upper; i += V) {
            long xo = xb + 4L * i;
            long yo = yb + 4L * i;
            FloatVector m = load(x, xo);
            for (int c = 1; c < k; c++) {
                m = m.max(load(x, xo + c * stride));
            }
            FloatVector logS = load(y, yo);
            for (int c = 0; c < k; c++) {
                load(x, xo + c * stride).sub(m).sub(logS).intoMemorySegment(y, yo + c * stride, NATIVE);
            }
        }
        for (; i < count; i++) {
            long xo = xb + 4L * i;
            long yo = yb + 4L * i;
            float m = columnMax(x, xo, k, stride);
            float logS = y.get(F32, yo);
            for (int c = 0; c < k; c++) {
                y.set(F32, yo + c * stride, (x.get(F32, xo + c * stride) - m) - logS);
            }
        }
    }

    /** Largest of the k values at xo, xo + stride, ... */
    private static float columnMax(MemorySegment x, long xo, int k, long stride) {
        float m = x.get(F32, xo);
        for (int c = 1; c < k; c++) {
            m = Math.max(m, x.get(F32, xo + c * stride));
        }
        return m;
    }

    /** gradX = y * (gradY - sum(gradY * y)). */
    static void softmaxBackwardColumns(MemorySegment y, long yb, MemorySegment g, long gb, MemorySegment out, long ob,
                                       int k, long stride, int count) {
        int i = 0;
        for (int upper = F.loopBound(count); i < upper; i += V) {
            long yo = yb + 4L * i;
            long go = gb + 4L * i;
            long oo = ob + 4L * i;
            FloatVector dot = FloatVector.zero(F);
            for (int c = 0; c < k; c++) {
                dot = load(g, go + c * stride).fma(load(y, yo + c * stride), dot);
            }
            for (int c = 0; c < k; c++) {
                load(g, go + c * stride).sub(dot).mul(load(y, yo + c * stride))
                        .intoMemorySegment(out, oo + c * stride, NATIVE);
            }
        }
        for (; i < count; i++) {
            long yo = yb + 4L * i;
            long go = gb + 4L * i;
            long oo = ob + 4L * i;
            float dot = 0;
            for (int c = 0; c < k; c++) {
                dot = Math.fma(g.get(F32, go + c * stride), y.get(F32, yo + c * stride), dot);
            }
            for (int c = 0; c < k; c++) {
                out.set(F32, oo + c * stride, (g.get(F32, go + c * stride) - dot) * y.get(F32, yo + c * stride));
            }
        }
    }

    /** gradX = gradY - exp(y) * sum(gradY). */
    static void logSoftmaxBackwardColumns(MemorySegment y, long yb, MemorySegment g, long gb, MemorySegment out,
                                          long ob, int k, long stride, int count) {
        int i = 0;
        for (int upper = F.loopBound(count); i < upper; i += V) {
            long yo = yb + 4L * i;
            long go = gb + 4L * i;
            long oo = ob + 4L * i;
            FloatVector s = FloatVector.zero(F);
            for (int c = 0; c < k; c++) {
                s = s.add(load(g, go + c * stride));
            }
            for (int c = 0; c < k; c++) {
                FloatVector p = ExpLog.exp(load(y, yo + c * stride));
                p.neg().fma(s, load(g, go + c * stride)).intoMemorySegment(out, oo + c * stride, NATIVE);
            }
        }
        for (; i < count; i++) {
            long yo = yb + 4L * i;
            long go = gb + 4L * i;
            long oo = ob + 4L * i;
            float s = 0;
            for (int c = 0; c < k; c++) {
                s += g.get(F32, go + c * stride);
            }
            for (int c = 0; c < k; c++) {
                float p = ExpLog.exp(y.get(F32, yo + c * stride));
                out.set(F32, oo + c * stride, Math.fma(-p, s, g.get(F32, go + c * stride)));
            }
        }
    }

    // ---- rows (contiguous class axis): vectors along the row

    private static float max(MemorySegment x, long xb, int k) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (k >= V) {
            FloatVector vm = load(x, xb);
            for (int upper = F.loopBound(k); i < upper; i += V) {
                vm = vm.max(load(x, xb + 4L * i));
            }
            m = vm.reduceLanes(VectorOperators.MAX);
        }
        for (; i < k; i++) {
            m = Math.max(m, x.get(F32, xb + 4L * i));
        }
        return m;
    }

    /** Sum of exp(x - m), storing each term into y when y is not null. */
    private static float sumExp(MemorySegment x, long xb, MemorySegment y, long yb, int k, float m) {
        FloatVector vm = FloatVector.broadcast(F, m);
        FloatVector vs = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            FloatVector e = ExpLog.exp(load(x, xb + 4L * i).sub(vm));
            vs = vs.add(e);
            if (y != null) {
                e.intoMemorySegment(y, yb + 4L * i, NATIVE);
            }
        }
        float s = ExpLog.sumLanes(vs);
        for (; i < k; i++) {
            float e = ExpLog.exp(x.get(F32, xb + 4L * i) - m);
            s += e;
            if (y != null) {
                y.set(F32, yb + 4L * i, e);
            }
        }
        return s;
    }

    static void softmaxRow(MemorySegment x, long xb, MemorySegment unused, long ub, MemorySegment y, long yb, int k) {
        float m = max(x, xb, k);
        float r = 1f / sumExp(x, xb, y, yb, k, m);
        FloatVector vr = FloatVector.broadcast(F, r);
        int i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            load(y, yb + 4L * i).mul(vr).intoMemorySegment(y, yb + 4L * i, NATIVE);
        }
        for (; i < k; i++) {
            y.set(F32, yb + 4L * i, y.get(F32, yb + 4L * i) * r);
        }
    }

    static void logSoftmaxRow(MemorySegment x, long xb, MemorySegment unused, long ub, MemorySegment y, long yb,
                              int k) {
        float m = max(x, xb, k);
        float logS = ExpLog.log(sumExp(x, xb, null, 0, k, m));
        FloatVector vm = FloatVector.broadcast(F, m);
        FloatVector vl = FloatVector.broadcast(F, logS);
        int i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            load(x, xb + 4L * i).sub(vm).sub(vl).intoMemorySegment(y, yb + 4L * i, NATIVE);
        }
        for (; i < k; i++) {
            y.set(F32, yb + 4L * i, (x.get(F32, xb + 4L * i) - m) - logS);
        }
    }

    static void softmaxBackwardRow(MemorySegment y, long yb, MemorySegment g, long gb, MemorySegment out, long ob,
                                   int k) {
        FloatVector vd = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            vd = load(g, gb + 4L * i).fma(load(y, yb + 4L * i), vd);
        }
        float dot = ExpLog.sumLanes(vd);
        for (; i < k; i++) {
            dot = Math.fma(g.get(F32, gb + 4L * i), y.get(F32, yb + 4L * i), dot);
        }
        FloatVector vdot = FloatVector.broadcast(F, dot);
        i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            load(g, gb + 4L * i).sub(vdot).mul(load(y, yb + 4L * i)).intoMemorySegment(out, ob + 4L * i, NATIVE);
        }
        for (; i < k; i++) {
            out.set(F32, ob + 4L * i, (g.get(F32, gb + 4L * i) - dot) * y.get(F32, yb + 4L * i));
        }
    }

    static void logSoftmaxBackwardRow(MemorySegment y, long yb, MemorySegment g, long gb, MemorySegment out, long ob,
                                      int k) {
        FloatVector vs = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            vs = vs.add(load(g, gb + 4L * i));
        }
        float s = ExpLog.sumLanes(vs);
        for (; i < k; i++) {
            s += g.get(F32, gb + 4L * i);
        }
        FloatVector negS = FloatVector.broadcast(F, -s);
        i = 0;
        for (int upper = F.loopBound(k); i < upper; i += V) {
            ExpLog.exp(load(y, yb + 4L * i)).fma(negS, load(g, gb + 4L * i))
                    .intoMemorySegment(out, ob + 4L * i, NATIVE);
        }
        for (; i < k; i++) {
            out.set(F32, ob + 4L * i, Math.fma(ExpLog.exp(y.get(F32, yb + 4L * i)), -s, g.get(F32, gb + 4L * i)));
        }
    }
}
