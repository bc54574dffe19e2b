package org.layerensembles.benchmarks;

import java.util.concurrent.TimeUnit;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
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

/** Square SGEMM, ours against ND4J's in one run. GFLOP/s = 2 n^3 / time. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark extends BackendState {
    @Param({"256", "512", "1024"})
    public int n;

    private NDArray a;
    private NDArray b;

    @Setup(Level.Trial)
    public void makeInputs() {
        SeededRandom rng = new SeededRandom(7);
        try (MemoryScope.Activation ignored = inputs.activate()) {
            a = NDArrays.randomUniform(rng, -1, 1, n, n);
            b = NDArrays.randomUniform(rng, -1, 1, n, n);
        }
    }

    @Benchmark
    public NDArray gemm() {
        return kernels.matmul(a, b, false, false);
    }
}
