package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.PoolOps;
import org.layerensembles.core.backend.Pool2dParams;

/**
 * PyTorch's {@code nn.MaxPool2d} (floor mode, no dilation): the max over each kernel x kernel
 * window; padding counts as -infinity. The gradient goes to each window's first maximum.
 */
public final class MaxPool2d extends Module {
    private final Pool2dParams params;

    /** Window {@code kernel}, stride {@code kernel} (PyTorch's default stride), no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    /**
     * @param kernel  window height and width
     * @param stride  step between windows
     * @param padding implicit -infinity padding on each side, at most kernel / 2
     */
    public MaxPool2d(int kernel, int stride, int padding) {
        this(Pool2dParams.of(kernel, stride, padding));
    }

    /** Any window, stride and padding ({@code countIncludePad} is not used by max pooling). */
    public MaxPool2d(Pool2dParams params) {
        this.params = params;
    }

    @Override
    protected Tensor compute(Tensor input) {
        return PoolOps.maxPool2d(input, params);
    }

    public Pool2dParams params() {
        return params;
    }

    @Override
    public String toString() {
        return "MaxPool2d(" + params.kernelH() + "x" + params.kernelW() + ", stride " + params.strideH() + "x"
                + params.strideW() + ", padding " + params.padH() + "x" + params.padW() + ")";
    }
}
