package org.layerensembles.autograd.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.reference.BatchNormRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The BatchNorm2d layer: training forward against ND4J's BatchNorm op given the batch's mean
 * and biased variance, and against {@link BatchNormRef}; eval forward against both with the
 * running statistics; gradients of input, weight and bias against finite differences of the
 * twin in both modes; the running statistics after three training steps against PyTorch's update
 * computed here in double; names and initial values of the state as PyTorch's.
 *
 * <p>Tolerances: outputs vs ND4J and the twin 1e-5 + 1e-5 relative, gradients vs finite
 * differences 1e-5 + 1e-4 relative (LayerGradCheck's default; inputs in [-1, 1) or a few units,
 * channels of at most 150 elements). Running statistics vs the double computation 1e-6 + 1e-5
 * relative: the float32 update rounds each of its three operations (a few 1e-8 for values near 1)
 * on top of the kernel's float32 statistics.
 */
class BatchNorm2dTest {
    private static final double EPS = 1e-5;

    @Test
    void stateIsNamedAndInitialisedAsPyTorchs() {
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(bn.stateDict().names()));
        assertArrayEquals(new float[] {1, 1, 1}, bn.weight().data().toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0}, bn.bias().data().toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean().toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar().toFloatArray());
        assertEquals(0L, bn.stateDict().longValue("num_batches_tracked"));
        assertEquals(1e-5, bn.eps());
        assertEquals(0.1, bn.momentum());

        BatchNorm2d plain = new BatchNorm2d(4, 1e-3, 0.2, false);
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(plain.stateDict().names()));
        assertTrue(plain.namedParameters().isEmpty());
    }

    @Test
    void stateLivesInTheScopeCurrentAtConstruction() {
        MemoryScope scope = MemoryScope.longLived("bn");
        BatchNorm2d bn;
        try (MemoryScope.Activation ignored = scope.activate()) {
            bn = new BatchNorm2d(2);
        }
        assertSame(scope, bn.weight().data().allocation().owner());
        assertSame(scope, bn.runningMean().allocation().owner());
        assertSame(scope, bn.runningVar().allocation().owner());
        try (MemoryScope ignored = MemoryScope.open()) {
            bn.forward(Tensor.constant(TestData.array(1, 2, 2, 3, 3)));
        }
        assertTrue(bn.runningMean().isAlive() && bn.runningVar().isAlive(), "updated in place, not replaced");
        scope.close();
    }

    // ---- training mode

    @Test
    void trainingForwardMatchesNd4jAndTheTwin() {
        int[] xs = {3, 4, 5, 6};
        BatchNorm2d bn = affine(4, 10);
        NDArray x = TestData.array(12, xs);
        Tensor y = bn.forward(Tensor.constant(x));
        INDArray nx = Nd4jInterop.nd4j(x);
        INDArray expected = Nd4j.exec(new BatchNorm(nx, nx.mean(0, 2, 3), nx.var(false, 0, 2, 3),
                Nd4jInterop.nd4j(bn.weight().data()), Nd4jInterop.nd4j(bn.bias().data()), EPS, 1))[0];
        Compare.assertClose("training forward vs ND4J", Nd4jInterop.doubles(expected), y.data(), 1e-5, 1e-5);
        double[] ref = BatchNormRef.train(RefArrays.doubles(x), xs, doubles(bn.weight()), doubles(bn.bias()), EPS)
                .output();
        Compare.assertClose("training forward vs twin", ref, y.data(), 1e-5, 1e-5);
    }

    @Test
    void trainingGradientsMatchFiniteDifferences() {
        int[] xs = {2, 3, 4, 3};
        BatchNorm2d bn = affine(3, 20);
        LayerGradCheck.of("BatchNorm2d training", bn,
                v -> BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output())
                .run(TestData.nonContiguous(21, xs), true);
        BatchNorm2d plain = new BatchNorm2d(3, EPS, 0.1, false);
        LayerGradCheck.of("BatchNorm2d training, not affine", plain,
                v -> BatchNormRef.train(v[0], xs, new double[] {1, 1, 1}, new double[3], EPS).output())
                .run(TestData.array(22, xs), true);
    }

    /**
     * Three training steps on inputs with channel-dependent offsets and scales, momentum 0.1 (the
     * default) and 0.3: running_mean = (1-m)*running_mean + m*mean, running_var = (1-m)*running_var
     * + m*sum((x - mean)^2)/(n - 1), n = N*H*W, written out in double here.
     */
    @Test
    void runningStatisticsAfterThreeSteps() {
        int[] xs = {2, 3, 4, 5};
        int n = 2 * 4 * 5;
        for (double momentum : new double[] {0.1, 0.3}) {
            BatchNorm2d bn = new BatchNorm2d(3, EPS, momentum, true);
            NDArray meanBuffer = bn.runningMean();
            NDArray varBuffer = bn.runningVar();
            double[] rm = {0, 0, 0};
            double[] rv = {1, 1, 1};
            for (int step = 0; step < 3; step++) {
                double[] x = TestData.uniform(30 + step, RefArrays.numel(xs));
                for (int i = 0; i < x.length; i++) {
                    int c = (i / 20) % 3;
                    x[i] = (float) (x[i] * (1 + c + step) + 2 * c - step);
                }
                bn.forward(Tensor.parameter(NDArrays.of(x, xs)));
                for (int c = 0; c < 3; c++) {
                    double sum = 0;
                    for (int i = 0; i < x.length; i++) {
                        if ((i / 20) % 3 == c) {
                            sum += x[i];
                        }
                    }
                    double mean = sum / n;
                    double sq = 0;
                    for (int i = 0; i < x.length; i++) {
                        if ((i / 20) % 3 == c) {
                            sq += (x[i] - mean) * (x[i] - mean);
                        }
                    }
                    rm[c] = (1 - momentum) * rm[c] + momentum * mean;
                    rv[c] = (1 - momentum) * rv[c] + momentum * sq / (n - 1);
                }
            }
            String what = "momentum " + momentum + ": ";
            Compare.assertClose(what + "running_mean", rm, bn.runningMean(), 1e-6, 1e-5);
            Compare.assertClose(what + "running_var", rv, bn.runningVar(), 1e-6, 1e-5);
            assertEquals(3L, bn.numBatchesTracked());
            assertEquals(3L, bn.stateDict().longValue("num_batches_tracked"));
            // Updated in the buffers' own memory: the arrays registered at construction hold the values.
            Map<String, NDArray> buffers = bn.namedBuffers();
            assertSame(meanBuffer, buffers.get("running_mean"));
            assertSame(varBuffer, buffers.get("running_var"));
            assertSame(meanBuffer, bn.stateDict().array("running_mean"));
        }
    }

    @Test
    void noGradTrainingForwardStillUpdatesTheStatistics() {
        // As PyTorch: the running statistics follow the mode (training), not gradient recording.
        BatchNorm2d bn = new BatchNorm2d(2);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor y = bn.forward(Tensor.constant(TestData.array(40, 2, 2, 3, 3)));
            assertTrue(y.isLeaf());
        }
        assertEquals(1L, bn.numBatchesTracked());
        assertTrue(bn.runningMean().toFloatArray()[0] != 0f);
    }

    // ---- eval mode

    @Test
    void evalUsesTheRunningStatistics() {
        int[] xs = {2, 3, 4, 5};
        BatchNorm2d bn = affine(3, 50);
        for (int step = 0; step < 3; step++) {
            bn.forward(Tensor.constant(TestData.array(51 + step, xs)));
        }
        bn.eval();
        float[] meanBefore = bn.runningMean().toFloatArray();
        float[] varBefore = bn.runningVar().toFloatArray();
        NDArray x = TestData.array(55, xs);
        Tensor y = bn.forward(Tensor.constant(x));
        double[] ref = BatchNormRef.eval(RefArrays.doubles(x), xs, RefArrays.doubles(bn.runningMean()),
                RefArrays.doubles(bn.runningVar()), doubles(bn.weight()), doubles(bn.bias()), EPS);
        Compare.assertClose("eval forward vs twin with running statistics", ref, y.data(), 1e-5, 1e-5);
        INDArray expected = Nd4j.exec(new BatchNorm(Nd4jInterop.nd4j(x), Nd4jInterop.nd4j(bn.runningMean()),
                Nd4jInterop.nd4j(bn.runningVar()), Nd4jInterop.nd4j(bn.weight().data()),
                Nd4jInterop.nd4j(bn.bias().data()), EPS, 1))[0];
        Compare.assertClose("eval forward vs ND4J", Nd4jInterop.doubles(expected), y.data(), 1e-5, 1e-5);
        // Not the batch statistics: the training-mode output differs.
        double[] batch = BatchNormRef.train(RefArrays.doubles(x), xs, doubles(bn.weight()), doubles(bn.bias()), EPS)
                .output();
        double maxDiff = 0;
        for (int i = 0; i < batch.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(batch[i] - ref[i]));
        }
        assertTrue(maxDiff > 0.01, "eval output equals the batch-statistics output");
        assertArrayEquals(meanBefore, bn.runningMean().toFloatArray(), "eval must not update running_mean");
        assertArrayEquals(varBefore, bn.runningVar().toFloatArray(), "eval must not update running_var");
        assertEquals(3L, bn.numBatchesTracked());

        double[] rm = RefArrays.doubles(bn.runningMean());
        double[] rv = RefArrays.doubles(bn.runningVar());
        LayerGradCheck.of("BatchNorm2d eval", bn, v -> BatchNormRef.eval(v[0], xs, rm, rv, v[1], v[2], EPS))
                .run(TestData.nonContiguous(56, xs), true);
        // A single value per channel is fine in eval mode.
        assertArrayEquals(new int[] {1, 3, 1, 1}, bn.forward(Tensor.constant(TestData.array(57, 1, 3, 1, 1))).shape());
    }

    @Test
    void badInputsAreRejected() {
        BatchNorm2d bn = new BatchNorm2d(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn.forward(Tensor.constant(TestData.array(60, 2, 4, 3, 3))));
        assertTrue(e.getMessage().contains("[N, 3, H, W]") && e.getMessage().contains("[2, 4, 3, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.constant(TestData.array(61, 4, 3))));
        e = assertThrows(IllegalArgumentException.class,
                () -> bn.forward(Tensor.constant(TestData.array(62, 1, 3, 1, 1))));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        assertEquals(0L, bn.numBatchesTracked());
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3, 0, 0.1, true));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3, 1e-5, 1.5, true));
    }

    // ---- helpers

    /** A BatchNorm2d whose weight and bias are random (not the initial ones and zeros). */
    private static BatchNorm2d affine(int channels, long seed) {
        BatchNorm2d bn = new BatchNorm2d(channels);
        Autograd.backend().copy(TestData.array(seed, channels), bn.weight().data());
        Autograd.backend().copy(TestData.array(seed + 1, channels), bn.bias().data());
        return bn;
    }

    private static double[] doubles(Tensor t) {
        return RefArrays.doubles(t.data());
    }
}
