package org.layerensembles.autograd;

/**
 * Whether ops record a graph, per thread. Inference runs inside {@link #noGrad()}: no nodes, no
 * saved arrays, nothing kept alive for a backward pass that never comes.
 *
 * <pre>{@code
 * try (GradMode.Scope ignored = GradMode.noGrad()) {
 *     Tensor prediction = model.forward(x);   // builds no graph
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<int[]> DISABLED_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private GradMode() {
    }

    /** True unless inside a {@link #noGrad()} block on this thread. */
    public static boolean isEnabled() {
        return DISABLED_DEPTH.get()[0] == 0;
    }

    /** Turns graph recording off on this thread until the returned scope closes (nests). */
    public static Scope noGrad() {
        DISABLED_DEPTH.get()[0]++;
        return new Scope();
    }

    /** Ends a {@link #noGrad()} block. */
    public static final class Scope implements AutoCloseable {
        private boolean closed;

        private Scope() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                DISABLED_DEPTH.get()[0]--;
            }
        }
    }
}
