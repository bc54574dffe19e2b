package org.layerensembles.benchmarks;

import java.util.concurrent.TimeUnit;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.nd4j.Nd4jArrays;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The 3x3 (padding 1) convolutions of unet-small at batch 8 (128x128 input), ours against
 * ND4J's in one run: {@code forward}, {@code backwardData} (dL/dx from dL/dy and the weights)
 * and {@code backwardWeights} (dL/dw from x and dL/dy). Each counts the same
 * 2 * 8 * F * C * 9 * H * W FLOP, printed per layer at setup with the conversion
 * GFLOP/s = FLOP / (ms per op * 1e6). Compare with {@link PeakBenchmark} (FMA peak) in the
 * same run, e.g. {@code -Djmh.include='Conv2dBenchmark|PeakBenchmark'}.
 *
 * <p>{@code path} picks the CPU backend's kernels for these layers: {@code direct} (the direct
 * 3x3 kernels, the default) or {@code im2col} (im2col + GEMM, the path before them: the fork
 * gets the system property {@code le.conv2d.im2col=true} before its first convolution).
 * ND4J runs its own kernels whatever the path: measure it with {@code -p path=direct}. ND4J
 * has a single op for both gradients ({@code conv2d_bp}, through its oneDNN helper): its
 * {@code backwardData} and {@code backwardWeights} rows each time that whole op, so compare
 * their time with the sum of ours.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Conv2dBenchmark extends BackendState {
    private static final Conv2dParams SAME = Conv2dParams.of(1, 1);

    /** channelsIn-channelsOut-size of each distinct 3x3 layer of unet-small (encoder, bottleneck, decoder). */
    @Param({"1-16-128", "16-16-128", "16-32-64", "32-32-64", "32-64-32", "64-64-32", "64-128-16", "128-128-16",
            "128-256-8", "256-256-8", "384-128-16", "192-64-32", "96-32-64", "48-16-128"})
    public String layer;

    /** The CPU backend's path for these layers: "direct" or "im2col" (see the class comment). */
    @Param({"direct", "im2col"})
    public String path;

    private NDArray x;
    private NDArray w;
    private NDArray gradY;
    private NDArray nd4jGradX;
    private NDArray nd4jGradW;

    @Setup(Level.Trial)
    public void makeInputs() {
        System.setProperty("le.conv2d.im2col", Boolean.toString(path.equals("im2col")));
        String[] c = layer.split("-");
        int channelsIn = Integer.parseInt(c[0]);
        int channelsOut = Integer.parseInt(c[1]);
        int size = Integer.parseInt(c[2]);
        SeededRandom rng = new SeededRandom(7);
        try (MemoryScope.Activation ignored = inputs.activate()) {
            x = NDArrays.randomUniform(rng, -1, 1, 8, channelsIn, size, size);
            w = NDArrays.randomUniform(rng, -0.1, 0.1, channelsOut, channelsIn, 3, 3);
            gradY = NDArrays.randomUniform(rng, -1, 1, 8, channelsOut, size, size);
            nd4jGradX = NDArrays.empty(DType.FLOAT32, x.shape());
            nd4jGradW = NDArrays.empty(DType.FLOAT32, w.shape());
        }
        long flop = 2L * 8 * channelsOut * channelsIn * 9 * size * size;
        System.out.printf("%n[Conv2dBenchmark] layer=%s backend=%s path=%s: %d FLOP per op (GFLOP/s = %.4f / ms per op)%n",
                layer, backend, path, flop, flop / 1e6);
    }

    @Benchmark
    public NDArray forward() {
        return kernels.conv2d(x, w, null, SAME);
    }

    @Benchmark
    public NDArray backwardData() {
        if (backend.equals("nd4j")) {
            nd4jBackward();
            return nd4jGradX;
        }
        return kernels.conv2dBackwardData(gradY, w, x.shape(), SAME);
    }

    @Benchmark
    public NDArray backwardWeights() {
        if (backend.equals("nd4j")) {
            nd4jBackward();
            return nd4jGradW;
        }
        return kernels.conv2dBackwardWeights(x, gradY, w.shape(), SAME);
    }

    /**
     * ND4J's conv2d_bp on our memory: integer arguments kH, kW, sH, sW, pH, pW, dH, dW, same-mode
     * 0, data format 0 (NCHW), weights format 1 ([F, C, KH, KW], ours).
     */
    private void nd4jBackward() {
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                .addInputs(Nd4jArrays.wrap(x), Nd4jArrays.wrap(w), Nd4jArrays.wrap(gradY))
                .addOutputs(Nd4jArrays.wrap(nd4jGradX), Nd4jArrays.wrap(nd4jGradW))
                .addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1)
                .build());
    }
}
