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

/**
 * SGEMM {@code C[M x N] = op(A) op(B)}, ours against ND4J's (OpenBLAS) in one run, on square
 * sizes and on the shapes unet-small gives it. Shape {@code M-N-K-XY}: X, Y = N (as stored) or T
 * (transposed: A stored [K, M], B stored [N, K]).
 * <ul>
 *   <li>{@code 16-16384-144-NN}: a 16-channel 3x3 conv at 128x128 as im2col + GEMM (forward);</li>
 *   <li>{@code 2-16384-16-NN}: the final 1x1 conv 16 -> 2 (and a Layer Ensembles head);</li>
 *   <li>{@code 128-256-1152-NN}: a 128-channel 3x3 conv at 16x16;</li>
 *   <li>{@code 1152-256-128-TN}: its backward-data product (weights read transposed);</li>
 *   <li>{@code 16-144-16384-NT}: the 16-channel conv's backward-weights product (columns read
 *       transposed).</li>
 * </ul>
 * FLOP counted: 2 M N K per call (printed at setup), so GFLOP/s = 2 M N K / time; run
 * {@code PeakBenchmark} in the same JMH run for the FMA peak to compare with.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark extends BackendState {
    @Param({"256-256-256-NN", "512-512-512-NN", "1024-1024-1024-NN", "512-512-512-NT", "512-512-512-TN",
            "16-16384-144-NN", "2-16384-16-NN", "128-256-1152-NN", "1152-256-128-TN", "16-144-16384-NT"})
    public String shape;

    private NDArray a;
    private NDArray b;
    private boolean transposeA;
    private boolean transposeB;

    @Setup(Level.Trial)
    public void makeInputs() {
        String[] s = shape.split("-");
        int m = Integer.parseInt(s[0]);
        int n = Integer.parseInt(s[1]);
        int k = Integer.parseInt(s[2]);
        transposeA = s[3].charAt(0) == 'T';
        transposeB = s[3].charAt(1) == 'T';
        SeededRandom rng = new SeededRandom(7);
        try (MemoryScope.Activation ignored = inputs.activate()) {
            a = transposeA ? NDArrays.randomUniform(rng, -1, 1, k, m) : NDArrays.randomUniform(rng, -1, 1, m, k);
            b = transposeB ? NDArrays.randomUniform(rng, -1, 1, n, k) : NDArrays.randomUniform(rng, -1, 1, k, n);
        }
        double flop = 2.0 * m * n * k;
        System.out.printf("%n[GemmBenchmark] backend=%s shape=%s: %.0f FLOP per op (GFLOP/s = %.4f / ms per op)%n",
                backend, shape, flop, flop / 1e6);
    }

    @Benchmark
    public NDArray gemm() {
        return kernels.matmul(a, b, transposeA, transposeB);
    }
}
