package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.Sequential;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.MaxPool2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.autograd.nn.layers.Upsample;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.memory.MemoryScope;

/**
 * A whole training step of a small segmentation net (conv, batch norm, ReLU, max pool, bilinear
 * upsampling, 1x1 conv with bias, cross-entropy, backward, Adam) on the CUDA backend over the
 * recording device: nothing is computed, but every array autograd, the layers, the loss and the
 * optimizer make must reach the device (a host array is refused by the backend) and every launch
 * must match its kernel. This is what the GPU timings' training step needs before a GPU runs it.
 */
class TrainingStepWithoutGpuTest {

    @Test
    void aTrainingStepRunsWithEveryArrayOnTheDevice() {
        RecordingRuntime runtime = new RecordingRuntime();
        CudaBackend cuda = new CudaBackend(runtime);
        Backend previous = Autograd.backend();
        try (MemoryScope params = MemoryScope.open()) {
            SeededRandom rng = new SeededRandom(5);
            Module net = new Sequential(
                    new Conv2d(1, 4, 3, 3, new Conv2dParams(1, 1, 1, 1, 1, 1), false,
                            rng.fork(1)),
                    new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                    new Upsample(Resize.byScale(Resize.Mode.BILINEAR, 2, 2, true)),
                    new Conv2d(4, 2, 1, 1, 0, rng.fork(2)));
            net.to(cuda);
            Tensor images = Tensor.constant(cuda.toDevice(NDArrays.randomUniform(rng.fork(3), 0, 1, 2, 1, 8, 8)));
            Tensor labels = Tensor.constant(cuda.toDevice(NDArrays.zeros(DType.INT32, 2, 8, 8)));
            Autograd.useBackend(cuda);
            Adam adam = new Adam(net.namedParameters(), Adam.Options.defaults().withLr(1e-3));
            for (int step = 0; step < 2; step++) {
                try (MemoryScope stepScope = MemoryScope.open()) {
                    Tensor loss = Losses.crossEntropy(net.forward(images), labels);
                    loss.backward();
                    adam.step();
                    adam.zeroGrad();
                }
            }
            for (Tensor p : net.namedParameters().values()) {
                assertEquals(RecordingRuntime.DEVICE, p.data().device(), "parameter left the device");
                NDArray g = p.grad();
                assertTrue(g == null || g.device().equals(RecordingRuntime.DEVICE), "gradient on the host");
            }
        } finally {
            Autograd.useBackend(previous);
        }
        Set<String> kernels = new TreeSet<>();
        runtime.launches().forEach(l -> kernels.add(l.kernel()));
        assertTrue(kernels.stream().anyMatch(k -> k.startsWith("adam")), "no Adam launch among " + kernels);
        assertTrue(kernels.stream().anyMatch(k -> k.contains("conv")), "no convolution launch among " + kernels);
    }
}
