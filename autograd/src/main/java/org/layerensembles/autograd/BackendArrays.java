package org.layerensembles.autograd;

import org.layerensembles.core.Device;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.memory.MemoryScope;

/**
 * Arrays that autograd and the optimizers create themselves (gradients, optimizer state, the
 * backward seed, loss targets), placed where the data they belong to lives: on the host exactly
 * as before, on an accelerator through the {@link Autograd#backend() backend}.
 */
public final class BackendArrays {
    private BackendArrays() {
    }

    /** Zeros of {@code like}'s shape and dtype, on its device, owned by the scope that owns it. */
    public static NDArray zerosBeside(NDArray like) {
        if (onHost(like)) {
            return NDArrays.zerosBeside(like);
        }
        MemoryScope owner = like.allocation().owner();
        if (owner == null) {
            return zerosOnBackend(like);
        }
        try (MemoryScope.Activation ignored = owner.activate()) {
            return zerosOnBackend(like);
        }
    }

    /** {@code host} moved to the device of {@code like} (the same array when that is the host). */
    public static NDArray placedLike(NDArray host, NDArray like) {
        return onHost(like) ? host : Autograd.backend().toDevice(host);
    }

    /** A host copy of {@code x} (the same array when it is on the host already). */
    public static NDArray onHostCopy(NDArray x) {
        return onHost(x) ? x : Autograd.backend().toHost(x);
    }

    private static boolean onHost(NDArray x) {
        return x.device().equals(Device.CPU);
    }

    private static NDArray zerosOnBackend(NDArray like) {
        NDArray z = Autograd.backend().empty(like.dtype(), like.shape());
        Autograd.backend().fill(z, 0);
        return z;
    }
}
