package org.layerensembles.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.ensemble.SegmentationModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step ({@link TrainingSteps#step}) of the {@code unet-small} workload (batch 8 of
 * 1x128x128, 2 classes, see {@link ModelState}): forward, loss = sum over the model's heads of
 * the mean cross-entropy ({@link Losses#crossEntropy}), backward, one Adam step (lr 1e-4),
 * zeroGrad, all inside one {@link MemoryScope} on the global pool (as the Trainer does).
 * Methods: Plain (one UNet), LE (Layer Ensembles: 9 heads tapped on the UNet), MH (5 heads on
 * the last feature layer), DE (5 Plain members; one DE step = the 5 members' steps, run one
 * after the other).
 *
 * <p>FLOPs counted: none are reported by JMH; for a GFLOP/s figure, the convolutions of one
 * unet-small forward are 13.94 GFLOP (UNet.forwardFlops, printed at setup) and backward is
 * about twice that, so a Plain step is ~41.8 GFLOP (LE adds its heads' convolutions: 42.6, see
 * PEERS.md), DE 5x Plain. Time is per step (ms); the result is the summed loss.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TrainingStepBenchmark extends ModelState {
    @Param({"Plain", "LE", "MH", "DE"})
    public String method;

    private List<SegmentationModel> models;
    private List<Adam> optimizers;

    @Override
    protected void buildModels() {
        models = models(method);
        optimizers = new ArrayList<>();
        for (SegmentationModel m : models) {
            m.module().train();
            optimizers.add(new Adam(m.module().namedParameters(), Adam.Options.defaults().withLr(1e-4)));
        }
    }

    @Benchmark
    public double step() {
        double loss = 0;
        for (int i = 0; i < models.size(); i++) {
            SegmentationModel model = models.get(i);
            Adam adam = optimizers.get(i);
            try (MemoryScope ignored = MemoryScope.open("training step", MemoryPool.global())) {
                loss += TrainingSteps.step(model, adam, images, masks).item();
            }
        }
        return loss;
    }
}
