package org.layerensembles.benchmarks;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.cpu.Parallel;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.uncertainty.FusedUncertainty;
import org.layerensembles.uncertainty.Uncertainty;
import org.layerensembles.uncertainty.UncertaintyOptions;
import org.layerensembles.uncertainty.UncertaintyResult;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The uncertainty kernels on the Layer Ensembles output size: T = 9 heads x [N=8, C=2, 128, 128]
 * float32 probabilities (softmax of fixed random logits), no ground truth.
 * <ul>
 *   <li>{@code fused}: {@link FusedUncertainty#compute} (one pass; {@link Parallel} threads).</li>
 *   <li>{@code multiPass}: the reference {@link Uncertainty#compute} (several passes).</li>
 *   <li>{@code readBandwidth}: a Vector API sum over a native float32 array of the same byte size,
 *       split over the same {@link Parallel} threads: the memory-read ceiling in the same run.</li>
 * </ul>
 * Bytes counted: the probabilities read once, T*N*C*H*W*4 = 9*8*2*128*128*4 = 9,437,184 B per
 * op, for all three (the kernels also write maps, not counted). The {@code bytes} secondary
 * result (an {@link AuxCounters} OPERATIONS counter) is that count per unit of time, i.e. with
 * the default unit of this class (throughput per second) it reads directly as bytes/s; the
 * primary score is ops/s, so GB/s = ops/s * 9.437e-3. Note 9.4 MB may partly sit in the L3
 * cache, so the read figure is an upper bound for DRAM bandwidth.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class UncertaintyKernelBenchmark {
    static final int HEADS = 9;
    static final int N = 8;
    static final int C = 2;
    static final int SIZE = 128;
    static final long BYTES = (long) HEADS * N * C * SIZE * SIZE * Float.BYTES;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Param({"cpu"})
    public String backend;

    @Param({"2"})
    public int threads;

    private MemoryScope longLived;
    private List<NDArray> probabilities;
    private NDArray flat;


    @Setup(Level.Trial)
    public void makeInputs() {
        Backend b = Backends.get(backend);
        Parallel.setThreads(threads);
        longLived = MemoryScope.longLived("uncertainty inputs");
        SeededRandom rng = new SeededRandom(3);
        try (MemoryScope.Activation ignored = longLived.activate()) {
            probabilities = new ArrayList<>();
            for (int t = 0; t < HEADS; t++) {
                NDArray logits = NDArrays.randomNormal(rng.fork(t), 0, 2, N, C, SIZE, SIZE);
                probabilities.add(b.softmax(logits, 1));
            }
            flat = NDArrays.randomUniform(rng.fork(99), 0, 1, (int) (BYTES / Float.BYTES));
        }
        System.out.printf("%n[UncertaintyKernelBenchmark] backend=%s threads=%d, %d bytes read per op%n",
                backend, Parallel.threads(), BYTES);
    }

    @TearDown(Level.Trial)
    public void free() {
        longLived.close();
    }

    @Benchmark
    public UncertaintyResult fused(ByteCounter counter) {
        try (MemoryScope ignored = MemoryScope.open("fused", MemoryPool.global())) {
            counter.bytes += BYTES;
            return FusedUncertainty.compute(probabilities, null, UncertaintyOptions.defaults());
        }
    }

    @Benchmark
    public UncertaintyResult multiPass(ByteCounter counter) {
        try (MemoryScope ignored = MemoryScope.open("multi-pass", MemoryPool.global())) {
            counter.bytes += BYTES;
            return Uncertainty.compute(probabilities, null, UncertaintyOptions.defaults());
        }
    }

    @Benchmark
    public float readBandwidth(ByteCounter counter) {
        counter.bytes += BYTES;
        MemorySegment seg = flat.segment();
        long base = flat.offset() * Float.BYTES;
        long count = flat.numel();
        int parts = Math.max(1, Parallel.threads());
        float[] partial = new float[parts];
        long per = (count / parts) / S.length() * S.length();
        Parallel.forEach(parts, p -> {
            long from = p * per;
            long to = p == parts - 1 ? count : from + per;
            partial[p] = sum(seg, base, from, to);
        });
        float s = 0;
        for (float v : partial) {
            s += v;
        }
        return s;
    }

    private static float sum(MemorySegment seg, long base, long from, long to) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int l = S.length();
        long i = from;
        for (; i + 4L * l <= to; i += 4L * l) {
            long o = base + i * Float.BYTES;
            a0 = a0.add(FloatVector.fromMemorySegment(S, seg, o, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(S, seg, o + (long) l * Float.BYTES, ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(S, seg, o + 2L * l * Float.BYTES, ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(S, seg, o + 3L * l * Float.BYTES, ByteOrder.nativeOrder()));
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            s += seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, base / Float.BYTES + i);
        }
        return s;
    }
}
