package org.layerensembles.autograd;

import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;

/** The backend that differentiable ops run on (the CPU backend unless set otherwise). */
public final class Autograd {
    private static volatile Backend backend = Backends.cpu();

    private Autograd() {
    }

    public static Backend backend() {
        return backend;
    }

    /** Makes every later op run on this backend (e.g. "nd4j" for comparisons). */
    public static void useBackend(Backend b) {
        backend = b;
    }
}
