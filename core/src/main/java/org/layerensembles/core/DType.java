package org.layerensembles.core;

/** Element types an {@link NDArray} can hold. Both are 4 bytes wide. */
public enum DType {
    /** 32-bit IEEE float: activations, weights, gradients. */
    FLOAT32(4, "float32"),
    /** 32-bit signed integer: labels, indices (argmax, max-pool positions). */
    INT32(4, "int32");

    private final int byteSize;
    private final String label;

    DType(int byteSize, String label) {
        this.byteSize = byteSize;
        this.label = label;
    }

    public int byteSize() {
        return byteSize;
    }

    @Override
    public String toString() {
        return label;
    }
}
