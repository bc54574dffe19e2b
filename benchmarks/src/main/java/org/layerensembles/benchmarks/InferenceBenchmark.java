package org.layerensembles.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.ensemble.HeadCombiner;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.uncertainty.FusedUncertainty;
import org.layerensembles.uncertainty.UncertaintyOptions;
import org.layerensembles.uncertainty.UncertaintyResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Inference with full uncertainty on the {@code unet-small} workload (batch 8 of 1x128x128, see
 * {@link ModelState}), models in eval mode: forward under {@link GradMode#noGrad()}, softmax of
 * every head ({@link HeadCombiner#probabilities}, S = 0), then {@link FusedUncertainty#compute}
 * (mean, label map, entropy, MI, variance, adjacent-head Dice and AULA per image, no ground
 * truth), in one {@link MemoryScope}. LE = one UNet with 9 heads; DE = 5 Plain UNets whose 5
 * outputs are the heads. {@code forwardOnly} times the forward alone for the split.
 *
 * <p>FLOPs counted: the forward convolutions, 13.94 GFLOP per UNet per batch (printed at setup);
 * LE adds its 8 extra heads (small), DE is 5x. Time per batch (ms).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class InferenceBenchmark extends ModelState {
    @Param({"LE", "DE"})
    public String method;

    private List<SegmentationModel> models;

    @Override
    protected void buildModels() {
        models = models(method);
        models.forEach(m -> m.module().eval());
    }

    private List<NDArray> probabilities() {
        List<NDArray> probs = new ArrayList<>();
        for (SegmentationModel m : models) {
            HeadOutputs heads = m.heads(images);
            probs.addAll(HeadCombiner.probabilities(heads, 0));
        }
        return probs;
    }

    @Benchmark
    public UncertaintyResult forwardAndUncertainty() {
        try (MemoryScope ignored = MemoryScope.open("inference", MemoryPool.global());
             GradMode.Scope noGrad = GradMode.noGrad()) {
            return FusedUncertainty.compute(probabilities(), null, UncertaintyOptions.defaults());
        }
    }

    @Benchmark
    public double forwardOnly() {
        try (MemoryScope ignored = MemoryScope.open("inference", MemoryPool.global());
             GradMode.Scope noGrad = GradMode.noGrad()) {
            double s = 0;
            for (SegmentationModel m : models) {
                for (var h : m.heads(images)) {
                    s += h.logits().data().shape()[0];
                }
            }
            return s;
        }
    }
}
