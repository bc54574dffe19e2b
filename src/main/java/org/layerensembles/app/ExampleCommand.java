package org.layerensembles.app;

import java.util.concurrent.Callable;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code le example}: a tiny segmentation network trained by gradient descent with the backend's
 * primitives alone, every backward step written out by hand (autograd comes later). It shows the
 * engine core working end to end: the loss falls, and native memory stays flat across steps.
 *
 * <p>Network: conv3x3(1 to 8) + bias, batch norm, ReLU, max pool 2x2, bilinear x2
 * (align_corners), conv1x1(8 to 2) + bias, log-softmax, per-pixel negative log-likelihood.
 * Task: label a pixel foreground where a smoothed random image is positive.
 */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = "Train a tiny conv net with hand-written backward passes; prints a falling loss.")
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
    private static final int[] NCHW_SUM_AXES = {0, 2, 3};

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
            NDArray images;
            NDArray labels;
            try (MemoryScope.Activation ignored = longLived.activate()) {
                params = new Parameters(new SeededRandom(seed));
                images = smoothNoise(new SeededRandom(seed + 1));
                labels = cpu.cast(cpu.binary(BinaryOp.GT, images, NDArrays.scalar(0f)), DType.INT32);
            }
            long reservedAfterFirst = 0;
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
                    reservedAfterFirst = pool.reservedBytes();
                }
                if (step == 1 || step % 5 == 0 || step == steps) {
                    System.out.printf("step %3d  loss %.4f  %6.1f ms  native pool %6.1f KiB%n",
                            step, loss, ms, pool.reservedBytes() / 1024.0);
                }
            }
            System.out.printf("%nloss %.4f -> %.4f; native memory after step 1: %.1f KiB, after step %d: %.1f KiB%n",
                    firstLoss, loss, reservedAfterFirst / 1024.0, steps, pool.reservedBytes() / 1024.0);
            longLived.close();
            return loss < firstLoss ? 0 : 1;
        }
    }

    /** Weights of the two convolutions and the batch norm's scale and shift (He-style init). */
    private static final class Parameters {
        final NDArray w1;
        final NDArray b1 = NDArrays.zeros(WIDTH);
        final NDArray gamma = NDArrays.ones(WIDTH);
        final NDArray beta = NDArrays.zeros(WIDTH);
        final NDArray w2;
        final NDArray b2 = NDArrays.zeros(CLASSES);

        Parameters(SeededRandom rng) {
            w1 = NDArrays.randomNormal(rng, 0, Math.sqrt(2.0 / 9), WIDTH, 1, 3, 3);
            w2 = NDArrays.randomNormal(rng, 0, Math.sqrt(1.0 / WIDTH), CLASSES, WIDTH, 1, 1);
        }
    }

    /** Random images made smooth by a 3x3 box filter, so that the labels form blobs. */
    private NDArray smoothNoise(SeededRandom rng) {
        NDArray noise = NDArrays.randomNormal(rng, 0, 1, batch, 1, size, size);
        NDArray box = NDArrays.full(1f / 9, 1, 1, 3, 3);
        return cpu.conv2d(noise, box, null, SAME_3X3);
    }

    private double trainStep(Parameters p, NDArray x, NDArray labels) {
        // forward
        NDArray c1 = cpu.conv2d(x, p.w1, p.b1, SAME_3X3);
        BatchNormResult bn = cpu.batchNormTrain(c1, p.gamma, p.beta, 1e-5);
        NDArray r = cpu.unary(UnaryOp.RELU, bn.output());
        MaxPoolResult pooled = cpu.maxPool2d(r, POOL);
        Resize up = Resize.toSize(Resize.Mode.BILINEAR, size, size, true);
        NDArray u = cpu.resize(pooled.output(), up);
        NDArray logits = cpu.conv2d(u, p.w2, p.b2, POINTWISE);
        NDArray logp = cpu.logSoftmax(logits, 1);
        NDArray picked = cpu.gather(logp, 1, labels);
        double loss = -cpu.reduce(ReduceOp.MEAN, picked, null, false).getFloat();

        // backward, from the loss down to every parameter
        NDArray gPicked = NDArrays.full(-1f / picked.numel(), picked.shape());
        NDArray gLogp = cpu.gatherBackward(gPicked, 1, labels, logp.shape());
        NDArray gLogits = cpu.logSoftmaxBackward(logp, gLogp, 1);
        NDArray gW2 = cpu.conv2dBackwardWeights(u, gLogits, p.w2.shape(), POINTWISE);
        NDArray gB2 = cpu.reduce(ReduceOp.SUM, gLogits, NCHW_SUM_AXES, false);
        NDArray gU = cpu.conv2dBackwardData(gLogits, p.w2, u.shape(), POINTWISE);
        NDArray gPooled = cpu.resizeBackward(gU, pooled.output().shape(), up);
        NDArray gR = cpu.maxPool2dBackward(gPooled, pooled.indices(), r.shape());
        NDArray gBn = cpu.unaryBackward(UnaryOp.RELU, bn.output(), r, gR);
        BatchNormGrads bnGrads = cpu.batchNormBackward(gBn, c1, p.gamma, bn.mean(), bn.invStd());
        NDArray gW1 = cpu.conv2dBackwardWeights(x, bnGrads.gradInput(), p.w1.shape(), SAME_3X3);
        NDArray gB1 = cpu.reduce(ReduceOp.SUM, bnGrads.gradInput(), NCHW_SUM_AXES, false);

        // plain gradient descent, written into the long-lived parameter arrays
        descend(p.w1, gW1);
        descend(p.b1, gB1);
        descend(p.gamma, bnGrads.gradGamma());
        descend(p.beta, bnGrads.gradBeta());
        descend(p.w2, gW2);
        descend(p.b2, gB2);
        return loss;
    }

    private void descend(NDArray param, NDArray grad) {
        NDArray step = cpu.binary(BinaryOp.MUL, grad, NDArrays.scalar((float) learningRate));
        cpu.copy(cpu.binary(BinaryOp.SUB, param, step), param);
    }
}
