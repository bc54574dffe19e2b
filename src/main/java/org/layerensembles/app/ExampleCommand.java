package org.layerensembles.app;

import java.util.List;
import java.util.concurrent.Callable;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.ops.ConvOps;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.IndexOps;
import org.layerensembles.autograd.ops.NormOps;
import org.layerensembles.autograd.ops.PoolOps;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.autograd.ops.ResampleOps;
import org.layerensembles.autograd.ops.SoftmaxOps;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code le example}: a tiny segmentation network trained by plain gradient descent with
 * autograd. It shows the engine working end to end: the loss falls, and native memory stays flat
 * across steps (temporaries live in each step's scope, parameters and gradients outside it).
 *
 * <p>Network: conv3x3(1 to 8) + bias, batch norm, ReLU, max pool 2x2, bilinear x2
 * (align_corners), conv1x1(8 to 2) + bias, log-softmax, per-pixel negative log-likelihood.
 * Task: label a pixel foreground where a smoothed random image is positive.
 */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = "Train a tiny conv net with autograd on synthetic images; prints a falling loss.")
final class ExampleCommand implements Callable<Integer> {
    @Option(names = "--steps", description = "gradient-descent steps (default: ${DEFAULT-VALUE})")
    int steps = 40;

    @Option(names = "--lr", description = "learning rate (default: ${DEFAULT-VALUE})")
    double learningRate = 0.5;

    @Option(names = "--size", description = "image height and width, even (default: ${DEFAULT-VALUE})")
    int size = 32;

    @Option(names = "--batch", description = "images per batch (default: ${DEFAULT-VALUE})")
    int batch = 8;

    @Option(names = "--seed", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed = 1;

    private static final int WIDTH = 8;
    private static final int CLASSES = 2;
    private static final Conv2dParams SAME_3X3 = Conv2dParams.of(1, 1);
    private static final Conv2dParams POINTWISE = Conv2dParams.of(1, 0);
    private static final Pool2dParams POOL = Pool2dParams.of(2, 2, 0);

    private final Backend cpu = Backends.cpu();

    @Override
    public Integer call() {
        if (steps < 1 || size < 4 || size % 2 != 0 || batch < 1 || !(learningRate > 0)) {
            System.err.println("example: need --steps >= 1, an even --size >= 4, --batch >= 1 and --lr > 0");
            return 2;
        }
        System.out.println(EngineInfo.describe());
        System.out.printf("%ntraining a tiny conv net on %d random %dx%d images for %d steps (lr %.3g)%n",
                batch, size, size, steps, learningRate);
        try (MemoryPool pool = new MemoryPool("example")) {
            MemoryScope longLived = MemoryScope.longLived("parameters and data", pool);
            Parameters params;
            Tensor images;
            Tensor labels;
            try (MemoryScope.Activation ignored = longLived.activate()) {
                params = new Parameters(new SeededRandom(seed));
                NDArray pixels = smoothNoise(new SeededRandom(seed + 1));
                images = Tensor.constant(pixels);
                labels = Tensor.constant(cpu.cast(cpu.binary(BinaryOp.GT, pixels, NDArrays.scalar(0f)), DType.INT32));
            }
            // Step 1 allocates the gradients; from step 2 on, gradients accumulate in place.
            long reservedAfterSecond = 0;
            double firstLoss = 0;
            double loss = 0;
            for (int step = 1; step <= steps; step++) {
                long start = System.nanoTime();
                try (MemoryScope ignored = MemoryScope.open("step", pool)) {
                    loss = trainStep(params, images, labels);
                }
                double ms = (System.nanoTime() - start) / 1e6;
                if (step == 1) {
                    firstLoss = loss;
                }
                if (step <= 2) {
                    reservedAfterSecond = pool.reservedBytes();
                }
                if (step == 1 || step % 5 == 0 || step == steps) {
                    System.out.printf("step %3d  loss %.4f  %6.1f ms  native pool %6.1f KiB%n",
                            step, loss, ms, pool.reservedBytes() / 1024.0);
                }
            }
            System.out.printf("%nloss %.4f -> %.4f; native memory after step 2: %.1f KiB, after step %d: %.1f KiB%n",
                    firstLoss, loss, reservedAfterSecond / 1024.0, steps, pool.reservedBytes() / 1024.0);
            longLived.close();
            return loss < firstLoss ? 0 : 1;
        }
    }

    /** Weights of the two convolutions and the batch norm's scale and shift (He-style init). */
    private static final class Parameters {
        final Tensor w1;
        final Tensor b1 = Tensor.parameter(NDArrays.zeros(WIDTH));
        final Tensor gamma = Tensor.parameter(NDArrays.ones(WIDTH));
        final Tensor beta = Tensor.parameter(NDArrays.zeros(WIDTH));
        final Tensor w2;
        final Tensor b2 = Tensor.parameter(NDArrays.zeros(CLASSES));

        Parameters(SeededRandom rng) {
            w1 = Tensor.parameter(NDArrays.randomNormal(rng, 0, Math.sqrt(2.0 / 9), WIDTH, 1, 3, 3));
            w2 = Tensor.parameter(NDArrays.randomNormal(rng, 0, Math.sqrt(1.0 / WIDTH), CLASSES, WIDTH, 1, 1));
        }

        List<Tensor> all() {
            return List.of(w1, b1, gamma, beta, w2, b2);
        }
    }

    /** Random images made smooth by a 3x3 box filter, so that the labels form blobs. */
    private NDArray smoothNoise(SeededRandom rng) {
        NDArray noise = NDArrays.randomNormal(rng, 0, 1, batch, 1, size, size);
        NDArray box = NDArrays.full(1f / 9, 1, 1, 3, 3);
        return cpu.conv2d(noise, box, null, SAME_3X3);
    }

    /** One forward pass, one backward pass, one descent step; returns the loss. */
    private double trainStep(Parameters p, Tensor x, Tensor labels) {
        Tensor features = ElementwiseOps.relu(
                NormOps.batchNormTrain(ConvOps.conv2d(x, p.w1, p.b1, SAME_3X3), p.gamma, p.beta, 1e-5).output());
        Tensor pooled = PoolOps.maxPool2d(features, POOL);
        Tensor upsampled = ResampleOps.resize(pooled, Resize.toSize(Resize.Mode.BILINEAR, size, size, true));
        Tensor logits = ConvOps.conv2d(upsampled, p.w2, p.b2, POINTWISE);
        Tensor logProbabilities = SoftmaxOps.logSoftmax(logits, 1);
        Tensor loss = ElementwiseOps.neg(ReductionOps.mean(IndexOps.gather(logProbabilities, 1, labels), null, false));
        loss.backward();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Tensor param : p.all()) {
                descend(param.data(), param.grad());
                param.zeroGrad();
            }
        }
        return loss.item();
    }

    private void descend(NDArray param, NDArray grad) {
        NDArray step = cpu.binary(BinaryOp.MUL, grad, NDArrays.scalar((float) learningRate));
        cpu.copy(cpu.binary(BinaryOp.SUB, param, step), param);
    }
}
