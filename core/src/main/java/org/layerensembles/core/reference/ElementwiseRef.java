package org.layerensembles.core.reference;

import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Reference twin of the elementwise ops ({@code cpu/CpuElementwise}): plain loops in double
 * precision on row-major {@code double[]} data.
 *
 * <p>Broadcasting (NumPy): shapes are aligned at their last dimensions; missing leading
 * dimensions count as extent 1; an operand of extent 1 along a dimension repeats its one value
 * along it. Result element {@code out[i0, ..., ik]} reads {@code a[j0, ..., jm]} with
 * {@code j = i} where a's extent matches and {@code j = 0} where it is 1.
 */
public final class ElementwiseRef {
    private ElementwiseRef() {
    }

    // ---- unary

    /** y = f(x) of one element. sigmoid(x) = 1 / (1 + e^-x); relu(x) = max(x, 0). */
    public static double unary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case ABS -> Math.abs(x);
            case RELU -> Math.max(x, 0);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
        };
    }

    public static double[] unary(UnaryOp op, double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = unary(op, x[i]);
        }
        return y;
    }

    /**
     * The derivative f'(x), written in terms of x: -1, e^x, 1/x, 1/(2 sqrt x), sign(x) (0 at 0),
     * [x > 0], s(x)(1 - s(x)), 1 - tanh(x)^2.
     */
    public static double derivative(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -1;
            case EXP -> Math.exp(x);
            case LOG -> 1 / x;
            case SQRT -> 1 / (2 * Math.sqrt(x));
            case ABS -> Math.signum(x);
            case RELU -> x > 0 ? 1 : 0;
            case SIGMOID -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 - s);
            }
            case TANH -> {
                double t = Math.tanh(x);
                yield 1 - t * t;
            }
        };
    }

    /** dL/dx = dL/dy * f'(x), elementwise. */
    public static double[] unaryBackward(UnaryOp op, double[] x, double[] gradY) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            g[i] = gradY[i] * derivative(op, x[i]);
        }
        return g;
    }

    // ---- binary, with broadcasting

    /** a op b of one pair; comparisons give 1 or 0. */
    public static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case EQ -> a == b ? 1 : 0;
        };
    }

    /** a op b with broadcasting; the result has shape {@code Shapes.broadcast(aShape, bShape)}. */
    public static double[] binary(BinaryOp op, double[] a, int[] aShape, double[] b, int[] bShape) {
        int[] outShape = Shapes.broadcast("binary " + op, aShape, bShape);
        double[] out = new double[RefArrays.numel(outShape)];
        for (int i = 0; i < out.length; i++) {
            int[] index = RefArrays.unflat(outShape, i);
            out[i] = binary(op, a[source(aShape, index)], b[source(bShape, index)]);
        }
        return out;
    }

    /**
     * Gradients {dL/da, dL/db} of out = a op b given dL/dout (of the broadcast shape). Each
     * elementwise partial derivative is taken at the broadcast position, then summed back to
     * the operand's shape ({@link ReductionRef#sumTo}): an operand repeated along a dimension
     * receives the sum of the gradients of all its copies. d(a^b) = b a^(b-1) da + a^b ln(a) db;
     * MAX sends the gradient to a where a >= b, else to b (MIN: a where a <= b); comparisons
     * have zero gradient.
     */
    public static double[][] binaryBackward(BinaryOp op, double[] a, int[] aShape, double[] b, int[] bShape,
                                            double[] gradOut) {
        int[] outShape = Shapes.broadcast("binaryBackward " + op, aShape, bShape);
        double[] ga = new double[gradOut.length];
        double[] gb = new double[gradOut.length];
        for (int i = 0; i < gradOut.length; i++) {
            int[] index = RefArrays.unflat(outShape, i);
            double x = a[source(aShape, index)];
            double y = b[source(bShape, index)];
            double g = gradOut[i];
            switch (op) {
                case ADD -> {
                    ga[i] = g;
                    gb[i] = g;
                }
                case SUB -> {
                    ga[i] = g;
                    gb[i] = -g;
                }
                case MUL -> {
                    ga[i] = g * y;
                    gb[i] = g * x;
                }
                case DIV -> {
                    ga[i] = g / y;
                    gb[i] = -g * x / (y * y);
                }
                case POW -> {
                    ga[i] = g * y * Math.pow(x, y - 1);
                    gb[i] = g * Math.pow(x, y) * Math.log(x);
                }
                case MAX -> {
                    ga[i] = x >= y ? g : 0;
                    gb[i] = x >= y ? 0 : g;
                }
                case MIN -> {
                    ga[i] = x <= y ? g : 0;
                    gb[i] = x <= y ? 0 : g;
                }
                case GT, GE, LT, LE, EQ -> {
                    ga[i] = 0;
                    gb[i] = 0;
                }
            }
        }
        return new double[][] {ReductionRef.sumTo(ga, outShape, aShape), ReductionRef.sumTo(gb, outShape, bShape)};
    }

    /** a where condition != 0, else b; all three broadcast together. */
    public static double[] where(double[] condition, int[] cShape, double[] a, int[] aShape, double[] b, int[] bShape) {
        int[] outShape = Shapes.broadcast("where", Shapes.broadcast("where", cShape, aShape), bShape);
        double[] out = new double[RefArrays.numel(outShape)];
        for (int i = 0; i < out.length; i++) {
            int[] index = RefArrays.unflat(outShape, i);
            out[i] = condition[source(cShape, index)] != 0 ? a[source(aShape, index)] : b[source(bShape, index)];
        }
        return out;
    }

    /** Flat position in an operand of shape {@code shape} read by the result element at {@code outIndex}. */
    public static int source(int[] shape, int[] outIndex) {
        int lead = outIndex.length - shape.length;
        int pos = 0;
        for (int d = 0; d < shape.length; d++) {
            int i = shape[d] == 1 ? 0 : outIndex[lead + d];
            pos = pos * shape[d] + i;
        }
        return pos;
    }

    // ---- clamp and cast

    /** min(max(x, lo), hi). */
    public static double[] clamp(double[] x, double lo, double hi) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.min(Math.max(x[i], lo), hi);
        }
        return y;
    }

    /** dL/dx of clamp: dL/dy where lo <= x <= hi (the derivative is 1 there), else 0. */
    public static double[] clampBackward(double[] x, double[] gradY, double lo, double hi) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            g[i] = x[i] >= lo && x[i] <= hi ? gradY[i] : 0;
        }
        return g;
    }

    /** float to int32: truncation toward zero (Java's cast: NaN gives 0, out-of-range saturates). */
    public static double[] toInt32(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (int) x[i];
        }
        return y;
    }
}
