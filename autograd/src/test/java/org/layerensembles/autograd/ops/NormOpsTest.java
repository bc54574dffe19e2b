package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.layerensembles.core.testing.DoubleArrays.tanh;

import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.reference.BatchNormRef;
import org.layerensembles.core.reference.ConvRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * Batch norm against {@link BatchNormRef}: training mode (gradients through the batch
 * statistics, the statistics themselves, BatchNormRef.backward's analytic gradients) and eval
 * mode with running statistics (whose analytic gradients, dx = g*gamma/sqrt(var+eps),
 * dgamma = sum(g*xhat), dbeta = sum(g), are written out here in double).
 *
 * <p>Tolerances: |diff| <= 1e-5 + 1e-4 * |expected| (GradCheck's default) for outputs and
 * gradients; the statistics within 1e-6 + 1e-5 relative. Inputs are in [-1, 1) (variance about
 * 1/3, so 1/sqrt(var + eps) is about 1.7) and channels hold at most a few dozen elements, so the
 * float32 kernels stay near 1e-6 of the double twin.
 */
class NormOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final double EPS = 1e-5;

    // ---- training mode

    @Test
    void trainNchw() {
        int[] xs = {3, 4, 3, 3};
        GradCheck.of("batchNormTrain NCHW", t -> NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output())
                .run(TestData.array(1, xs), TestData.array(2, 4), TestData.array(3, 4));
    }

    @Test
    void trainRank2AndViews() {
        int[] xs = {8, 5};
        GradCheck.of("batchNormTrain [N, C] views", t -> NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output())
                .run(TestData.nonContiguous(4, xs), TestData.nonContiguous(5, 5), TestData.nonContiguous(6, 5));
        int[] ys = {2, 3, 4, 3};
        GradCheck.of("batchNormTrain NCHW view", t -> NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(v[0], ys, v[1], v[2], EPS).output())
                .run(TestData.nonContiguous(7, ys), TestData.array(8, 3), TestData.array(9, 3));
    }

    @Test
    void trainWithoutAffine() {
        int[] xs = {2, 3, 3, 4};
        double[] ones = {1, 1, 1};
        double[] zeros = {0, 0, 0};
        GradCheck.of("batchNormTrain no gamma, beta", t -> NormOps.batchNormTrain(t[0], null, null, EPS).output(),
                v -> BatchNormRef.train(v[0], xs, ones, zeros, EPS).output())
                .run(TestData.array(10, xs));
    }

    @Test
    void trainStatisticsAndAnalyticGradients() {
        int[] xs = {2, 3, 4, 5};
        Tensor x = Tensor.parameter(TestData.array(20, xs));
        Tensor gamma = Tensor.parameter(TestData.array(21, 3));
        Tensor beta = Tensor.parameter(TestData.array(22, 3));
        NormOps.BatchNormOutput out = NormOps.batchNormTrain(x, gamma, beta, EPS);
        BatchNormRef.Result ref = BatchNormRef.train(doubles(x), xs, doubles(gamma), doubles(beta), EPS);
        Compare.assertClose("batch mean", ref.mean(), out.mean(), 1e-6, 1e-5);
        Compare.assertClose("batch biased variance", ref.variance(), out.variance(), 1e-6, 1e-5);
        NDArray gy = TestData.array(23, xs);
        out.output().backward(gy);
        BatchNormRef.Grads grads = BatchNormRef.backward(RefArrays.doubles(gy), doubles(x), xs, doubles(gamma), ref.mean(),
                ref.invStd());
        Compare.assertClose("batchNormTrain dx", grads.gradInput(), x.grad(), ATOL, RTOL);
        Compare.assertClose("batchNormTrain dgamma", grads.gradGamma(), gamma.grad(), ATOL, RTOL);
        Compare.assertClose("batchNormTrain dbeta", grads.gradBeta(), beta.grad(), ATOL, RTOL);
    }

    @Test
    void trainOnlyParametersWanted() {
        // A constant input (a first-layer image): gamma and beta still get their gradients.
        int[] xs = {2, 2, 3, 3};
        GradCheck.of("batchNormTrain constant x", t -> NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output())
                .run(new NDArray[] {TestData.array(24, xs), TestData.array(25, 2), TestData.array(26, 2)},
                        new boolean[] {false, true, true});
        // A frozen scale with a trained shift, and the reverse: each rule output follows its own flag.
        GradCheck.of("batchNormTrain constant gamma", t -> NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output())
                .run(new NDArray[] {TestData.array(24, xs), TestData.array(25, 2), TestData.array(26, 2)},
                        new boolean[] {true, false, true});
        GradCheck.of("batchNormTrain constant beta", t -> NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output())
                .run(new NDArray[] {TestData.array(24, xs), TestData.array(25, 2), TestData.array(26, 2)},
                        new boolean[] {true, true, false});
    }

    @Test
    void trainGammaAndBetaUsedTwice() {
        // y = bn(bn(x, gamma, beta), gamma, beta): gamma and beta receive both uses' gradients.
        int[] xs = {3, 2, 2, 3};
        GradCheck.of("batchNormTrain twice",
                t -> NormOps.batchNormTrain(NormOps.batchNormTrain(t[0], t[1], t[2], EPS).output(), t[1], t[2], EPS).output(),
                v -> BatchNormRef.train(BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output(), xs, v[1], v[2], EPS).output())
                .run(TestData.array(30, xs), TestData.array(31, 2), TestData.array(32, 2));
    }

    @Test
    void chainConvBatchNormTanh() {
        int[] xs = {2, 2, 4, 4};
        int[] ws = {3, 2, 3, 3};
        int[] ys = {2, 3, 4, 4};
        Conv2dParams p = Conv2dParams.of(1, 1);
        GradCheck.of("conv -> batchNormTrain -> tanh",
                t -> ElementwiseOps.tanh(NormOps.batchNormTrain(ConvOps.conv2d(t[0], t[1], null, p), t[2], t[3], EPS).output()),
                v -> tanh(BatchNormRef.train(ConvRef.forward(v[0], xs, v[1], ws, null, p), ys, v[2], v[3], EPS).output()))
                .run(TestData.array(40, xs), TestData.array(41, ws), TestData.array(42, 3), TestData.array(43, 3));
    }

    // ---- fused with the ReLU after it

    @Test
    void trainReluNchwAndOddShapes() {
        for (int[] xs : new int[][] {{3, 4, 3, 3}, {2, 3, 5, 7}, {4, 5}}) {
            GradCheck.of("batchNormReluTrain " + java.util.Arrays.toString(xs),
                    t -> NormOps.batchNormReluTrain(t[0], t[1], t[2], EPS).output(),
                    v -> relu(BatchNormRef.train(v[0], xs, v[1], v[2], EPS).output()))
                    .run(TestData.nonContiguous(80, xs), TestData.array(81, xs[1]), TestData.array(82, xs[1]));
        }
        int[] xs = {2, 3, 3, 4};
        double[] ones = {1, 1, 1};
        double[] zeros = {0, 0, 0};
        GradCheck.of("batchNormReluTrain no gamma, beta", t -> NormOps.batchNormReluTrain(t[0], null, null, EPS).output(),
                v -> relu(BatchNormRef.train(v[0], xs, ones, zeros, EPS).output()))
                .run(TestData.array(83, xs));
    }

    @Test
    void trainReluIsReluOfTrainWithSameStatisticsAndGradients() {
        int[] xs = {3, 5, 6, 7};
        NDArray xv = TestData.array(84, xs);
        NDArray gv = TestData.array(85, 5);
        NDArray bv = TestData.array(86, 5);
        NDArray gy = TestData.array(87, xs);
        Tensor[] fused = {Tensor.parameter(xv), Tensor.parameter(gv), Tensor.parameter(bv)};
        Tensor[] plain = {Tensor.parameter(xv), Tensor.parameter(gv), Tensor.parameter(bv)};
        NormOps.BatchNormOutput f = NormOps.batchNormReluTrain(fused[0], fused[1], fused[2], EPS);
        NormOps.BatchNormOutput u = NormOps.batchNormTrain(plain[0], plain[1], plain[2], EPS);
        Tensor reluOfPlain = ElementwiseOps.relu(u.output());
        Compare.assertIdentical("output", reluOfPlain.data(), f.output().data());
        Compare.assertIdentical("mean", u.mean(), f.mean());
        Compare.assertIdentical("variance", u.variance(), f.variance());
        f.output().backward(gy);
        reluOfPlain.backward(gy);
        // the same sums in another order: float rounding only
        for (int i = 0; i < 3; i++) {
            Compare.assertClose("grad " + i, RefArrays.doubles(plain[i].grad()), fused[i].grad(), 1e-5, 1e-5);
        }
    }

    @Test
    void evalRelu() {
        int[] xs = {2, 3, 3, 4};
        NDArray mean = TestData.array(88, 3);
        NDArray var = positive(89, 3, false);
        GradCheck.of("batchNormReluEval NCHW", t -> NormOps.batchNormReluEval(t[0], mean, var, t[1], t[2], EPS),
                v -> relu(BatchNormRef.eval(v[0], xs, RefArrays.doubles(mean), RefArrays.doubles(var), v[1], v[2], EPS)))
                .run(TestData.array(90, xs), TestData.array(91, 3), TestData.array(92, 3));
    }

    private static double[] relu(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.max(v[i], 0);
        }
        return out;
    }

    // ---- eval mode

    @Test
    void evalNchw() {
        int[] xs = {2, 3, 3, 4};
        NDArray mean = TestData.array(50, 3);
        NDArray var = positive(51, 3, false);
        GradCheck.of("batchNormEval NCHW", t -> NormOps.batchNormEval(t[0], mean, var, t[1], t[2], EPS),
                v -> BatchNormRef.eval(v[0], xs, RefArrays.doubles(mean), RefArrays.doubles(var), v[1], v[2], EPS))
                .run(TestData.array(52, xs), TestData.array(53, 3), TestData.array(54, 3));
    }

    @Test
    void evalRank2ViewsAndNoAffine() {
        int[] xs = {4, 5};
        NDArray mean = TestData.nonContiguous(55, 5);
        NDArray var = positive(56, 5, true);
        GradCheck.of("batchNormEval [N, C] views", t -> NormOps.batchNormEval(t[0], mean, var, t[1], t[2], EPS),
                v -> BatchNormRef.eval(v[0], xs, RefArrays.doubles(mean), RefArrays.doubles(var), v[1], v[2], EPS))
                .run(TestData.nonContiguous(57, xs), TestData.nonContiguous(58, 5), TestData.array(59, 5));
        double[] ones = {1, 1, 1, 1, 1};
        double[] zeros = new double[5];
        GradCheck.of("batchNormEval no gamma, beta", t -> NormOps.batchNormEval(t[0], mean, var, null, null, EPS),
                v -> BatchNormRef.eval(v[0], xs, RefArrays.doubles(mean), RefArrays.doubles(var), ones, zeros, EPS))
                .run(TestData.array(60, xs));
    }

    @Test
    void evalAnalyticGradients() {
        int[] xs = {2, 3, 4, 3};
        int channels = 3;
        int plane = 12;
        NDArray mean = TestData.array(70, channels);
        NDArray var = positive(71, channels, false);
        Tensor x = Tensor.parameter(TestData.array(72, xs));
        Tensor gamma = Tensor.parameter(TestData.array(73, channels));
        Tensor beta = Tensor.parameter(TestData.array(74, channels));
        Tensor y = NormOps.batchNormEval(x, mean, var, gamma, beta, EPS);
        NDArray gy = TestData.array(75, xs);
        y.backward(gy);
        double[] g = RefArrays.doubles(gy);
        double[] xv = doubles(x);
        double[] m = RefArrays.doubles(mean);
        double[] vv = RefArrays.doubles(var);
        double[] gm = doubles(gamma);
        double[] dx = new double[xv.length];
        double[] dgamma = new double[channels];
        double[] dbeta = new double[channels];
        for (int i = 0; i < xv.length; i++) {
            int c = (i / plane) % channels;
            double invStd = 1 / Math.sqrt(vv[c] + EPS);
            dx[i] = g[i] * gm[c] * invStd;
            dgamma[c] += g[i] * (xv[i] - m[c]) * invStd;
            dbeta[c] += g[i];
        }
        Compare.assertClose("batchNormEval dx", dx, x.grad(), ATOL, RTOL);
        Compare.assertClose("batchNormEval dgamma", dgamma, gamma.grad(), ATOL, RTOL);
        Compare.assertClose("batchNormEval dbeta", dbeta, beta.grad(), ATOL, RTOL);
    }

    @Test
    void evalEachGradientFollowsItsFlag() {
        int[] xs = {2, 2, 3, 3};
        NDArray mean = TestData.array(80, 2);
        NDArray var = positive(81, 2, false);
        Tensor x = Tensor.parameter(TestData.array(82, xs));
        Tensor gamma = Tensor.constant(TestData.array(83, 2));
        NormOps.batchNormEval(x, mean, var, gamma, null, EPS).backward(TestData.array(84, xs));
        assertNull(gamma.grad());
        NDArray[] inputs = {TestData.array(82, xs), TestData.array(83, 2), TestData.array(85, 2)};
        for (boolean[] flags : new boolean[][] {{true, false, false}, {true, false, true}, {false, true, false}}) {
            GradCheck.of("batchNormEval " + java.util.Arrays.toString(flags),
                    t -> NormOps.batchNormEval(t[0], mean, var, t[1], t[2], EPS),
                    v -> BatchNormRef.eval(v[0], xs, RefArrays.doubles(mean), RefArrays.doubles(var), v[1], v[2], EPS))
                    .run(inputs, flags);
        }
    }

    // ---- helpers

    /** Variances in [0.5, 1.5), as a stride-2 view when {@code view}. */
    private static NDArray positive(long seed, int n, boolean view) {
        double[] u = TestData.uniform(seed, n);
        for (int i = 0; i < n; i++) {
            u[i] = 1 + u[i] / 2;
        }
        NDArray a = NDArrays.of(u, n);
        if (!view) {
            return a;
        }
        NDArray v = NDArrays.zeros(n, 2).select(1, 1);
        Autograd.backend().copy(a, v);
        return v;
    }

    private static double[] doubles(Tensor t) {
        return RefArrays.doubles(t.data());
    }
}
