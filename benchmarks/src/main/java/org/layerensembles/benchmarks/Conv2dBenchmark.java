package org.layerensembles.benchmarks;

import java.util.concurrent.TimeUnit;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.memory.MemoryScope;
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
 * 2 * 8 * F * C * 9 * H * W FLOP, so GFLOP/s = that / time for all three.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Conv2dBenchmark extends BackendState {
    /** channelsIn-channelsOut-size of one unet-small layer. */
    @Param({"1-16-128", "16-16-128", "32-32-64", "64-64-32", "128-128-16", "384-128-16"})
    public String layer;

    private NDArray x;
    private NDArray w;
    private NDArray gradY;

    @Setup(Level.Trial)
    public void makeInputs() {
        String[] c = layer.split("-");
        int channelsIn = Integer.parseInt(c[0]);
        int channelsOut = Integer.parseInt(c[1]);
        int size = Integer.parseInt(c[2]);
        SeededRandom rng = new SeededRandom(7);
        try (MemoryScope.Activation ignored = inputs.activate()) {
            x = NDArrays.randomUniform(rng, -1, 1, 8, channelsIn, size, size);
            w = NDArrays.randomUniform(rng, -0.1, 0.1, channelsOut, channelsIn, 3, 3);
            gradY = NDArrays.randomUniform(rng, -1, 1, 8, channelsOut, size, size);
        }
    }

    @Benchmark
    public NDArray forward() {
        return kernels.conv2d(x, w, null, Conv2dParams.of(1, 1));
    }

    @Benchmark
    public NDArray backwardData() {
        return kernels.conv2dBackwardData(gradY, w, x.shape(), Conv2dParams.of(1, 1));
    }

    @Benchmark
    public NDArray backwardWeights() {
        return kernels.conv2dBackwardWeights(x, gradY, w.shape(), Conv2dParams.of(1, 1));
    }
}
