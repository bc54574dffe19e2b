package org.layerensembles.core.cpu;

import static org.layerensembles.core.cpu.BinaryKernels.F;
import static org.layerensembles.core.cpu.BinaryKernels.NATIVE;
import static org.layerensembles.core.cpu.BinaryLoops.at;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.layerensembles.core.backend.UnaryOp;

/**
 * One Vector API loop per unary op, and one per gradient, over contiguous rows (offsets in
 * elements, the last partial vector masked); {@link UnaryKernels#apply} is the scalar form with
 * the same bits. One loop per op for the reason given in
 * {@link BinaryLoops}: a shared loop calling a big switch gets its vectors boxed.
 */
final class UnaryLoops {
    private static final FloatVector ZERO = FloatVector.zero(F);
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);

    private UnaryLoops() {
    }

    /**
     * out[i] = op(x[i]). exp, log, sigmoid and tanh come from {@link ExpLog} (not the Vector
     * API's EXP/LOG/TANH, whose bits depend on the JIT tier); sigmoid = 1 / (1 + e^-x) gives 0,
     * not NaN, below -88.
     */
    static void forward(UnaryOp op, MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        switch (op) {
            case NEG -> neg(x, ox, out, oo, n);
            case EXP -> exp(x, ox, out, oo, n);
            case LOG -> log(x, ox, out, oo, n);
            case SQRT -> sqrt(x, ox, out, oo, n);
            case ABS -> abs(x, ox, out, oo, n);
            case RELU -> relu(x, ox, out, oo, n);
            case SIGMOID -> sigmoid(x, ox, out, oo, n);
            case TANH -> tanh(x, ox, out, oo, n);
        }
    }

    /**
     * out[i] = dL/dx[i] from g = dL/dy and p, which is y for EXP, SQRT, SIGMOID, TANH and x for
     * LOG, ABS, RELU (unused by NEG).
     */
    static void backward(UnaryOp op, MemorySegment p, long op0, MemorySegment g, long og, MemorySegment out, long oo,
                         int n) {
        switch (op) {
            case NEG -> negBackward(p, op0, g, og, out, oo, n);
            case EXP -> expBackward(p, op0, g, og, out, oo, n);
            case LOG -> logBackward(p, op0, g, og, out, oo, n);
            case SQRT -> sqrtBackward(p, op0, g, og, out, oo, n);
            case ABS -> absBackward(p, op0, g, og, out, oo, n);
            case RELU -> reluBackward(p, op0, g, og, out, oo, n);
            case SIGMOID -> sigmoidBackward(p, op0, g, og, out, oo, n);
            case TANH -> tanhBackward(p, op0, g, og, out, oo, n);
        }
    }

    private static void neg(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            v.neg().intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            v.neg().intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void exp(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            ExpLog.exp(v).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            ExpLog.exp(v).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void log(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            ExpLog.log(v).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            ExpLog.log(v).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sqrt(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            v.sqrt().intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            v.sqrt().intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void abs(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            v.abs().intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            v.abs().intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void relu(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            v.max(0f).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            v.max(0f).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sigmoid(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            ExpLog.sigmoid(v).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            ExpLog.sigmoid(v).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void tanh(MemorySegment x, long ox, MemorySegment out, long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector v = at(x, ox + i);
            ExpLog.tanh(v).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = at(x, ox + i, m);
            ExpLog.tanh(v).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** dL/dx = -g. */
    private static void negBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                    long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            g.neg().intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            g.neg().intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = y = e^x: g y. */
    private static void expBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                    long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            g.mul(p).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            g.mul(p).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = x: g / x. */
    private static void logBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                    long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            g.div(p).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            g.div(p).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = y = sqrt(x): g / (2y). */
    private static void sqrtBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                     long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            g.div(p.add(p)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            g.div(p.add(p)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = x: g sign(x), 0 at 0. */
    private static void absBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                    long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            ZERO.blend(g, p.compare(VectorOperators.GT, 0f))
                    .blend(g.neg(), p.compare(VectorOperators.LT, 0f))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            ZERO.blend(g, p.compare(VectorOperators.GT, 0f))
                    .blend(g.neg(), p.compare(VectorOperators.LT, 0f))
                    .intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = x: g where x > 0. */
    private static void reluBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                     long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            ZERO.blend(g, p.compare(VectorOperators.GT, 0f)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            ZERO.blend(g, p.compare(VectorOperators.GT, 0f)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = y: g y (1 - y). */
    private static void sigmoidBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                        long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            g.mul(p).mul(ONE.sub(p)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            g.mul(p).mul(ONE.sub(p)).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }

    /** p = y: g (1 - y^2). */
    private static void tanhBackward(MemorySegment pp, long op0, MemorySegment gg, long og, MemorySegment out,
                                     long oo, int n) {
        int i = 0;
        for (int e = F.loopBound(n); i < e; i += F.length()) {
            FloatVector p = at(pp, op0 + i);
            FloatVector g = at(gg, og + i);
            g.mul(ONE.sub(p.mul(p))).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector p = at(pp, op0 + i, m);
            FloatVector g = at(gg, og + i, m);
            g.mul(ONE.sub(p.mul(p))).intoMemorySegment(out, (oo + i) * 4, NATIVE, m);
        }
    }
}
