package org.layerensembles.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;

/**
 * The library end to end: a small conv-BN-ReLU network, cross-entropy and Adam learn a toy
 * segmentation task (label a pixel foreground where a smoothed random image is positive). Seeded,
 * so the numbers are the same on every run: the loss must fall at least 4x within 60 steps, and the
 * trained network in eval mode must label at least 90% of the pixels right. Memory must stay flat.
 */
class ToySegmentationTest {
    private static final int STEPS = 60;
    private final Backend cpu = Backends.cpu();

    @Test
    void aConvBnReluNetworkLearnsToSegment() {
        try (MemoryPool pool = new MemoryPool("toy")) {
            MemoryScope longLived = MemoryScope.longLived("model and data", pool);
            Sequential model;
            Adam adam;
            Tensor images;
            Tensor labels;
            try (MemoryScope.Activation ignored = longLived.activate()) {
                SeededRandom rng = new SeededRandom(11);
                model = new Sequential(
                        new Conv2d(1, 8, 3, 1, 1, rng), new BatchNorm2d(8), new ReLU(),
                        new Conv2d(8, 8, 3, 1, 1, rng), new BatchNorm2d(8), new ReLU(),
                        new Conv2d(8, 2, 1, 1, 0, rng));
                adam = new Adam(model.namedParameters(), Adam.Options.defaults().withLr(1e-2));
                NDArray noise = NDArrays.randomNormal(new SeededRandom(12), 0, 1, 8, 1, 24, 24);
                NDArray pixels = cpu.conv2d(noise, NDArrays.full(1f / 9, 1, 1, 3, 3), null, Conv2dParams.of(1, 1));
                images = Tensor.constant(pixels);
                labels = Tensor.constant(cpu.cast(cpu.binary(BinaryOp.GT, pixels, NDArrays.scalar(0f)), DType.INT32)
                        .reshape(8, 24, 24));
            }
            double first = 0;
            double last = 0;
            long reservedAtStepTwo = 0;
            for (int step = 1; step <= STEPS; step++) {
                try (MemoryScope ignored = MemoryScope.open("step", pool)) {
                    Tensor loss = Losses.crossEntropy(model.forward(images), labels);
                    loss.backward();
                    adam.step();
                    adam.zeroGrad();
                    last = loss.item();
                }
                if (step == 1) {
                    first = last;
                }
                if (step == 2) {
                    reservedAtStepTwo = pool.reservedBytes();
                }
            }
            assertTrue(last < first / 4, "loss fell only from " + first + " to " + last);
            assertEquals(reservedAtStepTwo, pool.reservedBytes(), "training steps kept allocating native memory");

            model.eval();
            try (MemoryScope ignored = MemoryScope.open("eval", pool); GradMode.Scope noGrad = GradMode.noGrad()) {
                Tensor predicted = ReductionOps.argmax(model.forward(images), 1, false);
                int[] p = predicted.data().toIntArray();
                int[] t = labels.data().toIntArray();
                int right = 0;
                for (int i = 0; i < p.length; i++) {
                    right += p[i] == t[i] ? 1 : 0;
                }
                double accuracy = (double) right / p.length;
                assertTrue(accuracy >= 0.9, "eval accuracy " + accuracy);
            }
            longLived.close();
        }
    }
}
