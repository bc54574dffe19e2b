package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The argument checks of batch normalisation (x, the per-channel vectors, eps), shared by the
 * backends so that both reject bad input with the same message.
 */
public final class BatchNormChecks {
    private BatchNormChecks() {
    }

    /** Checks x is float32 [N, C, ...] (rank 2 or more). */
    public static void input(String op, NDArray x) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": x is null");
        }
        Checks.float32(op, "x", x);
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": x must be [N, C, ...] (rank 2 or more), got shape "
                    + Shapes.str(x.shape()));
        }
    }

    /** Checks training has batch statistics: {@code perChannel}, the elements of x per channel, is not 0. */
    public static void hasBatch(String op, NDArray x, long perChannel) {
        if (perChannel == 0) {
            throw new IllegalArgumentException(op + ": x " + Shapes.str(x.shape())
                    + " has no elements per channel, so no batch statistics");
        }
    }

    /** Returns {@code v}, or throws naming it when it is null. */
    public static NDArray required(String op, String what, NDArray v) {
        if (v == null) {
            throw new IllegalArgumentException(op + ": " + what + " is null");
        }
        return v;
    }

    /** Checks a given per-channel vector: float32 [C] for x's C channels. */
    public static void channel(String op, String what, NDArray v, NDArray x, int channels) {
        Checks.float32(op, what, v);
        if (v.rank() != 1 || v.size(0) != channels) {
            throw new IllegalArgumentException(op + ": " + what + " must have shape [" + channels
                    + "] (the channels of x " + Shapes.str(x.shape()) + "), got " + Shapes.str(v.shape()));
        }
    }

    /** Checks eps is finite and non-negative. */
    public static void eps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }
}
