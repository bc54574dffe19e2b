package org.layerensembles.benchmarks;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.cpu.Parallel;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.ensemble.LayerEnsemble;
import org.layerensembles.ensemble.MultiHead;
import org.layerensembles.ensemble.Plain;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.models.UNet;
import org.layerensembles.models.UNetConfig;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The {@code unet-small} workload shared by the whole-model benchmarks: unet-small with 2 classes
 * (UNetConfig.unetSmall(2)), a fixed random batch of 8 single-channel 128x128 float32 images in
 * [0, 1) and fixed random int32 labels in {0, 1}, built in a long-lived scope. The backend
 * ("cpu": our Java kernels) and the worker-thread count ({@link Parallel#setThreads}) are @Params
 * so that they appear on every result line; the setup also prints them.
 */
@State(Scope.Benchmark)
public abstract class ModelState {
    public static final int BATCH = 8;
    public static final int SIZE = 128;
    public static final int CLASSES = 2;
    /** Members of the deep ensemble, heads of the multi-head model. */
    public static final int MEMBERS = 5;

    @Param({"cpu"})
    public String backend;

    @Param({"2"})
    public int threads;

    protected MemoryScope longLived;
    protected Tensor images;
    protected Tensor masks;
    protected UNetConfig config;

    @Setup(Level.Trial)
    public void makeWorkload() {
        Autograd.useBackend(Backends.get(backend));
        Parallel.setThreads(threads);
        config = UNetConfig.unetSmall(CLASSES);
        longLived = MemoryScope.longLived("benchmark workload");
        SeededRandom rng = new SeededRandom(11);
        try (MemoryScope.Activation ignored = longLived.activate()) {
            images = Tensor.constant(NDArrays.randomUniform(rng.fork(1), 0, 1, BATCH, 1, SIZE, SIZE));
            float[] u = NDArrays.randomUniform(rng.fork(2), 0, 1, BATCH, SIZE, SIZE).toFloatArray();
            int[] labels = new int[u.length];
            for (int i = 0; i < u.length; i++) {
                labels[i] = u[i] < 0.3f ? 1 : 0;
            }
            masks = Tensor.constant(NDArrays.of(labels, BATCH, SIZE, SIZE));
            buildModels();
        }
        System.out.printf("%n[%s] backend=%s threads=%d (Parallel.threads()=%d), unet-small forward %.2f GFLOP per batch%n",
                getClass().getSimpleName().replaceAll("_jmhType.*", ""), backend, threads, Parallel.threads(),
                UNet.forwardFlops(config, BATCH, SIZE, SIZE) / 1e9);
    }

    /** Builds the models under test (called with the long-lived scope active). */
    protected abstract void buildModels();

    /** One method's models: Plain, LE (9 heads), MH (5 heads) give one; DE gives 5 Plain members. */
    protected List<SegmentationModel> models(String method) {
        SeededRandom rng = new SeededRandom(5);
        int[] shape = {1, 1, SIZE, SIZE};
        List<SegmentationModel> out = new ArrayList<>();
        switch (method) {
            case "Plain" -> out.add(new Plain(new UNet(config), CLASSES));
            case "LE" -> {
                UNet unet = new UNet(config);
                out.add(new LayerEnsemble(unet, unet.layerEnsembleTaps(), CLASSES, shape, rng.fork(3)));
            }
            case "MH" -> {
                UNet unet = new UNet(config);
                out.add(new MultiHead(unet, unet.featureLayerName(), CLASSES, shape, MEMBERS, rng.fork(4)));
            }
            case "DE" -> {
                for (int m = 0; m < MEMBERS; m++) {
                    out.add(new Plain(new UNet(config.withSeed(config.seed() + 1000L * (m + 1))), CLASSES));
                }
            }
            default -> throw new IllegalArgumentException("unknown method " + method);
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void freeWorkload() {
        longLived.close();
    }
}
