package org.layerensembles.benchmarks;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.cpu.Parallel;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
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
 * The memory-bound kernels of a unet-small training step on its activation shapes
 * ({@code shape} = N-C-S: x is [N, C, S, S]), against a plain copy and a plain read of the same
 * array measured in the same run. Every method counts the bytes its op must move at least
 * (each input read once, each output written once, float32 and int32 alike 4 bytes), E = N*C*S*S:
 * <ul>
 *   <li>{@code copy}: a Vector API copy loop of x, split over the {@link Parallel} threads: 2E*4.</li>
 *   <li>{@code read}: a Vector API sum of x, same split: E*4.</li>
 *   <li>{@code bnReluTrain} (fused: statistics, normalise and ReLU) and {@code bnReluTrainUnfused}
 *       (batchNormTrain, then a ReLU): read x, write y: 2E*4.</li>
 *   <li>{@code bnReluBackward} (fused, the ReLU's mask applied on the fly) and
 *       {@code bnReluBackwardUnfused} (the ReLU's backward, then batchNormBackward): read dy and x,
 *       write dx: 3E*4.</li>
 *   <li>{@code maxPool} 2x2 stride 2: read x, write y and indices: 1.5E*4; {@code maxPoolBackward}:
 *       read dy and indices, write dx: 1.5E*4.</li>
 *   <li>{@code upsample}: bilinear x2 with align_corners of [N, C, S/2, S/2] to x's shape: read E/4,
 *       write E: 1.25E*4; {@code upsampleBackward}: the reverse, 1.25E*4.</li>
 *   <li>{@code concat} of two [N, C, S, S] along channels: read 2E, write 2E: 4E*4.</li>
 *   <li>{@code logSoftmax} of logits [N, 2, S, S] along the classes: read and write 2NS^2:
 *       4NS^2*4; {@code logSoftmaxBackward}: read y and dy, write dx: 6NS^2*4.</li>
 * </ul>
 * The {@code bytes} secondary result is an {@link AuxCounters} OPERATIONS counter: with this
 * class's unit (per second) it reads as bytes/s, so GB/s = bytes / 1e9; divide by the
 * {@code copy} line's for "% of copy". The biggest shape (8 MB per array) overflows the L2
 * caches but may partly sit in the L3; smaller ones are cache-resident between calls, so their
 * figures are upper bounds for DRAM traffic.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class MemoryBoundBenchmark {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final double EPS = 1e-5;

    /** N-C-S: the activation [N, C, S, S] (unet-small at batch 8: 16 @128, 32 @64, 128 @16). */
    @Param({"8-16-128", "8-32-64", "8-128-16"})
    public String shape;

    @Param({"cpu"})
    public String backend;

    @Param({"2"})
    public int threads;

    private Backend kernels;
    private MemoryScope longLived;
    private long elements;
    private NDArray x;
    private NDArray other;
    private NDArray copyTarget;
    private NDArray gamma;
    private NDArray beta;
    private NDArray gradY;
    private BatchNormResult stats;
    private NDArray preRelu;
    private NDArray reluOutput;
    private NDArray small;
    private MaxPoolResult pooled;
    private NDArray logits;
    private NDArray logProbabilities;
    private NDArray gradLogits;
    private Resize upsampling;
    private Pool2dParams pool;


    @Setup(Level.Trial)
    public void makeInputs() {
        kernels = Backends.get(backend);
        Parallel.setThreads(threads);
        String[] p = shape.split("-");
        int n = Integer.parseInt(p[0]);
        int c = Integer.parseInt(p[1]);
        int s = Integer.parseInt(p[2]);
        elements = (long) n * c * s * s;
        upsampling = Resize.byScale(Resize.Mode.BILINEAR, 2, 2, true);
        pool = Pool2dParams.of(2, 2, 0);
        longLived = MemoryScope.longLived("memory-bound inputs");
        SeededRandom rng = new SeededRandom(7);
        try (MemoryScope.Activation ignored = longLived.activate()) {
            x = NDArrays.randomNormal(rng.fork(1), 0.5, 2, n, c, s, s);
            other = NDArrays.randomNormal(rng.fork(2), 0, 1, n, c, s, s);
            copyTarget = NDArrays.zeros(n, c, s, s);
            gamma = NDArrays.randomUniform(rng.fork(3), 0.5, 1.5, c);
            beta = NDArrays.randomNormal(rng.fork(4), 0, 0.5, c);
            gradY = NDArrays.randomNormal(rng.fork(5), 0, 1, n, c, s, s);
            stats = kernels.batchNormTrain(x, gamma, beta, EPS);
            preRelu = stats.output();
            reluOutput = kernels.batchNormReluTrain(x, gamma, beta, EPS).output();
            small = NDArrays.randomNormal(rng.fork(6), 0, 1, n, c, s / 2, s / 2);
            pooled = kernels.maxPool2d(x, pool);
            logits = NDArrays.randomNormal(rng.fork(8), 0, 2, n, 2, s, s);
            logProbabilities = kernels.logSoftmax(logits, 1);
            gradLogits = NDArrays.randomNormal(rng.fork(9), 0, 1, n, 2, s, s);
        }
        System.out.printf("%n[MemoryBoundBenchmark] backend=%s threads=%d shape [%s], %d bytes per array%n",
                backend, Parallel.threads(), shape.replace('-', ','), 4 * elements);
    }

    @TearDown(Level.Trial)
    public void free() {
        longLived.close();
    }

    private static MemoryScope scope() {
        return MemoryScope.open("memory-bound op", MemoryPool.global());
    }

    // ---- baselines

    @Benchmark
    public NDArray copy(ByteCounter counter) {
        counter.bytes += 8 * elements;
        MemorySegment src = x.segment();
        MemorySegment dst = copyTarget.segment();
        long per = chunk();
        Parallel.forEach(Parallel.threads(), t -> copyRange(src, dst, t * per, Math.min(elements, (t + 1) * per)));
        return copyTarget;
    }

    @Benchmark
    public float read(ByteCounter counter) {
        counter.bytes += 4 * elements;
        MemorySegment src = x.segment();
        long per = chunk();
        float[] partial = new float[Parallel.threads()];
        Parallel.forEach(partial.length, t -> partial[t] = sumRange(src, t * per, Math.min(elements, (t + 1) * per)));
        float total = 0;
        for (float v : partial) {
            total += v;
        }
        return total;
    }

    /** Elements per thread, a whole number of vectors. */
    private long chunk() {
        int t = Parallel.threads();
        return ((elements + t - 1) / t + S.length() - 1) / S.length() * S.length();
    }

    private static void copyRange(MemorySegment src, MemorySegment dst, long from, long to) {
        long i = from;
        for (; i + S.length() <= to; i += S.length()) {
            FloatVector.fromMemorySegment(S, src, 4 * i, ORDER).intoMemorySegment(dst, 4 * i, ORDER);
        }
        for (; i < to; i++) {
            dst.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i,
                    src.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i));
        }
    }

    private static float sumRange(MemorySegment src, long from, long to) {
        int l = S.length();
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        long i = from;
        for (; i + 4L * l <= to; i += 4L * l) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, src, 4 * i, ORDER));
            a1 = a1.add(FloatVector.fromMemorySegment(S, src, 4 * (i + l), ORDER));
            a2 = a2.add(FloatVector.fromMemorySegment(S, src, 4 * (i + 2L * l), ORDER));
            a3 = a3.add(FloatVector.fromMemorySegment(S, src, 4 * (i + 3L * l), ORDER));
        }
        float[] lanes = new float[l];
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, 0);
        float s = 0;
        for (float v : lanes) {
            s += v;
        }
        for (; i < to; i++) {
            s += src.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
        }
        return s;
    }

    // ---- batch norm + ReLU

    @Benchmark
    public NDArray bnReluTrain(ByteCounter counter) {
        counter.bytes += 8 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.batchNormReluTrain(x, gamma, beta, EPS).output();
        }
    }

    @Benchmark
    public BatchNormGrads bnReluBackward(ByteCounter counter) {
        counter.bytes += 12 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.batchNormReluBackward(gradY, x, reluOutput, gamma, beta, stats.mean(), stats.invStd());
        }
    }

    @Benchmark
    public NDArray bnReluTrainUnfused(ByteCounter counter) {
        counter.bytes += 8 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.unary(UnaryOp.RELU, kernels.batchNormTrain(x, gamma, beta, EPS).output());
        }
    }

    @Benchmark
    public BatchNormGrads bnReluBackwardUnfused(ByteCounter counter) {
        counter.bytes += 12 * elements;
        try (MemoryScope ignored = scope()) {
            NDArray g = kernels.unaryBackward(UnaryOp.RELU, preRelu, null, gradY);
            return kernels.batchNormBackward(g, x, gamma, stats.mean(), stats.invStd());
        }
    }

    // ---- pooling, upsampling, concat

    @Benchmark
    public MaxPoolResult maxPool(ByteCounter counter) {
        counter.bytes += 6 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.maxPool2d(x, pool);
        }
    }

    @Benchmark
    public NDArray maxPoolBackward(ByteCounter counter) {
        counter.bytes += 6 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.maxPool2dBackward(pooled.output(), pooled.indices(), x.shape());
        }
    }

    @Benchmark
    public NDArray upsample(ByteCounter counter) {
        counter.bytes += 5 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.resize(small, upsampling);
        }
    }

    @Benchmark
    public NDArray upsampleBackward(ByteCounter counter) {
        counter.bytes += 5 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.resizeBackward(gradY, small.shape(), upsampling);
        }
    }

    @Benchmark
    public NDArray concat(ByteCounter counter) {
        counter.bytes += 16 * elements;
        try (MemoryScope ignored = scope()) {
            return kernels.concat(List.of(x, other), 1);
        }
    }

    // ---- the loss's softmax

    @Benchmark
    public NDArray logSoftmax(ByteCounter counter) {
        counter.bytes += 4L * logits.numel() * 2;
        try (MemoryScope ignored = scope()) {
            return kernels.logSoftmax(logits, 1);
        }
    }

    @Benchmark
    public NDArray logSoftmaxBackward(ByteCounter counter) {
        counter.bytes += 4L * logits.numel() * 3;
        try (MemoryScope ignored = scope()) {
            return kernels.logSoftmaxBackward(logProbabilities, gradLogits, 1);
        }
    }
}
