package org.layerensembles.core.backend;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.cpu.Parallel;
import org.layerensembles.core.testing.Compare;

/**
 * The same seed gives bit-identical results with 1 and 2 worker threads, through a forward and
 * backward chain that touches every reducing primitive (GEMM, convolutions, batch norm, softmax,
 * pooling, resampling, sums).
 */
class DeterminismTest {
    private final Backend cpu = Backends.cpu();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalBits() {
        Parallel.setThreads(1);
        List<NDArray> one = run();
        Parallel.setThreads(2);
        List<NDArray> two = run();
        for (int i = 0; i < one.size(); i++) {
            Compare.assertIdentical("result " + i, one.get(i), two.get(i));
        }
    }

    private List<NDArray> run() {
        SeededRandom rng = new SeededRandom(2024);
        NDArray x = NDArrays.randomNormal(rng, 0, 1, 4, 3, 33, 31);
        NDArray w = NDArrays.randomNormal(rng, 0, 0.2, 8, 3, 3, 3);
        NDArray bias = NDArrays.randomNormal(rng, 0, 0.1, 8);
        Conv2dParams same = Conv2dParams.of(1, 1);
        List<NDArray> out = new ArrayList<>();

        NDArray c = cpu.conv2d(x, w, bias, same);
        BatchNormResult bn = cpu.batchNormTrain(c, NDArrays.ones(8), NDArrays.zeros(8), 1e-5);
        MaxPoolResult pool = cpu.maxPool2d(bn.output(), Pool2dParams.of(2, 2, 0));
        Resize up = Resize.toSize(Resize.Mode.BILINEAR, 33, 31, true);
        NDArray u = cpu.resize(pool.output(), up);
        NDArray s = cpu.softmax(u, 1);
        NDArray labels = cpu.argmax(s, 1, true);
        NDArray m = cpu.matmul(x.reshape(4, 3, 33 * 31), x.reshape(4, 3, 33 * 31), false, true);
        NDArray total = cpu.reduce(ReduceOp.SUM, x, null, false);
        out.addAll(List.of(c, bn.output(), bn.mean(), bn.variance(), pool.output(), u, s, labels, m, total));

        NDArray g = NDArrays.randomNormal(rng, 0, 1, u.shape());
        NDArray gPool = cpu.resizeBackward(g, pool.output().shape(), up);
        NDArray gBn = cpu.maxPool2dBackward(gPool, pool.indices(), bn.output().shape());
        BatchNormGrads bg = cpu.batchNormBackward(gBn, c, NDArrays.ones(8), bn.mean(), bn.invStd());
        NDArray gx = cpu.conv2dBackwardData(bg.gradInput(), w, x.shape(), same);
        NDArray gw = cpu.conv2dBackwardWeights(x, bg.gradInput(), w.shape(), same);
        NDArray gb = cpu.sumTo(bg.gradInput().permute(0, 2, 3, 1), 8);
        NDArray gs = cpu.softmaxBackward(s, g, 1);
        out.addAll(List.of(gPool, gBn, bg.gradGamma(), bg.gradBeta(), bg.gradInput(), gx, gw, gb, gs,
                cpu.cast(labels, DType.FLOAT32)));

        BatchNormResult bnRelu = cpu.batchNormReluTrain(c, bias, bias, 1e-5);
        BatchNormGrads bnReluGrads = cpu.batchNormReluBackward(gBn, c, bnRelu.output(), bias, bias, bnRelu.mean(),
                bnRelu.invStd());
        NDArray logP = cpu.logSoftmax(u, 1);
        out.addAll(List.of(bnRelu.output(), bnReluGrads.gradInput(), bnReluGrads.gradGamma(), bnReluGrads.gradBeta(),
                logP, cpu.logSoftmaxBackward(logP, g, 1)));
        return out;
    }
}
