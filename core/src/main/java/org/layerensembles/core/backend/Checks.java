package org.layerensembles.core.backend;

import java.util.Arrays;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * Argument checks shared by all backends, so that every backend rejects bad input with the same
 * message: the op's name and the offending shapes or values.
 */
public final class Checks {
    private Checks() {
    }

    public static void dtype(String op, String what, NDArray x, DType expected) {
        if (x.dtype() != expected) {
            throw new IllegalArgumentException(op + ": " + what + " must be " + expected + ", got " + x.dtype()
                    + " " + Shapes.str(x.shape()));
        }
    }

    public static void float32(String op, String what, NDArray x) {
        dtype(op, what, x, DType.FLOAT32);
    }

    public static void rank(String op, String what, NDArray x, int rank) {
        if (x.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + what + " must have rank " + rank + ", got shape "
                    + Shapes.str(x.shape()));
        }
    }

    public static void sameShape(String op, String whatA, NDArray a, String whatB, NDArray b) {
        sameShape(op, whatA, a.shape(), whatB, b.shape());
    }

    public static void sameShape(String op, String whatA, int[] a, String whatB, int[] b) {
        if (!Arrays.equals(a, b)) {
            throw new IllegalArgumentException(op + ": shape mismatch, " + whatA + " " + Shapes.str(a) + " vs "
                    + whatB + " " + Shapes.str(b));
        }
    }

    /** Checks a per-channel vector ([C]) for an [N, C, ...] input. */
    public static void channelVector(String op, String what, NDArray v, int channels) {
        if (v.rank() != 1 || v.size(0) != channels) {
            throw new IllegalArgumentException(op + ": " + what + " must have shape [" + channels + "], got "
                    + Shapes.str(v.shape()));
        }
    }

    /**
     * Turns a possibly negative axis (-1 = last) of {@code shape} into 0..rank-1, or throws
     * "op: axis A is out of range for SUBJECT SHAPE (rank R)".
     */
    public static int axis(String op, int axis, String subject, int[] shape) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for " + subject + " "
                    + Shapes.str(shape) + " (rank " + shape.length + ")");
        }
        return a;
    }

    /**
     * Checks a backward pass's {@code inputShape} is a valid [N, C, H, W] shape; returns a copy.
     */
    public static int[] nchwInputShape(String op, int[] inputShape) {
        if (inputShape == null || inputShape.length != 4) {
            throw new IllegalArgumentException(op + ": inputShape must be [N, C, H, W], got "
                    + (inputShape == null ? "null" : Shapes.str(inputShape)));
        }
        return Shapes.validate(op, inputShape);
    }
}
