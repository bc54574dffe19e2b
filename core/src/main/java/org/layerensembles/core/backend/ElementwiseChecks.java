package org.layerensembles.core.backend;

import java.util.Arrays;
import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The argument checks of the elementwise primitives (fill, unary gradients, binaryInto, clamp, where),
 * shared by the backends so that both reject bad input with the same message.
 */
public final class ElementwiseChecks {
    private ElementwiseChecks() {
    }

    /**
     * The 32 bits fill writes into each element of {@code out}: the float32 value, or for int32
     * the value, which must be an integer in int range.
     */
    public static int fillBits(NDArray out, double value) {
        if (out.dtype() == DType.FLOAT32) {
            return Float.floatToRawIntBits((float) value);
        }
        if (value != Math.rint(value) || value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fill: an int32 array " + Shapes.str(out.shape())
                    + " needs an integer value in int range, got " + value);
        }
        return (int) value;
    }

    /** Whether op's derivative is written in terms of y (EXP, SQRT, SIGMOID, TANH) rather than x. */
    public static boolean usesOutput(UnaryOp op) {
        return switch (op) {
            case EXP, SQRT, SIGMOID, TANH -> true;
            case NEG, LOG, ABS, RELU -> false;
        };
    }

    /**
     * Checks unaryBackward's arguments: gradY float32, x and y (where given) float32 of gradY's
     * shape, and the one the derivative needs ({@link #usesOutput}) given, except for NEG.
     * Returns the array the derivative reads: y or x, or gradY for NEG without either.
     */
    public static NDArray unaryBackwardOperand(UnaryOp op, NDArray x, NDArray y, NDArray gradY) {
        Objects.requireNonNull(op, "unaryBackward: op is null");
        String name = "unaryBackward " + op;
        Checks.float32(name, "gradY", gradY);
        boolean usesY = usesOutput(op);
        for (NDArray given : new NDArray[] {x, y}) {
            if (given != null) {
                String what = given == x ? "x" : "y";
                Checks.float32(name, what, given);
                Checks.sameShape(name, what, given, "gradY", gradY);
            }
        }
        NDArray p = usesY ? y : x;
        if (p == null && op != UnaryOp.NEG) {
            String needed = usesY ? "y (the forward output)" : "x (the forward input)";
            throw new IllegalArgumentException(name + ": needs " + needed + ", got null");
        }
        return p == null ? gradY : p; // NEG ignores it
    }

    /** Checks binaryInto's arrays: all float32, a and b broadcasting to out's shape. */
    public static void binaryInto(String name, NDArray a, NDArray b, NDArray out) {
        Checks.float32(name, "a", a);
        Checks.float32(name, "b", b);
        Checks.float32(name, "out", out);
        int[] shape = out.shape();
        if (!Arrays.equals(Shapes.broadcast(name, Shapes.broadcast(name, a.shape(), b.shape()), shape), shape)) {
            throw new IllegalArgumentException(name + ": shapes " + Shapes.str(a.shape()) + " and "
                    + Shapes.str(b.shape()) + " do not broadcast to out's " + Shapes.str(shape));
        }
    }

    /** Checks clamp's bounds: neither NaN, min <= max. */
    public static void clampBounds(String op, double min, double max) {
        if (Double.isNaN(min) || Double.isNaN(max) || min > max) {
            throw new IllegalArgumentException(op + ": needs min <= max, got min " + min + ", max " + max);
        }
    }

    /**
     * Checks where's arguments (none null, a and b of one dtype, all three broadcasting
     * together); returns the broadcast shape.
     */
    public static int[] whereShape(NDArray condition, NDArray a, NDArray b) {
        Objects.requireNonNull(condition, "where: condition is null");
        Objects.requireNonNull(a, "where: a is null");
        Objects.requireNonNull(b, "where: b is null");
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("where: a and b must have the same dtype, got " + a.dtype() + " "
                    + Shapes.str(a.shape()) + " and " + b.dtype() + " " + Shapes.str(b.shape()));
        }
        try {
            return Shapes.broadcast("where", Shapes.broadcast("where", condition.shape(), a.shape()), b.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("where: shapes condition " + Shapes.str(condition.shape()) + ", a "
                    + Shapes.str(a.shape()) + " and b " + Shapes.str(b.shape()) + " cannot be broadcast together", e);
        }
    }
}
