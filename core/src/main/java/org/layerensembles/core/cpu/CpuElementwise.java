package org.layerensembles.core.cpu;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.UnaryOp;

/** STUB: to be implemented. */
final class CpuElementwise {
    private CpuElementwise() {
    }

    public static void fill(NDArray out, double value) {
        throw new UnsupportedOperationException("CpuElementwise.fill: not yet implemented");
    }

    public static NDArray cast(NDArray x, DType dtype) {
        throw new UnsupportedOperationException("CpuElementwise.cast: not yet implemented");
    }

    public static NDArray unary(UnaryOp op, NDArray x) {
        throw new UnsupportedOperationException("CpuElementwise.unary: not yet implemented");
    }

    public static NDArray unaryBackward(UnaryOp op, NDArray x, NDArray y, NDArray gradY) {
        throw new UnsupportedOperationException("CpuElementwise.unaryBackward: not yet implemented");
    }

    public static NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        throw new UnsupportedOperationException("CpuElementwise.binary: not yet implemented");
    }

    public static NDArray clamp(NDArray x, double min, double max) {
        throw new UnsupportedOperationException("CpuElementwise.clamp: not yet implemented");
    }

    public static NDArray clampBackward(NDArray x, NDArray gradY, double min, double max) {
        throw new UnsupportedOperationException("CpuElementwise.clampBackward: not yet implemented");
    }

    public static NDArray where(NDArray condition, NDArray a, NDArray b) {
        throw new UnsupportedOperationException("CpuElementwise.where: not yet implemented");
    }
}
