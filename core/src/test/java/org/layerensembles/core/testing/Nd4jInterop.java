package org.layerensembles.core.testing;

import java.util.Arrays;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Pool2dParams;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/** ND4J as an independent oracle in tests: copies in and out, and op configurations. */
public final class Nd4jInterop {
    private Nd4jInterop() {
    }

    /** A row-major float ND4J copy of {@code x} (any strides). */
    public static INDArray nd4j(NDArray x) {
        return Nd4j.create(x.toFloatArray(), Arrays.stream(x.shape()).asLongStream().toArray(), 'c');
    }

    /** The elements of {@code a} in row-major order, as doubles. */
    public static double[] doubles(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    /** ND4J's pooling configuration (NCHW, no dilation, explicit padding) for these parameters. */
    public static Pooling2DConfig poolConfig(Pool2dParams p, Pooling2D.Pooling2DType type) {
        return Pooling2DConfig.builder()
                .kH(p.kernelH()).kW(p.kernelW())
                .sH(p.strideH()).sW(p.strideW())
                .pH(p.padH()).pW(p.padW())
                .dH(1).dW(1)
                .paddingMode(PaddingMode.VALID)
                .isNHWC(false)
                .type(type)
                .build();
    }
}
