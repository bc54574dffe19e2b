package org.layerensembles.autograd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.layerensembles.autograd.loss.LossTwins.bceWithLogits;
import static org.layerensembles.autograd.loss.LossTwins.numel;
import static org.layerensembles.autograd.loss.LossTwins.uniform;

import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.testing.Compare;

/**
 * {@link Losses#bceWithLogits} (a fused op with its own backward rule) against the double twin
 * {@link LossTwins#bceWithLogits}, written from the loss's definition
 * -[pw t log sigma(x) + (1 - t) log(1 - sigma(x))], and central finite differences of it
 * ({@link GradCheck}) for the logits and the targets: every reduction, with and without a
 * positive weight ([C] on [N, C], [C, 1, 1] on [N, C, H, W]), logits exactly 0 (where a
 * relu/abs composition would get the gradient wrong), saturated logits, tiny losses.
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4 for |x| <= 4 (float32 exp/log within a few ulp; finite
 * differences with h = 1e-6 in double add ~1e-10). For |x| up to 100 the per-element loss is
 * (1 - t) x + ... in float32, as PyTorch computes it, so its absolute error is a few ulp of
 * |x| (~1e-5): atol 3e-5. Tiny losses (x = 17 or 30 with t = 1): rtol 1e-5.
 */
class BceWithLogitsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final double LN2 = 0.6931471805599453;

    @Test
    void handComputedAtZero() {
        // x = 0: each loss is log 2 whatever t; dl/dx = sigma(0) - t = 0.5 - t (the smooth
        // derivative PyTorch gives, where relu(x) and |x| composed would give -t); mean halves it.
        Tensor x = Tensor.parameter(NDArrays.zeros(2));
        Tensor loss = Losses.bceWithLogits(x, Tensor.constant(NDArrays.of(new float[] {1, 0}, 2)));
        assertEquals(LN2, loss.item(), 1e-7);
        loss.backward();
        Compare.assertClose("gradient at 0", new double[] {-0.25, 0.25}, x.grad(), 1e-7, 0);

        // pos_weight 3 with t = 1: l = 3 log 2, dl/dx = (3 * 1 + 1 - 1) * 0.5 - 3 = -1.5
        Tensor x1 = Tensor.parameter(NDArrays.zeros(1));
        Tensor l1 = Losses.bceWithLogits(x1, Tensor.constant(NDArrays.of(new float[] {1}, 1)),
                BceOptions.DEFAULT.withPosWeight(NDArrays.of(new float[] {3}, 1)));
        assertEquals(3 * LN2, l1.item(), 1e-6);
        l1.backward();
        assertEquals(-1.5f, x1.grad().getFloat(0), 1e-7);
    }

    /** {logits shape, posWeight shape or empty for none}. */
    private static final int[][][] CASES = {
        {{4, 3}, {}},
        {{4, 3}, {3}},              // PyTorch's usual [C] against [N, C]
        {{2, 3, 2, 2}, {}},
        {{2, 3, 2, 2}, {3, 1, 1}},  // per-channel positive weight on images
        {{2, 3, 2, 2}, {1}},
    };

    @Test
    void everyReductionAndPosWeightAgainstTwinAndFiniteDifferences() {
        long seed = 60;
        for (int[][] c : CASES) {
            int[] shape = c[0];
            int[] pwShape = c[1];
            int n = numel(shape);
            for (Reduction reduction : Reduction.values()) {
                for (boolean targetGrad : new boolean[] {false, true}) {
                    double[] x = uniform(seed++, n, -4, 4);
                    double[] t = uniform(seed++, n, 0, 1);
                    x[0] = 0;       // the kink of max(x, 0) and |x|
                    x[n - 1] = 0;
                    t[1] = 0;
                    t[2] = 1;
                    double[] pw = pwShape.length == 0 ? null : uniform(seed++, numel(pwShape), 0.5, 4);
                    BceOptions o = new BceOptions(pw == null ? null : NDArrays.of(pw, pwShape), reduction);
                    double[] pwFull = pw == null ? null : broadcast(pw, pwShape, shape);
                    String what = "bceWithLogits " + Shapes.str(shape) + " posWeight " + Shapes.str(pwShape) + " "
                            + reduction + (targetGrad ? " with target gradient" : "");
                    GradCheck.of(what, v -> Losses.bceWithLogits(v[0], v[1], o),
                            v -> bceWithLogits(v[0], v[1], pwFull, reduction)).tolerance(ATOL, RTOL)
                            .run(new NDArray[] {NDArrays.of(x, shape), NDArrays.of(t, shape)},
                                    new boolean[] {true, targetGrad});
                }
            }
        }
    }

    @Test
    void saturatedLogitsStayFinite() {
        int[] shape = {4, 5};
        double[] x = uniform(70, 20, -100, 100);
        double[] t = uniform(71, 20, 0, 1);
        NDArray pw = NDArrays.of(new float[] {0.5f, 1, 2, 3, 4}, 5);
        double[] pwFull = broadcast(LossTwins.doubles(pw.toFloatArray()), new int[] {5}, shape);
        for (Reduction r : Reduction.values()) {
            GradCheck.of("bceWithLogits |x| <= 100 " + r, v -> Losses.bceWithLogits(v[0], v[1],
                            new BceOptions(pw, r)), v -> bceWithLogits(v[0], v[1], pwFull, r)).tolerance(3e-5, RTOL)
                    .run(new NDArray[] {NDArrays.of(x, shape), NDArrays.of(t, shape)}, new boolean[] {true, true});
        }
    }

    @Test
    void tinyLossesKeepTheirRelativePrecision() {
        // t = 1, x large: l = log(1 + exp(-x)) ~ exp(-x), far below float32's epsilon relative to 1;
        // log1p's correction keeps it (PyTorch's log1p does too).
        double[] x = {17, 30, -17, -30};
        double[] t = {1, 1, 0, 0};
        Tensor loss = Losses.bceWithLogits(Tensor.constant(NDArrays.of(x, 4)), Tensor.constant(NDArrays.of(t, 4)),
                BceOptions.DEFAULT.withReduction(Reduction.NONE));
        // for t = 0 the loss is (1 - t) x + softplus(-x) = x + (-x + tiny): the tiny part is lost
        // to float32 rounding of |x| (as in PyTorch); only the first two are checked relatively
        double[] expected = bceWithLogits(x, t, null, Reduction.NONE);
        Compare.assertClose("tiny losses", new double[] {expected[0], expected[1]},
                NDArrays.of(new float[] {loss.data().getFloat(0), loss.data().getFloat(1)}, 2), 0, 1e-5);
        Compare.assertClose("t = 0 side", new double[] {expected[2], expected[3]},
                NDArrays.of(new float[] {loss.data().getFloat(2), loss.data().getFloat(3)}, 2), 1e-6, 0);
    }

    /** Values of shape {@code from} broadcast (NumPy rules) to shape {@code to}, row-major. */
    private static double[] broadcast(double[] v, int[] from, int[] to) {
        double[] out = new double[numel(to)];
        int[] index = new int[to.length];
        for (int i = 0; i < out.length; i++) {
            int rest = i;
            for (int d = to.length - 1; d >= 0; d--) {
                index[d] = rest % to[d];
                rest /= to[d];
            }
            int pos = 0;
            for (int d = 0; d < from.length; d++) {
                int k = index[to.length - from.length + d];
                pos = pos * from[d] + (from[d] == 1 ? 0 : k);
            }
            out[i] = v[pos];
        }
        return out;
    }
}
