package org.layerensembles.benchmarks.pytorch;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The PyTorch peer of unet-small (see {@link TorchUnetSmall}), through DJL 0.36.0 / libtorch 2.7.1
 * on the CPU: batch 8 of 1x128x128 float32, 2 classes, loss = sum over outputs of mean
 * cross-entropy, Adam lr 1e-4.
 *
 * <ul>
 *   <li>{@code trainPlain}: forward, CE of the final 1x1 conv, backward, Adam.</li>
 *   <li>{@code trainLayerEnsembles}: forward with the nine heads, sum of their CEs, backward, Adam.</li>
 *   <li>{@code inferLayerEnsembles}: eval-mode forward of the nine heads, softmax per head, mean
 *       probability, entropy, mutual information, variance (soft over heads and hard q(1-q)),
 *       adjacent-head Dice per image and AULA = Σ a_k - (a_0 + a_8)/2; label = p1 &gt; p0 (no
 *       argmax: PEERS.md pitfall 3).</li>
 * </ul>
 *
 * <p>Threads: 2 intra-op (-Dai.djl.pytorch.num_threads=2, set below). JMH's {@code @Fork} cannot
 * set environment variables, but the forked JVM inherits the launcher's: export the glibc malloc
 * tuning of PEERS.md pitfall 4 before running, e.g.
 * {@code MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=536870912 MALLOC_TOP_PAD_=268435456}.
 * A warning is printed when they are missing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 20, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=2",
        "-Dai.djl.pytorch.num_interop_threads=1", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class PyTorchUnetSmallBenchmark {
    static final int BATCH = 8;
    static final int SIZE = 128;

    private NDManager base;
    private TorchUnetSmall model;
    private Optimizer adam;
    private NDArray images;
    private NDArray oneHot;

    @Setup(Level.Trial)
    public void setUp() {
        for (String v : new String[] {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
            if (System.getenv(v) == null) {
                System.out.println("WARNING: " + v + " is not set (PEERS.md pitfall 4): PyTorch may run ~2x slower");
            }
        }
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("engine " + engine.getEngineName() + " " + engine.getVersion()
                + ", intra-op threads " + System.getProperty("ai.djl.pytorch.num_threads"));
        base = engine.newBaseManager();
        double err = GradCheck.worstRelativeError(base, BATCH, SIZE);
        model = new TorchUnetSmall(base, SIZE, 42);
        model.padTwoClassConvs = !(err < 1e-3);
        System.out.println("2-class conv gradients: worst rel err " + err
                + (model.padTwoClassConvs ? " -> WRONG on the NCHW path: using 16-channel padded 2-class convs"
                        : " -> plain NCHW path is exact enough; used as is"));
        adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-4f)).build();
        // Inputs: a smooth random image and a disc mask, fixed for the trial.
        java.util.Random rng = new java.util.Random(3);
        float[] img = new float[BATCH * SIZE * SIZE];
        float[] hot = new float[BATCH * 2 * SIZE * SIZE];
        for (int n = 0; n < BATCH; n++) {
            double cy = 40 + rng.nextInt(48), cx = 40 + rng.nextInt(48), r = 15 + rng.nextInt(20);
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    boolean in = (y - cy) * (y - cy) + (x - cx) * (x - cx) < r * r;
                    img[(n * SIZE + y) * SIZE + x] = (float) ((in ? 0.7 : 0.2) + 0.2 * rng.nextGaussian());
                    hot[((n * 2 + (in ? 1 : 0)) * SIZE + y) * SIZE + x] = 1f;
                }
            }
        }
        images = base.create(img, new Shape(BATCH, 1, SIZE, SIZE));
        oneHot = base.create(hot, new Shape(BATCH, 2, SIZE, SIZE));
    }

    /** Arrays held by the base manager (parameters, buffers, Adam state, inputs); for leak checks. */
    int baseArrayCount() {
        return base.getManagedArrays().size();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        base.close();
    }

    private float step(boolean layerEnsembles) {
        model.training = true;
        List<String> names = new java.util.ArrayList<>(model.backboneNames);
        names.addAll(layerEnsembles ? model.headNames : model.finalNames);
        float loss;
        try (NDManager step = base.newSubManager()) {
            NDArray x = images.duplicate();
            x.attach(step);
            try (GradientCollector gc = base.getEngine().newGradientCollector()) {
                NDArray l = layerEnsembles
                        ? TorchUnetSmall.sumOfLosses(model.forwardHeads(x), oneHot)
                        : TorchUnetSmall.crossEntropy(model.forwardPlain(x), oneHot);
                gc.backward(l);
                loss = l.getFloat();
            }
            for (String name : names) {
                NDArray w = model.params.get(name);
                NDArray g = w.getGradient();
                g.attach(step);
                adam.update(name, w, g);
                g.subi(g); // libtorch accumulates gradients
            }
        }
        return loss;
    }

    @Benchmark
    public float trainPlain() {
        return step(false);
    }

    @Benchmark
    public float trainLayerEnsembles() {
        return step(true);
    }

    /** Eval-mode LE forward and the uncertainty of PEERS.md's table; returns the AULA per image. */
    @Benchmark
    public float[] inferLayerEnsembles() {
        model.training = false;
        try (NDManager step = base.newSubManager()) {
            NDArray x = images.duplicate();
            x.attach(step);
            NDList heads = model.forwardHeads(x);
            return uncertainty(heads).toFloatArray();
        }
    }

    /** heads: T logits [N, 2, H, W]. Returns AULA [N]; every map is materialised. */
    static NDArray uncertainty(NDList heads) {
        float eps = 1e-12f;
        NDList probs = new NDList();
        for (NDArray h : heads) {
            probs.add(h.softmax(1));
        }
        NDArray p = ai.djl.ndarray.NDArrays.stack(probs, 0); // [T, N, 2, H, W]
        int t = (int) p.getShape().get(0);
        NDArray mean = p.mean(new int[] {0}); // [N, 2, H, W]
        NDArray entropy = mean.mul(mean.add(eps).log()).sum(new int[] {1}).neg(); // [N, H, W]
        NDArray expectedEntropy = p.mul(p.add(eps).log()).sum(new int[] {2}).neg().mean(new int[] {0});
        NDArray mutualInformation = entropy.sub(expectedEntropy);
        NDArray p0 = p.get(new NDIndex(":, :, 0"));
        NDArray p1 = p.get(new NDIndex(":, :, 1")); // [T, N, H, W]
        NDArray softVariance = p1.sub(p1.mean(new int[] {0})).square().mean(new int[] {0});
        NDArray labels = p1.gt(p0).toType(DataType.FLOAT32, false); // [T, N, H, W]; ties -> class 0
        NDArray q = labels.mean(new int[] {0});
        NDArray hardVariance = q.mul(q.neg().add(1));
        NDArray segmentation = mean.get(new NDIndex(":, 1")).gt(mean.get(new NDIndex(":, 0")));
        NDArray a = labels.get(new NDIndex("0:" + (t - 1)));
        NDArray b = labels.get(new NDIndex("1:"));
        NDArray inter = a.mul(b).sum(new int[] {2, 3}); // [T-1, N]
        NDArray sizes = a.sum(new int[] {2, 3}).add(b.sum(new int[] {2, 3}));
        NDArray dice = TorchUnetSmall.where(sizes.eq(0), sizes.onesLike(), inter.mul(2).div(sizes.maximum(1)));
        NDArray aula = dice.sum(new int[] {0}).sub(dice.get(0).add(dice.get(t - 2)).div(2)); // [N]
        // Keep every map alive to the end (they are outputs in the real pipeline).
        NDList maps = new NDList(entropy, mutualInformation, softVariance, hardVariance, segmentation);
        if (maps.size() != 5) {
            throw new AssertionError();
        }
        return aula;
    }
}
