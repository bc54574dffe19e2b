package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Unit-stride float loops over rows of [H, W] planes in native memory, shared by the pooling and
 * resampling kernels. All offsets are in elements. Each loop visits elements in a fixed order, so
 * results do not depend on threads.
 */
final class PlaneRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private PlaneRows() {
    }

    /** Sum of n floats: four float vector accumulators, their lanes then combined in double. */
    static double sum(MemorySegment s, long off, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - 4 * L; i += 4 * L) {
            acc0 = acc0.add(FloatVector.fromMemorySegment(F, s, (off + i) * 4, ORDER));
            acc1 = acc1.add(FloatVector.fromMemorySegment(F, s, (off + i + L) * 4, ORDER));
            acc2 = acc2.add(FloatVector.fromMemorySegment(F, s, (off + i + 2 * L) * 4, ORDER));
            acc3 = acc3.add(FloatVector.fromMemorySegment(F, s, (off + i + 3 * L) * 4, ORDER));
        }
        for (; i <= n - L; i += L) {
            acc0 = acc0.add(FloatVector.fromMemorySegment(F, s, (off + i) * 4, ORDER));
        }
        FloatVector acc = acc0.add(acc1).add(acc2.add(acc3));
        double total = 0;
        for (int k = 0; k < L; k++) {
            total += acc.lane(k);
        }
        for (; i < n; i++) {
            total += s.getAtIndex(F32, off + i);
        }
        return total;
    }

    /** s[off .. off+n) = value. */
    static void fill(MemorySegment s, long off, int n, float value) {
        FloatVector v = FloatVector.broadcast(F, value);
        int i = 0;
        for (; i <= n - L; i += L) {
            v.intoMemorySegment(s, (off + i) * 4, ORDER);
        }
        for (; i < n; i++) {
            s.setAtIndex(F32, off + i, value);
        }
    }

    /** dst[k] += a * src[k] for k < n (two separate roundings, no fused multiply-add). */
    static void axpy(MemorySegment dst, long dOff, MemorySegment src, long sOff, float a, int n) {
        FloatVector va = FloatVector.broadcast(F, a);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector d = FloatVector.fromMemorySegment(F, dst, (dOff + i) * 4, ORDER);
            FloatVector x = FloatVector.fromMemorySegment(F, src, (sOff + i) * 4, ORDER);
            d.add(x.mul(va)).intoMemorySegment(dst, (dOff + i) * 4, ORDER);
        }
        for (; i < n; i++) {
            dst.setAtIndex(F32, dOff + i, dst.getAtIndex(F32, dOff + i) + a * src.getAtIndex(F32, sOff + i));
        }
    }

    /** out[k] = a[k] * wa + b[k] * wb for k < n (a and b in the same segment). */
    static void blend(MemorySegment out, long oOff, MemorySegment in, long aOff, float wa, long bOff, float wb,
                      int n) {
        FloatVector va = FloatVector.broadcast(F, wa);
        FloatVector vb = FloatVector.broadcast(F, wb);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector a = FloatVector.fromMemorySegment(F, in, (aOff + i) * 4, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(F, in, (bOff + i) * 4, ORDER);
            a.mul(va).add(b.mul(vb)).intoMemorySegment(out, (oOff + i) * 4, ORDER);
        }
        for (; i < n; i++) {
            out.setAtIndex(F32, oOff + i, in.getAtIndex(F32, aOff + i) * wa + in.getAtIndex(F32, bOff + i) * wb);
        }
    }
}
