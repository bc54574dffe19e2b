package org.layerensembles.core.cpu;

import static org.layerensembles.core.cpu.BinaryKernels.F;
import static org.layerensembles.core.cpu.BinaryKernels.NATIVE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.layerensembles.core.backend.BinaryOp;

/**
 * One Vector API loop per binary op over contiguous rows: out[i] = a[i] op b[i], i in [0, n),
 * offsets in elements; the last partial vector is masked.
 *
 * <p>Why one loop per op rather than one loop calling a switch: a method holding all twelve
 * ops is too big for the JIT to inline into the loop, and a vector passed to a method that is
 * not inlined is boxed on the heap (measured 5-10x slower). Each small loop here is compiled
 * with its op fixed.
 */
final class BinaryLoops {
    private BinaryLoops() {
    }

    static void run(BinaryOp op, MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo,
                    int n) {
        switch (op) {
            case ADD -> add(a, oa, b, ob, out, oo, n);
            case SUB -> sub(a, oa, b, ob, out, oo, n);
            case MUL -> mul(a, oa, b, ob, out, oo, n);
            case DIV -> div(a, oa, b, ob, out, oo, n);
            case POW -> pow(a, oa, b, ob, out, oo, n);
            case MAX -> max(a, oa, b, ob, out, oo, n);
            case MIN -> min(a, oa, b, ob, out, oo, n);
            case GT -> gt(a, oa, b, ob, out, oo, n);
            case GE -> ge(a, oa, b, ob, out, oo, n);
            case LT -> lt(a, oa, b, ob, out, oo, n);
            case LE -> le(a, oa, b, ob, out, oo, n);
            case EQ -> eq(a, oa, b, ob, out, oo, n);
        }
    }

    static FloatVector at(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(F, s, i * 4, NATIVE);
    }

    static FloatVector at(MemorySegment s, long i, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(F, s, i * 4, NATIVE, m);
    }

    private static final FloatVector ZERO = FloatVector.zero(F);

    /** 1.0 where the mask is set, else 0.0. */
    private static FloatVector ones(VectorMask<Float> m) {
        return ZERO.blend(1f, m);
    }

    private static void add(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(a, oa + i).add(at(b, ob + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            at(a, oa + i, m).add(at(b, ob + i, m)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sub(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(a, oa + i).sub(at(b, ob + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            at(a, oa + i, m).sub(at(b, ob + i, m)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void mul(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(a, oa + i).mul(at(b, ob + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            at(a, oa + i, m).mul(at(b, ob + i, m)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void div(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(a, oa + i).div(at(b, ob + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            at(a, oa + i, m).div(at(b, ob + i, m)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /**
     * A scalar loop on Math.pow (in double, rounded to float; the same as {@link BinaryKernels#apply}):
     * the Vector API's POW uses SVML in C2-compiled code but Math.pow per lane in the interpreter and
     * C1, so its bits would depend on the JIT tier. Math.pow itself is one stub (StubRoutines::dpow)
     * shared by the interpreter, C1 and C2.
     */
    private static void pow(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        for (int i = 0; i < n; i++) {
            float x = a.getAtIndex(ValueLayout.JAVA_FLOAT, oa + i);
            float y = b.getAtIndex(ValueLayout.JAVA_FLOAT, ob + i);
            out.setAtIndex(ValueLayout.JAVA_FLOAT, oo + i, (float) Math.pow(x, y));
        }
    }

    private static void max(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(a, oa + i).max(at(b, ob + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            at(a, oa + i, m).max(at(b, ob + i, m)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void min(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            at(a, oa + i).min(at(b, ob + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            at(a, oa + i, m).min(at(b, ob + i, m)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void gt(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            ones(at(a, oa + i).compare(VectorOperators.GT, at(b, ob + i))).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            ones(at(a, oa + i, m).compare(VectorOperators.GT, at(b, ob + i, m)))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void ge(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            ones(at(a, oa + i).compare(VectorOperators.GE, at(b, ob + i))).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            ones(at(a, oa + i, m).compare(VectorOperators.GE, at(b, ob + i, m)))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void lt(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            ones(at(a, oa + i).compare(VectorOperators.LT, at(b, ob + i))).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            ones(at(a, oa + i, m).compare(VectorOperators.LT, at(b, ob + i, m)))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void le(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            ones(at(a, oa + i).compare(VectorOperators.LE, at(b, ob + i))).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            ones(at(a, oa + i, m).compare(VectorOperators.LE, at(b, ob + i, m)))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void eq(MemorySegment a, long oa, MemorySegment b, long ob, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            ones(at(a, oa + i).compare(VectorOperators.EQ, at(b, ob + i))).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            ones(at(a, oa + i, m).compare(VectorOperators.EQ, at(b, ob + i, m)))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }
}
