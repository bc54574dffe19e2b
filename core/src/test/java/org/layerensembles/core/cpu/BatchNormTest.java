package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.reference.BatchNormRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch norm: fast kernel vs the double-precision twin, vs ND4J (forward and backward), backward twin vs finite
 * differences, fast backward vs twin, thread-count determinism and argument checks.
 *
 * <p>Tolerances: inputs are O(1); the kernel forms its statistics in double (float blocks of at
 * most 1024), so outputs carry only float32 rounding of a few operations: atol 1e-5, rtol 1e-5
 * for outputs and statistics; per-channel gradient sums (gradGamma, gradBeta) over M elements:
 * atol 1e-5 * sqrt(M), rtol 1e-5.
 */
class BatchNormTest {
    private static final double EPS = 1e-5;

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    private static double[] d(NDArray a) {
        return RefArrays.doubles(a);
    }

    @Test
    void trainMatchesTwin() {
        int[][] shapes = {{3, 5, 7, 9}, {2, 3, 33, 17}, {4, 6}, {5, 2, 11}, {1, 1, 1, 1}, {2, 4, 1, 1}, {1, 3, 70, 70},
            {5, 2, 150, 200}}; // the last: two tasks per channel (4 runs + 1), merged statistics
        for (int[] shape : shapes) {
            for (boolean strided : new boolean[] {false, true}) {
                NDArray x = strided ? TestData.nonContiguous(1, shape) : TestData.array(1, shape);
                NDArray gamma = TestData.array(2, shape[1]);
                NDArray beta = TestData.nonContiguous(3, shape[1]);
                BatchNormResult r = CpuBatchNorm.train(x, gamma, beta, EPS);
                BatchNormRef.Result e = BatchNormRef.train(d(x), shape, d(gamma), d(beta), EPS);
                String what = "train " + java.util.Arrays.toString(shape) + (strided ? " strided" : "");
                Compare.assertClose(what + " output", e.output(), r.output(), 1e-5, 1e-5);
                Compare.assertClose(what + " mean", e.mean(), r.mean(), 1e-6, 1e-5);
                Compare.assertClose(what + " variance", e.variance(), r.variance(), 1e-6, 1e-5);
                // invStd reaches 1/sqrt(eps) ~ 316 for a constant channel: relative tolerance
                Compare.assertClose(what + " invStd", e.invStd(), r.invStd(), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void largeChannelWithLargeMeanKeepsAccurateStatistics() {
        // 4 x 2 x 256 x 256: 262144 elements per channel in two tasks, mean 100, std ~0.006. A
        // one-pass float E[x^2] - E[x]^2 would lose every digit of this variance. The output
        // tolerance is the float rounding of the mean (ulp(100) / 2 = 4e-6) times invStd (~170).
        int[] shape = {4, 2, 256, 256};
        double[] u = TestData.uniform(5, 4 * 2 * 256 * 256);
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) (100 + 0.01 * u[i]);
        }
        NDArray x = NDArrays.of(u, shape);
        BatchNormResult r = CpuBatchNorm.train(x, null, null, 0);
        BatchNormRef.Result e = BatchNormRef.train(d(x), shape, new double[] {1, 1}, new double[] {0, 0}, 0);
        Compare.assertClose("mean", e.mean(), r.mean(), 0, 1e-7);
        Compare.assertClose("variance", e.variance(), r.variance(), 0, 1e-5);
        Compare.assertClose("output", e.output(), r.output(), 2e-3, 1e-4);
    }

    @Test
    void nullGammaAndBetaMeanOnesAndZeros() {
        NDArray x = TestData.array(7, 2, 3, 4, 5);
        BatchNormResult a = CpuBatchNorm.train(x, null, null, EPS);
        BatchNormResult b = CpuBatchNorm.train(x, NDArrays.ones(3), NDArrays.zeros(3), EPS);
        Compare.assertIdentical("output", b.output(), a.output());
    }

    @Test
    void evalMatchesTwin() {
        int[][] shapes = {{3, 5, 7, 9}, {4, 6}, {2, 3, 1, 19}};
        for (int[] shape : shapes) {
            NDArray x = TestData.nonContiguous(11, shape);
            NDArray rm = TestData.array(12, shape[1]);
            double[] v = TestData.uniform(13, shape[1]);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] + 1.5);
            }
            NDArray rv = NDArrays.of(v, shape[1]);
            NDArray gamma = TestData.array(14, shape[1]);
            NDArray beta = TestData.array(15, shape[1]);
            NDArray y = CpuBatchNorm.eval(x, rm, rv, gamma, beta, EPS);
            double[] e = BatchNormRef.eval(d(x), shape, d(rm), d(rv), d(gamma), d(beta), EPS);
            Compare.assertClose("eval " + java.util.Arrays.toString(shape), e, y, 1e-5, 1e-5);
        }
    }

    /**
     * ND4J's batchnorm custom op normalises with the mean and variance it is given (it has no
     * training mode), over the axis given as the channel axis (1 here: NCHW). So: training mode
     * is checked by computing the batch mean and biased variance with ND4J array ops
     * (mean/var over dimensions 0, 2, 3; var(false, ...) is the biased variance) and feeding them
     * to the op; eval mode is the op with the running statistics directly.
     */
    @Test
    void matchesNd4j() {
        int[] shape = {3, 4, 9, 7};
        NDArray x = TestData.array(21, shape);
        NDArray gamma = TestData.array(22, 4);
        NDArray beta = TestData.array(23, 4);
        INDArray nx = nd(x);
        INDArray ng = nd(gamma);
        INDArray nb = nd(beta);
        INDArray mean = nx.mean(0, 2, 3);
        INDArray var = nx.var(false, 0, 2, 3);
        INDArray expected = Nd4j.exec(new BatchNorm(nx, mean, var, ng, nb, EPS, 1))[0];
        BatchNormResult r = CpuBatchNorm.train(x, gamma, beta, EPS);
        Compare.assertClose("train vs ND4J", floats(expected), r.output(), 1e-5, 1e-5);
        Compare.assertClose("mean vs ND4J", floats(mean), r.mean(), 1e-6, 1e-5);
        Compare.assertClose("variance vs ND4J", floats(var), r.variance(), 1e-6, 1e-5);

        NDArray rm = TestData.array(24, 4);
        NDArray rv = NDArrays.of(new float[] {0.5f, 1f, 2f, 0.25f}, 4);
        INDArray expectedEval = Nd4j.exec(new BatchNorm(nx, nd(rm), nd(rv), ng, nb, EPS, 1))[0];
        Compare.assertClose("eval vs ND4J", floats(expectedEval), CpuBatchNorm.eval(x, rm, rv, gamma, beta, EPS),
                1e-5, 1e-5);
    }

    /**
     * ND4J's batchnorm_bp custom op (no Java wrapper with INDArray arguments, so built by name):
     * inputs x, mean, variance, gamma, beta, gradY; integer arguments applyScale = 1,
     * applyOffset = 1, channel axis = 1; epsilon. Given the batch statistics of x it returns
     * [gradInput, gradMean, gradVariance, gradGamma, gradBeta], gradInput being the full gradient
     * through the batch statistics, as ours.
     */
    @Test
    void backwardMatchesNd4j() {
        int[] shape = {3, 4, 9, 7};
        NDArray x = TestData.array(25, shape);
        NDArray gy = TestData.array(26, shape);
        NDArray gamma = TestData.array(27, 4);
        NDArray beta = TestData.array(28, 4);
        INDArray nx = nd(x);
        DynamicCustomOp op = DynamicCustomOp.builder("batchnorm_bp")
                .addInputs(nx, nx.mean(0, 2, 3), nx.var(false, 0, 2, 3), nd(gamma), nd(beta), nd(gy))
                .addIntegerArguments(1, 1, 1).addFloatingPointArguments(EPS).build();
        INDArray[] expected = Nd4j.exec(op);
        BatchNormResult r = CpuBatchNorm.train(x, gamma, beta, EPS);
        BatchNormGrads g = CpuBatchNorm.backward(gy, x, gamma, r.mean(), r.invStd());
        Compare.assertClose("gradInput vs ND4J", floats(expected[0]), g.gradInput(), 1e-5, 1e-5);
        Compare.assertClose("gradGamma vs ND4J", floats(expected[3]), g.gradGamma(), 1e-4, 1e-5);
        Compare.assertClose("gradBeta vs ND4J", floats(expected[4]), g.gradBeta(), 1e-4, 1e-5);
    }

    @Test
    void backwardTwinMatchesFiniteDifferences() {
        int[] shape = {2, 3, 3, 2};
        int n = 36;
        double[] x = TestData.uniform(31, n);
        double[] gamma = TestData.uniform(32, 3);
        double[] beta = TestData.uniform(33, 3);
        double[] w = TestData.uniform(34, n); // upstream gradient: loss = sum w * y
        BatchNormRef.Result fwd = BatchNormRef.train(x, shape, gamma, beta, EPS);
        BatchNormRef.Grads g = BatchNormRef.backward(w, x, shape, gamma, fwd.mean(), fwd.invStd());
        double h = 1e-6;
        double[] fx = FiniteDifferences.gradient(
                xv -> FiniteDifferences.dot(w, BatchNormRef.train(xv, shape, gamma, beta, EPS).output()), x, h);
        double[] fg = FiniteDifferences.gradient(
                gv -> FiniteDifferences.dot(w, BatchNormRef.train(x, shape, gv, beta, EPS).output()), gamma, h);
        double[] fb = FiniteDifferences.gradient(
                bv -> FiniteDifferences.dot(w, BatchNormRef.train(x, shape, gamma, bv, EPS).output()), beta, h);
        // double-precision central differences: error ~h^2 * third derivative + 1e-16 / h
        Compare.assertClose("gradInput vs FD", fx, g.gradInput(), shape, 1e-7, 1e-6);
        Compare.assertClose("gradGamma vs FD", fg, g.gradGamma(), new int[] {3}, 1e-7, 1e-6);
        Compare.assertClose("gradBeta vs FD", fb, g.gradBeta(), new int[] {3}, 1e-7, 1e-6);
    }

    @Test
    void backwardMatchesTwin() {
        int[][] shapes = {{3, 5, 7, 9}, {2, 3, 33, 17}, {4, 6}, {1, 2, 130, 129}, {5, 2, 150, 200}};
        for (int[] shape : shapes) {
            NDArray x = TestData.nonContiguous(41, shape);
            NDArray gy = TestData.nonContiguous(42, shape);
            NDArray gamma = TestData.array(43, shape[1]);
            BatchNormResult fwd = CpuBatchNorm.train(x, gamma, null, EPS);
            BatchNormGrads g = CpuBatchNorm.backward(gy, x, gamma, fwd.mean(), fwd.invStd());
            BatchNormRef.Grads e = BatchNormRef.backward(d(gy), d(x), shape, d(gamma), d(fwd.mean()), d(fwd.invStd()));
            String what = "backward " + java.util.Arrays.toString(shape);
            double m = (double) x.numel() / shape[1];
            Compare.assertClose(what + " gradInput", e.gradInput(), g.gradInput(), 1e-5, 1e-5);
            Compare.assertClose(what + " gradGamma", e.gradGamma(), g.gradGamma(), 1e-5 * Math.sqrt(m), 1e-5);
            Compare.assertClose(what + " gradBeta", e.gradBeta(), g.gradBeta(), 1e-5 * Math.sqrt(m), 1e-5);
        }
    }

    @Test
    void fusedReluIsExactlyReluOfTrainAndEval() {
        // odd sizes, a channel larger than one task (two tasks per channel), rank 2 and strided views
        int[][] shapes = {{3, 5, 7, 9}, {2, 3, 33, 17}, {4, 6}, {1, 1, 1, 1}, {5, 2, 150, 200}};
        CpuBackend cpu = new CpuBackend();
        for (int[] shape : shapes) {
            NDArray x = TestData.nonContiguous(60, shape);
            NDArray gamma = TestData.array(61, shape[1]);
            NDArray beta = TestData.array(62, shape[1]);
            String what = java.util.Arrays.toString(shape);
            BatchNormResult plain = CpuBatchNorm.train(x, gamma, beta, EPS);
            BatchNormResult fused = CpuBatchNorm.trainRelu(x, gamma, beta, EPS);
            Compare.assertIdentical(what + " train output", cpu.unary(UnaryOp.RELU, plain.output()), fused.output());
            Compare.assertIdentical(what + " mean", plain.mean(), fused.mean());
            Compare.assertIdentical(what + " invStd", plain.invStd(), fused.invStd());
            NDArray rm = TestData.array(63, shape[1]);
            NDArray rv = NDArrays.full(0.7f, shape[1]);
            Compare.assertIdentical(what + " eval output", cpu.unary(UnaryOp.RELU, CpuBatchNorm.eval(x, rm, rv, gamma,
                    beta, EPS)), CpuBatchNorm.evalRelu(x, rm, rv, gamma, beta, EPS));
        }
    }

    @Test
    void fusedReluBackwardMatchesTwinOfMaskedGradient() {
        // The twin's backward of gradY masked where the kernel's output is 0, and the composition
        // that Backend's default uses (relu backward, then batchNormBackward); tolerances as backwardMatchesTwin.
        int[][] shapes = {{3, 5, 7, 9}, {2, 3, 33, 17}, {4, 6}, {2, 4, 1, 1}, {5, 2, 150, 200}};
        CpuBackend cpu = new CpuBackend();
        for (int[] shape : shapes) {
            NDArray x = TestData.array(70, shape);
            NDArray gy = TestData.nonContiguous(71, shape);
            NDArray gamma = TestData.array(72, shape[1]);
            NDArray beta = TestData.array(73, shape[1]);
            BatchNormResult r = CpuBatchNorm.trainRelu(x, gamma, beta, EPS);
            BatchNormGrads g = CpuBatchNorm.backwardRelu(gy, x, gamma, beta, r.mean(), r.invStd());
            double[] y = d(r.output());
            double[] masked = d(gy);
            for (int i = 0; i < masked.length; i++) {
                masked[i] = y[i] > 0 ? masked[i] : 0;
            }
            BatchNormRef.Grads e = BatchNormRef.backward(masked, d(x), shape, d(gamma), d(r.mean()), d(r.invStd()));
            String what = "backwardRelu " + java.util.Arrays.toString(shape);
            double m = (double) x.numel() / shape[1];
            Compare.assertClose(what + " gradInput", e.gradInput(), g.gradInput(), 1e-5, 1e-5);
            Compare.assertClose(what + " gradGamma", e.gradGamma(), g.gradGamma(), 1e-5 * Math.sqrt(m), 1e-5);
            Compare.assertClose(what + " gradBeta", e.gradBeta(), g.gradBeta(), 1e-5 * Math.sqrt(m), 1e-5);
            // what Backend's default batchNormReluBackward composes: the ReLU's mask taken from y
            BatchNormGrads c = cpu.batchNormBackward(cpu.unaryBackward(UnaryOp.RELU, r.output(), r.output(), gy), x,
                    gamma, r.mean(), r.invStd());
            Compare.assertClose(what + " composed gradInput", d(c.gradInput()), g.gradInput(), 1e-6, 1e-5);
            Compare.assertClose(what + " composed gradGamma", d(c.gradGamma()), g.gradGamma(), 1e-6 * Math.sqrt(m),
                    1e-5);
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        // one task per channel (fused path) and several tasks per channel (runs of 60000, 2 per task);
        // 1 thread with cold kernels vs 2 threads with compiled ones
        for (int[] shape : new int[][] {{6, 3, 61, 67}, {3, 2, 200, 300}}) {
            checkThreadIndependence(shape);
        }
    }

    private static void checkThreadIndependence(int[] shape) {
        NDArray x = TestData.array(51, shape);
        NDArray gy = TestData.array(52, shape);
        NDArray gamma = TestData.array(53, shape[1]);
        NDArray beta = TestData.array(55, shape[1]);
        BatchNormResult[] r = new BatchNormResult[2];
        BatchNormGrads[] g = new BatchNormGrads[2];
        BatchNormResult[] fr = new BatchNormResult[2];
        BatchNormGrads[] fg = new BatchNormGrads[2];
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            r[threads - 1] = CpuBatchNorm.train(x, gamma, null, EPS);
            g[threads - 1] = CpuBatchNorm.backward(gy, x, gamma, r[threads - 1].mean(), r[threads - 1].invStd());
            fr[threads - 1] = CpuBatchNorm.trainRelu(x, gamma, beta, EPS);
            fg[threads - 1] = CpuBatchNorm.backwardRelu(gy, x, gamma, beta, fr[threads - 1].mean(),
                    fr[threads - 1].invStd());
            if (threads == 1) {
                warmUp(); // the second run uses JIT-compiled kernels, the first mostly did not
            }
        }
        Compare.assertIdentical("output", r[0].output(), r[1].output());
        Compare.assertIdentical("variance", r[0].variance(), r[1].variance());
        Compare.assertIdentical("gradInput", g[0].gradInput(), g[1].gradInput());
        Compare.assertIdentical("gradGamma", g[0].gradGamma(), g[1].gradGamma());
        Compare.assertIdentical("fused output", fr[0].output(), fr[1].output());
        Compare.assertIdentical("fused gradInput", fg[0].gradInput(), fg[1].gradInput());
        Compare.assertIdentical("fused gradGamma", fg[0].gradGamma(), fg[1].gradGamma());
        Compare.assertIdentical("fused gradBeta", fg[0].gradBeta(), fg[1].gradBeta());
    }

    /** Enough calls on a small input for the kernels to reach C2, so results must not depend on the JIT tier. */
    private static void warmUp() {
        NDArray x = TestData.array(54, 2, 2, 4, 40);
        for (int i = 0; i < 3000; i++) {
            BatchNormResult r = CpuBatchNorm.train(x, null, null, EPS);
            CpuBatchNorm.backward(x, x, null, r.mean(), r.invStd());
            BatchNormResult f = CpuBatchNorm.trainRelu(x, null, null, EPS);
            CpuBatchNorm.backwardRelu(x, x, null, null, f.mean(), f.invStd());
        }
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        NDArray x = TestData.array(61, 2, 3, 4, 4);
        NDArray c3 = NDArrays.ones(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuBatchNorm.train(x, NDArrays.ones(4), c3, EPS));
        assertMentions(e, "batchNormTrain", "gamma", "[4]", "[2, 3, 4, 4]");
        e = assertThrows(IllegalArgumentException.class, () -> CpuBatchNorm.train(x, c3, NDArrays.ones(3, 1), EPS));
        assertMentions(e, "batchNormTrain", "beta", "[3, 1]", "[2, 3, 4, 4]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuBatchNorm.eval(x, NDArrays.ones(2), c3, c3, c3, EPS));
        assertMentions(e, "batchNormEval", "runningMean", "[2]", "[2, 3, 4, 4]");
        e = assertThrows(IllegalArgumentException.class, () -> CpuBatchNorm.train(TestData.array(1, 5), c3, c3, EPS));
        assertMentions(e, "batchNormTrain", "[5]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuBatchNorm.train(NDArrays.zeros(DType.INT32, 2, 3), c3, c3, EPS));
        assertMentions(e, "batchNormTrain", "float32", "int32");
        e = assertThrows(IllegalArgumentException.class, () -> CpuBatchNorm.train(x, c3, c3, -1));
        assertMentions(e, "batchNormTrain", "eps");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuBatchNorm.train(NDArrays.zeros(0, 3, 2, 2), c3, c3, EPS));
        assertMentions(e, "batchNormTrain", "[0, 3, 2, 2]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuBatchNorm.backward(TestData.array(1, 2, 3, 4, 5), x, c3, c3, c3));
        assertMentions(e, "batchNormBackward", "[2, 3, 4, 5]", "[2, 3, 4, 4]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuBatchNorm.backward(x, x, c3, NDArrays.ones(5), c3));
        assertMentions(e, "batchNormBackward", "mean", "[5]");
    }

    static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message \"" + e.getMessage() + "\" should mention " + p);
        }
    }

    // ---- ND4J plumbing

    static INDArray nd(NDArray a) {
        long[] shape = new long[a.rank()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = a.size(i);
        }
        return Nd4j.create(a.toFloatArray(), shape, 'c');
    }

    static double[] floats(INDArray a) {
        float[] f = a.dup('c').data().asFloat();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }
}
