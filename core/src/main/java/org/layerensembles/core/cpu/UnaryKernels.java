package org.layerensembles.core.cpu;

import static org.layerensembles.core.cpu.BinaryKernels.F;
import static org.layerensembles.core.cpu.BinaryKernels.I;
import static org.layerensembles.core.cpu.BinaryKernels.NATIVE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Row kernels of the one-input elementwise ops: unary maps and their gradients, clamp, cast,
 * fill. Input strides along a row are 1 (vector loop) or anything else (scalar loop); the result
 * row is contiguous except for {@link #fillRow}, which writes into any view.
 */
final class UnaryKernels {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;

    private UnaryKernels() {
    }

    // ---- y = op(x)

    static void unaryRow(UnaryOp op, MemorySegment x, long ox, int sx, MemorySegment out, long oo, int n) {
        if (sx == 1) {
            UnaryLoops.forward(op, x, ox, out, oo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F32, oo + i, apply(op, x.getAtIndex(F32, ox + (long) i * sx)));
        }
    }

    /** The scalar form, for strided rows: the same bits as {@link UnaryLoops}' vector lanes. */
    static float apply(UnaryOp op, float v) {
        return switch (op) {
            case NEG -> -v;
            case EXP -> ExpLog.exp(v);
            case LOG -> ExpLog.log(v);
            case SQRT -> (float) Math.sqrt(v);
            case ABS -> Math.abs(v);
            case RELU -> Math.max(v, 0f);
            case SIGMOID -> ExpLog.sigmoid(v);
            case TANH -> ExpLog.tanh(v);
        };
    }

    // ---- dL/dx of y = op(x); p is x or y (whichever the op's derivative needs), g is dL/dy

    static void backwardRow(UnaryOp op, MemorySegment p, long op0, int sp, MemorySegment g, long og, int sg,
                            MemorySegment out, long oo, int n) {
        if (sp == 1 && sg == 1) {
            UnaryLoops.backward(op, p, op0, g, og, out, oo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            float pv = p.getAtIndex(F32, op0 + (long) i * sp);
            float gv = g.getAtIndex(F32, og + (long) i * sg);
            out.setAtIndex(F32, oo + i, derivative(op, pv, gv));
        }
    }

    private static float derivative(UnaryOp op, float p, float g) {
        return switch (op) {
            case NEG -> -g;
            case EXP -> g * p;
            case LOG -> g / p;
            case SQRT -> g / (p + p);
            case ABS -> p > 0 ? g : p < 0 ? -g : 0f;
            case RELU -> p > 0 ? g : 0f;
            case SIGMOID -> g * p * (1f - p);
            case TANH -> g * (1f - p * p);
        };
    }

    // ---- clamp and its gradient

    static void clampRow(float min, float max, MemorySegment x, long ox, int sx, MemorySegment out, long oo, int n) {
        int i = 0;
        if (sx == 1) {
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, (ox + i) * 4, NATIVE);
                v.max(min).min(max).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            out.setAtIndex(F32, oo + i, Math.min(Math.max(x.getAtIndex(F32, ox + (long) i * sx), min), max));
        }
    }

    static void clampBackwardRow(float min, float max, MemorySegment x, long ox, int sx, MemorySegment g, long og,
                                 int sg, MemorySegment out, long oo, int n) {
        int i = 0;
        if (sx == 1 && sg == 1) {
            FloatVector zero = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, (ox + i) * 4, NATIVE);
                FloatVector gv = FloatVector.fromMemorySegment(F, g, (og + i) * 4, NATIVE);
                VectorMask<Float> inside = v.compare(VectorOperators.GE, min).and(v.compare(VectorOperators.LE, max));
                zero.blend(gv, inside).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float v = x.getAtIndex(F32, ox + (long) i * sx);
            float gv = g.getAtIndex(F32, og + (long) i * sg);
            out.setAtIndex(F32, oo + i, v >= min && v <= max ? gv : 0f);
        }
    }

    // ---- cast (Java conversion: float to int truncates toward zero, NaN gives 0, saturates)

    static void floatToIntRow(MemorySegment x, long ox, int sx, MemorySegment out, long oo, int n) {
        int i = 0;
        if (sx == 1) {
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, (ox + i) * 4, NATIVE);
                v.convert(VectorOperators.F2I, 0).reinterpretAsInts().intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            out.setAtIndex(I32, oo + i, (int) x.getAtIndex(F32, ox + (long) i * sx));
        }
    }

    static void intToFloatRow(MemorySegment x, long ox, int sx, MemorySegment out, long oo, int n) {
        int i = 0;
        if (sx == 1) {
            for (int bound = I.loopBound(n); i < bound; i += I.length()) {
                IntVector v = IntVector.fromMemorySegment(I, x, (ox + i) * 4, NATIVE);
                v.convert(VectorOperators.I2F, 0).reinterpretAsFloats().intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            out.setAtIndex(F32, oo + i, (float) x.getAtIndex(I32, ox + (long) i * sx));
        }
    }

    // ---- fill: writes a 32-bit pattern (a float's or an int's bits) into any view

    static void fillRow(int bits, MemorySegment out, long oo, int so, int n) {
        int i = 0;
        if (so == 1) {
            IntVector v = IntVector.broadcast(I, bits);
            for (int bound = I.loopBound(n); i < bound; i += I.length()) {
                v.intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            out.setAtIndex(I32, oo + (long) i * so, bits);
        }
    }
}
