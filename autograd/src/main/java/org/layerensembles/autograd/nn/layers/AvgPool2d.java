package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.PoolOps;
import org.layerensembles.core.backend.Pool2dParams;

/**
 * PyTorch's {@code nn.AvgPool2d} (floor mode): the mean of each kernel x kernel window. With
 * padding, {@code countIncludePad} (PyTorch's default true) divides by the whole window kH*kW;
 * false divides by the number of real input elements in the window.
 */
public final class AvgPool2d extends Module {
    private final Pool2dParams params;

    /** Window {@code kernel}, stride {@code kernel} (PyTorch's default stride), no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0, true);
    }

    /**
     * @param kernel           window height and width
     * @param stride           step between windows
     * @param padding          implicit zero padding on each side, at most kernel / 2
     * @param countIncludePad  whether padded zeros count in the divisor
     */
    public AvgPool2d(int kernel, int stride, int padding, boolean countIncludePad) {
        this(new Pool2dParams(kernel, kernel, stride, stride, padding, padding, countIncludePad));
    }

    /** Any window, stride, padding and divisor rule. */
    public AvgPool2d(Pool2dParams params) {
        this.params = params;
    }

    @Override
    protected Tensor compute(Tensor input) {
        return PoolOps.avgPool2d(input, params);
    }

    public Pool2dParams params() {
        return params;
    }

    @Override
    public String toString() {
        return "AvgPool2d(" + params.kernelH() + "x" + params.kernelW() + ", stride " + params.strideH() + "x"
                + params.strideW() + ", padding " + params.padH() + "x" + params.padW() + ", countIncludePad "
                + params.countIncludePad() + ")";
    }
}
