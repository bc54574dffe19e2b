package org.layerensembles.benchmarks;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.cpu.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The FMA peak of the CPU: a register-only Vector API loop, 24 independent FloatVector
 * accumulators (acc = acc * m + a) over {@link #ITERATIONS} iterations, run on every one of
 * {@code threads} {@link Parallel} workers at once (the caller included).
 *
 * <p>FLOPs counted per op: threads * ITERATIONS * 24 * lanes * 2 (one FMA = 2 FLOP per lane;
 * lanes = FloatVector.SPECIES_PREFERRED.length(), 16 with AVX-512), printed at setup with the
 * conversion: GFLOP/s = that count / (time per op in ns). The loop touches no memory.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class PeakBenchmark {
    static final int ITERATIONS = 1 << 20;
    static final int ACCUMULATORS = 24;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Param({"cpu"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    private float[] seeds;

    @Setup(Level.Trial)
    public void setup() {
        Parallel.setThreads(threads);
        seeds = new float[threads];
        long flop = (long) threads * ITERATIONS * ACCUMULATORS * S.length() * 2;
        System.out.printf("%n[PeakBenchmark] backend=%s threads=%d lanes=%d: %d FLOP per op "
                + "(GFLOP/s = %.4f / ms per op)%n", backend, Parallel.threads(), S.length(), flop, flop / 1e6);
    }

    @Benchmark
    public float fmaPeak() {
        Parallel.forEach(threads, t -> seeds[t] = fmaLoop(1.0f + t * 1e-7f));
        float s = 0;
        for (float v : seeds) {
            s += v;
        }
        return s;
    }

    /** 24 independent FMA chains; multiplier just below 1 keeps the values finite. */
    static float fmaLoop(float seed) {
        FloatVector m = FloatVector.broadcast(S, 0.99999994f);
        FloatVector a = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, seed), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3);
        FloatVector c4 = c0.add(4), c5 = c0.add(5), c6 = c0.add(6), c7 = c0.add(7);
        FloatVector c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
        FloatVector c12 = c0.add(12), c13 = c0.add(13), c14 = c0.add(14), c15 = c0.add(15);
        FloatVector c16 = c0.add(16), c17 = c0.add(17), c18 = c0.add(18), c19 = c0.add(19);
        FloatVector c20 = c0.add(20), c21 = c0.add(21), c22 = c0.add(22), c23 = c0.add(23);
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = c0.fma(m, a); c1 = c1.fma(m, a); c2 = c2.fma(m, a); c3 = c3.fma(m, a);
            c4 = c4.fma(m, a); c5 = c5.fma(m, a); c6 = c6.fma(m, a); c7 = c7.fma(m, a);
            c8 = c8.fma(m, a); c9 = c9.fma(m, a); c10 = c10.fma(m, a); c11 = c11.fma(m, a);
            c12 = c12.fma(m, a); c13 = c13.fma(m, a); c14 = c14.fma(m, a); c15 = c15.fma(m, a);
            c16 = c16.fma(m, a); c17 = c17.fma(m, a); c18 = c18.fma(m, a); c19 = c19.fma(m, a);
            c20 = c20.fma(m, a); c21 = c21.fma(m, a); c22 = c22.fma(m, a); c23 = c23.fma(m, a);
        }
        FloatVector s = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7)
                .add(c8).add(c9).add(c10).add(c11).add(c12).add(c13).add(c14).add(c15)
                .add(c16).add(c17).add(c18).add(c19).add(c20).add(c21).add(c22).add(c23);
        return s.reduceLanes(VectorOperators.ADD);
    }
}
