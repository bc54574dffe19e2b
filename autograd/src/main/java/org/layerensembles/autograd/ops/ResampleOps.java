package org.layerensembles.autograd.ops;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Resize;

/**
 * Differentiable spatial resampling of [N, C, H, W] (PyTorch's {@code F.interpolate}, modes
 * 'nearest' and 'bilinear', by output size or scale factor; see {@link Resize}).
 */
public final class ResampleOps {
    private ResampleOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /**
     * y = resize(x). Each output pixel is a fixed weighted sum of at most four input pixels (one
     * for nearest), so the map is linear: the backward sends each dL/dy[oy, ox] to the same input
     * pixels with the same weights, dL/dx[iy, ix] += wy * wx * dL/dy[oy, ox].
     *
     * <pre>{@code
     * Tensor up = ResampleOps.resize(x, Resize.byScale(Resize.Mode.BILINEAR, 2, 2, false));
     * Tensor fit = ResampleOps.resize(x, Resize.toSize(Resize.Mode.NEAREST, 64, 64, false));
     * }</pre>
     */
    public static Tensor resize(Tensor x, Resize spec) {
        NDArray y = cpu().resize(x.data(), spec);
        return Tensor.fromOp("resize", y, (g, needs) -> new NDArray[] {
            cpu().resizeBackward(g, x.shape(), spec)}, x);
    }
}
