package org.layerensembles.autograd.ops;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;

/**
 * Differentiable 2-D pooling on [N, C, H, W], with PyTorch's rules (see {@link Pool2dParams}:
 * floor mode, padding at most half the window).
 */
public final class PoolOps {
    private PoolOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /**
     * Max over each window. The forward keeps, per output element, the position of the winning
     * input element in its plane; the backward sends dL/dy there (and nothing elsewhere):
     * dL/dx[winner] += dL/dy. On ties the first maximum in row-major window order wins.
     */
    public static Tensor maxPool2d(Tensor x, Pool2dParams p) {
        MaxPoolResult r = cpu().maxPool2d(x.data(), p);
        NDArray indices = r.indices();
        return Tensor.fromOp("maxPool2d", r.output(), (g, needs) -> new NDArray[] {
            cpu().maxPool2dBackward(g, indices, x.shape())}, x);
    }

    /**
     * Mean over each window: y = sum(window) / divisor (kH*kW, or the number of real elements when
     * padding does not count). Backward: every real element of a window gets dL/dy / divisor.
     */
    public static Tensor avgPool2d(Tensor x, Pool2dParams p) {
        NDArray y = cpu().avgPool2d(x.data(), p);
        return Tensor.fromOp("avgPool2d", y, (g, needs) -> new NDArray[] {
            cpu().avgPool2dBackward(g, x.shape(), p)}, x);
    }

    /** Mean over H and W: [N, C, H, W] to [N, C, 1, 1]. Backward: dL/dx = dL/dy / (H*W) everywhere. */
    public static Tensor globalAvgPool2d(Tensor x) {
        NDArray y = cpu().globalAvgPool2d(x.data());
        return Tensor.fromOp("globalAvgPool2d", y, (g, needs) -> new NDArray[] {
            cpu().globalAvgPool2dBackward(g, x.shape())}, x);
    }
}
