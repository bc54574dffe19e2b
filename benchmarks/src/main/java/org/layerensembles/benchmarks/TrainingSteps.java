package org.layerensembles.benchmarks;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.ensemble.SegmentationModel;

/**
 * The training step the benchmarks time (the JMH {@link TrainingStepBenchmark} and the GPU
 * check's timings): forward, loss = sum over the model's heads of the mean cross-entropy
 * ({@link Losses#crossEntropy}), backward, one Adam step, zeroGrad. The caller opens the memory
 * scope around it.
 */
public final class TrainingSteps {
    private TrainingSteps() {
    }

    /** Runs one step; returns the summed loss (a scalar tensor, still readable after the step). */
    public static Tensor step(SegmentationModel model, Adam adam, Tensor images, Tensor masks) {
        HeadOutputs heads = model.heads(images);
        Tensor total = null;
        for (int h = 0; h < heads.size(); h++) {
            Tensor l = Losses.crossEntropy(heads.logits(h), masks);
            total = total == null ? l : ElementwiseOps.add(total, l);
        }
        total.backward();
        adam.step();
        adam.zeroGrad();
        return total;
    }
}
