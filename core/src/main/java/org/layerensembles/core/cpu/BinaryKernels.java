package org.layerensembles.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.backend.BinaryOp;

/**
 * Row kernels of the two- and three-operand elementwise ops (binary ops, where). A row is a run
 * of {@code n} result elements; operand offsets are in elements, strides along the row are 0
 * (a broadcast value), 1 (contiguous) or anything else (strided, scalar loop). The result row is
 * always contiguous.
 */
final class BinaryKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;

    private BinaryKernels() {
    }

    // ---- a op b

    /** Longest piece of a row computed against a broadcast value held in the scratch row. */
    private static final int CHUNK = 1024;
    /** Per-thread native scratch row holding a broadcast value repeated (native, like all operands). */
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CHUNK * 4L, 64));

    static void binaryRow(BinaryOp op, MemorySegment a, long oa, int sa, MemorySegment b, long ob, int sb,
                          MemorySegment out, long oo, int n) {
        if (sa == 1 && sb == 1) {
            BinaryLoops.run(op, a, oa, b, ob, out, oo, n);
        } else if ((sa == 1 && sb == 0) || (sa == 0 && sb == 1)) {
            // One side is a value repeated along the row (a per-channel vector, a scalar): write
            // it into the scratch row once, then run the contiguous loop piecewise against it.
            MemorySegment fixed = constantRow(sa == 0 ? a.getAtIndex(F32, oa) : b.getAtIndex(F32, ob), n);
            for (int i = 0; i < n; i += CHUNK) {
                int len = Math.min(CHUNK, n - i);
                if (sa == 0) {
                    BinaryLoops.run(op, fixed, 0, b, ob + i, out, oo + i, len);
                } else {
                    BinaryLoops.run(op, a, oa + i, fixed, 0, out, oo + i, len);
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                float x = a.getAtIndex(F32, oa + (long) i * sa);
                float y = b.getAtIndex(F32, ob + (long) i * sb);
                out.setAtIndex(F32, oo + i, apply(op, x, y));
            }
        }
    }

    /** The scratch row of this thread with its first min(n, CHUNK) elements set to value. */
    private static MemorySegment constantRow(float value, int n) {
        MemorySegment s = SCRATCH.get();
        FloatVector v = FloatVector.broadcast(F, value);
        int len = Math.min(n, CHUNK);
        for (int i = 0; i < len; i += F.length()) {
            v.intoMemorySegment(s, (long) i * 4, NATIVE); // CHUNK is a multiple of the vector length
        }
        return s;
    }

    /** The scalar form, with the same semantics as the vector form (Math.max/min: NaN wins, -0 < +0). */
    static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> (float) Math.pow(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case GT -> a > b ? 1f : 0f;
            case GE -> a >= b ? 1f : 0f;
            case LT -> a < b ? 1f : 0f;
            case LE -> a <= b ? 1f : 0f;
            case EQ -> a == b ? 1f : 0f;
        };
    }

    // ---- where(condition, a, b): moves raw 32-bit words, so it serves float32 and int32 values

    static void whereRow(boolean intCondition, MemorySegment c, long oc, int sc, MemorySegment a, long oa, int sa,
                         MemorySegment b, long ob, int sb, MemorySegment out, long oo, int n) {
        int i = 0;
        if (sc == 1 && sa == 1 && sb == 1) {
            for (int bound = I.loopBound(n); i < bound; i += I.length()) {
                VectorMask<Integer> take = condition(intCondition, c, oc + i);
                IntVector x = IntVector.fromMemorySegment(I, a, (oa + i) * 4, NATIVE);
                IntVector y = IntVector.fromMemorySegment(I, b, (ob + i) * 4, NATIVE);
                y.blend(x, take).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            boolean take = intCondition ? c.getAtIndex(I32, oc + (long) i * sc) != 0
                    : c.getAtIndex(F32, oc + (long) i * sc) != 0f;
            long from = take ? oa + (long) i * sa : ob + (long) i * sb;
            out.setAtIndex(I32, oo + i, (take ? a : b).getAtIndex(I32, from));
        }
    }

    /** Lanes where the condition is nonzero (a float NaN counts as nonzero, -0.0 as zero). */
    private static VectorMask<Integer> condition(boolean intCondition, MemorySegment c, long at) {
        if (intCondition) {
            return IntVector.fromMemorySegment(I, c, at * 4, NATIVE).compare(VectorOperators.NE, 0);
        }
        return FloatVector.fromMemorySegment(F, c, at * 4, NATIVE).compare(VectorOperators.NE, 0f).cast(I);
    }
}
