package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;

/**
 * The argument checks of softmax and log-softmax, forward and backward, shared by the backends
 * so that both reject bad input with the same message.
 */
public final class SoftmaxChecks {
    private SoftmaxChecks() {
    }

    /** Checks a forward pass's x (float32) and axis; returns the axis as 0..rank-1. */
    public static int forward(String op, NDArray x, int axis) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": x is null");
        }
        Checks.float32(op, "x", x);
        return Checks.axis(op, axis, "x of shape", x.shape());
    }

    /** Checks a backward pass's y and gradY (float32, one shape) and axis; returns the axis as 0..rank-1. */
    public static int backward(String op, NDArray y, NDArray gradY, int axis) {
        if (y == null || gradY == null) {
            throw new IllegalArgumentException(op + ": y and gradY must not be null");
        }
        Checks.float32(op, "y", y);
        Checks.float32(op, "gradY", gradY);
        Checks.sameShape(op, "y", y, "gradY", gradY);
        return Checks.axis(op, axis, "x of shape", y.shape());
    }
}
