package org.layerensembles.cuda;

import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BackendProvider;

/**
 * Registers {@link CudaBackend} as "cuda" with {@code Backends}. Listing backends touches no
 * driver; {@link #create()} throws a clear {@link IllegalStateException} without one, or when the
 * jar was built without nvcc (no kernels).
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Backend create() {
        if (CudaBackendProvider.class.getResource("/cuda/NO_KERNELS") != null) {
            throw new IllegalStateException("the cuda backend has no kernels: this jar was built without nvcc");
        }
        return new CudaBackend();
    }
}
