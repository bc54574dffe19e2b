package org.layerensembles.autograd.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.autograd.loss.LossTwins.classLoss;
import static org.layerensembles.autograd.loss.LossTwins.labels;
import static org.layerensembles.autograd.loss.LossTwins.numel;
import static org.layerensembles.autograd.loss.LossTwins.targetShape;
import static org.layerensembles.autograd.loss.LossTwins.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.ops.SoftmaxOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * {@link Losses#crossEntropy} and {@link Losses#nll} against PyTorch's semantics: hand-computed
 * small cases, the double twin {@link LossTwins#classLoss} (forward) and central finite
 * differences of it ({@link GradCheck}) for every reduction, with and without class weights and
 * an ignore index (outside and inside [0, C)), on [N, C], [N, C, L] and [N, C, H, W] inputs and a
 * non-contiguous view; all-ignored batches (NaN mean with zero gradient, as PyTorch).
 *
 * <p>Tolerances: small cases atol 1e-5 + rtol 1e-4 (GradCheck's defaults: float32 log-softmax
 * is within a few ulp, a loss here sums at most 72 terms; finite differences with h = 1e-6 in
 * double add ~1e-10). The [2, 4, 16, 16] case, whose gradients are ~1e-4, uses atol 1e-8 + rtol
 * 1e-4. Hand-computed values: atol 1e-6.
 */
class CrossEntropyTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final int IGNORE = CrossEntropyOptions.DEFAULT_IGNORE_INDEX;

    private static Tensor ints(int[] v, int... shape) {
        return Tensor.constant(NDArrays.of(v, shape));
    }

    @Test
    void handComputedSmallCase() {
        // logits [[1, 2, 3], [1, 1, 1]], targets [2, 0]:
        //   l0 = -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2) = 0.4076059644443804
        //   l1 = -log(1/3) = log 3 = 1.0986122886681098;  mean 0.7531091265562451
        // d mean / d logits = (softmax - onehot) / 2, softmax(1, 2, 3) = (0.0900306, 0.2447285, 0.6652410)
        Tensor logits = Tensor.parameter(NDArrays.of(new float[] {1, 2, 3, 1, 1, 1}, 2, 3));
        Tensor targets = ints(new int[] {2, 0}, 2);
        Tensor loss = Losses.crossEntropy(logits, targets);
        assertArrayEquals(new int[0], loss.shape());
        assertEquals(0.7531091265562451, loss.item(), 1e-6);
        loss.backward();
        Compare.assertClose("hand gradient", new double[] {
            0.09003057317038046 / 2, 0.24472847105479767 / 2, (0.6652409557748219 - 1) / 2,
            -1.0 / 3, 1.0 / 6, 1.0 / 6}, logits.grad(), 1e-6, 0);

        CrossEntropyOptions o = CrossEntropyOptions.DEFAULT;
        assertEquals(0.4076059644443804 + 1.0986122886681098,
                Losses.crossEntropy(logits, targets, o.withReduction(Reduction.SUM)).item(), 1e-6);
        Compare.assertClose("hand none", new double[] {0.4076059644443804, 1.0986122886681098},
                Losses.crossEntropy(logits, targets, o.withReduction(Reduction.NONE)).data(), 1e-6, 0);
    }

    @Test
    void handComputedWeightsAndIgnoreIndex() {
        // The same two rows plus a third whose target is ignored; weights (0.1, 0.3, 0.6):
        //   mean = (0.6 * l0 + 0.1 * l1) / (0.6 + 0.1) = 0.5063211536191988 (row 3 in neither sum)
        //   d/d row0 = 0.6 (softmax - onehot(2)) / 0.7, d/d row1 = 0.1 (1/3 - 1, 1/3, 1/3) / 0.7, row 3: 0
        Tensor logits = Tensor.parameter(NDArrays.of(new float[] {1, 2, 3, 1, 1, 1, 5, -3, 0}, 3, 3));
        Tensor targets = ints(new int[] {2, 0, IGNORE}, 3);
        NDArray weights = NDArrays.of(new float[] {0.1f, 0.3f, 0.6f}, 3);
        Tensor loss = Losses.crossEntropy(logits, targets, CrossEntropyOptions.DEFAULT.withWeights(weights));
        assertEquals(0.5063211536191988, loss.item(), 1e-6);
        loss.backward();
        double a = 0.6 / 0.7;
        double b = 0.1 / 0.7;
        Compare.assertClose("hand weighted gradient", new double[] {
            a * 0.09003057317038046, a * 0.24472847105479767, a * (0.6652409557748219 - 1),
            b * (1.0 / 3 - 1), b / 3, b / 3,
            0, 0, 0}, logits.grad(), 1e-6, 0);
        for (int k = 0; k < 3; k++) {
            assertEquals(0f, logits.grad().getFloat(2, k), "ignored row gets exactly 0");
        }
    }

    /** {logits shape}: [N, C], [N, C, L], [N, C, H, W]. */
    private static final int[][] SHAPES = {{4, 3}, {2, 4, 5}, {2, 3, 3, 4}};

    @Test
    void everyReductionWeightAndIgnoreCaseAgainstTwinAndFiniteDifferences() {
        long seed = 10;
        for (int[] shape : SHAPES) {
            int c = shape[1];
            int[] ts = targetShape(shape);
            for (Reduction reduction : Reduction.values()) {
                for (boolean weighted : new boolean[] {false, true}) {
                    // no ignored label; the default -100 on ~30% of the labels; a real class (1) as ignore index
                    for (int ignore : new int[] {Integer.MIN_VALUE, IGNORE, 1}) {
                        int ignoreIndex = ignore == Integer.MIN_VALUE ? IGNORE : ignore;
                        int[] y = ignore == 1 ? labels(seed++, numel(ts), c, 0, 0)
                                : labels(seed++, numel(ts), c, ignore == IGNORE ? 0.3 : 0, IGNORE);
                        double[] w = weighted ? uniform(seed++, c, 0.2, 2) : null;
                        CrossEntropyOptions o = new CrossEntropyOptions(weighted ? NDArrays.of(w, c) : null,
                                ignoreIndex, reduction);
                        NDArray x = NDArrays.of(uniform(seed++, numel(shape), -3, 3), shape);
                        String what = "crossEntropy " + Shapes.str(shape) + " " + reduction + (weighted ? " weighted" : "")
                                + " ignore " + ignoreIndex + " labels " + Arrays.toString(y);
                        GradCheck.of(what, t -> Losses.crossEntropy(t[0], t[1], o),
                                v -> classLoss(v[0], shape, v[1], w, ignoreIndex, reduction, true))
                                .tolerance(ATOL, RTOL)
                                .run(new NDArray[] {x, NDArrays.of(y, ts)}, new boolean[] {true, false});
                    }
                }
            }
        }
    }

    @Test
    void nonContiguousLogits() {
        int[] shape = {2, 3, 4, 5};
        NDArray x = TestData.nonContiguous(3, shape);
        assertTrue(!x.isContiguous());
        int[] y = labels(4, 40, 3, 0.2, IGNORE);
        double[] w = {0.5, 1, 2};
        CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.withWeights(NDArrays.of(w, 3));
        GradCheck.of("crossEntropy view", t -> Losses.crossEntropy(t[0], t[1], o),
                v -> classLoss(v[0], shape, v[1], w, IGNORE, Reduction.MEAN, true)).tolerance(ATOL, RTOL)
                .run(new NDArray[] {x, NDArrays.of(y, 2, 4, 5)}, new boolean[] {true, false});
    }

    @Test
    void largerImageWithWeightsAndIgnoreIndexAtTightTolerance() {
        int[] shape = {2, 4, 16, 16};
        int[] y = labels(5, 512, 4, 0.1, 255);
        double[] w = {0.1, 0.3, 0.3, 0.3};
        CrossEntropyOptions o = new CrossEntropyOptions(NDArrays.of(w, 4), 255, Reduction.MEAN);
        GradCheck.of("crossEntropy [2, 4, 16, 16]", t -> Losses.crossEntropy(t[0], t[1], o),
                v -> classLoss(v[0], shape, v[1], w, 255, Reduction.MEAN, true)).tolerance(1e-8, RTOL)
                .run(new NDArray[] {NDArrays.of(uniform(6, numel(shape), -4, 4), shape), NDArrays.of(y, 2, 16, 16)},
                        new boolean[] {true, false});
    }

    @Test
    void largeLogitsStayFinite() {
        // Logits up to +-60: the log-softmax subtracts each pixel's maximum first.
        int[] shape = {3, 4};
        GradCheck.of("crossEntropy large logits", t -> Losses.crossEntropy(t[0], t[1]),
                v -> classLoss(v[0], shape, v[1], null, IGNORE, Reduction.MEAN, true)).tolerance(ATOL, RTOL)
                .run(new NDArray[] {NDArrays.of(uniform(7, 12, -60, 60), shape), NDArrays.of(new int[] {0, 3, 1}, 3)},
                        new boolean[] {true, false});
    }

    @Test
    void allIgnoredBatchMatchesPyTorch() {
        // PyTorch: mean over no element is 0/0 = NaN, and the logits' gradient is 0 (ignored
        // elements are skipped by nll_loss_backward); sum is 0; none is all zeros.
        int[] shape = {2, 3, 2, 2};
        NDArray x = NDArrays.of(uniform(8, numel(shape), -2, 2), shape);
        int[] y = new int[8];
        Arrays.fill(y, IGNORE);
        for (Reduction r : Reduction.values()) {
            for (NDArray weights : new NDArray[] {null, NDArrays.of(new float[] {1, 2, 3}, 3)}) {
                Tensor logits = Tensor.parameter(x);
                Tensor loss = Losses.crossEntropy(logits, ints(y, 2, 2, 2), new CrossEntropyOptions(weights, IGNORE, r));
                double[] expected = r == Reduction.NONE ? new double[8] : new double[] {r == Reduction.MEAN ? Double.NaN : 0};
                Compare.assertClose("all ignored " + r + " value", expected, loss.data(), 0, 0);
                loss.backward(NDArrays.full(1f, loss.shape()));
                Compare.assertClose("all ignored " + r + " gradient", new double[numel(shape)], logits.grad(), 0, 0);
            }
        }
    }

    @Test
    void zeroTotalWeightIsNaNAsPyTorch() {
        // Every label present has class weight 0: the mean is 0/0 = NaN (PyTorch gives NaN too).
        Tensor logits = Tensor.parameter(NDArrays.of(new float[] {1, 2, 3, 4}, 2, 2));
        Tensor loss = Losses.crossEntropy(logits, ints(new int[] {1, 1}, 2),
                CrossEntropyOptions.DEFAULT.withWeights(NDArrays.of(new float[] {1, 0}, 2)));
        assertTrue(Float.isNaN(loss.item()));
    }

    @Test
    void nllAgainstTwinAndFiniteDifferences() {
        long seed = 100;
        for (int[] shape : SHAPES) {
            int c = shape[1];
            int[] ts = targetShape(shape);
            for (Reduction reduction : Reduction.values()) {
                int[] y = labels(seed++, numel(ts), c, 0.25, IGNORE);
                double[] w = uniform(seed++, c, 0.2, 2);
                CrossEntropyOptions o = new CrossEntropyOptions(NDArrays.of(w, c), IGNORE, reduction);
                // log-probabilities need not be normalised: NLL just picks and weights them
                NDArray x = NDArrays.of(uniform(seed++, numel(shape), -4, 0), shape);
                GradCheck.of("nll " + Shapes.str(shape) + " " + reduction, t -> Losses.nll(t[0], t[1], o),
                        v -> classLoss(v[0], shape, v[1], w, IGNORE, reduction, false)).tolerance(ATOL, RTOL)
                        .run(new NDArray[] {x, NDArrays.of(y, ts)}, new boolean[] {true, false});
            }
        }
    }

    @Test
    void nllIgnoresMinusInfinityAtIgnoredElements() {
        // log(0) = -inf at an ignored element's classes never reaches the loss or the gradient.
        float inf = Float.NEGATIVE_INFINITY;
        Tensor logp = Tensor.parameter(NDArrays.of(new float[] {-0.5f, -1f, inf, inf, -2f, -0.2f}, 3, 2));
        Tensor loss = Losses.nll(logp, ints(new int[] {0, IGNORE, 1}, 3));
        assertEquals((0.5 + 0.2) / 2, loss.item(), 1e-7);
        loss.backward();
        Compare.assertClose("gradient", new double[] {-0.5, 0, 0, 0, 0, -0.5}, logp.grad(), 0, 0);
    }

    @Test
    void crossEntropyIsNllOfLogSoftmax() {
        int[] shape = {2, 3, 4};
        NDArray x = NDArrays.of(uniform(9, 24, -2, 2), shape);
        Tensor y = ints(labels(10, 8, 3, 0.2, IGNORE), 2, 4);
        CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.withWeights(NDArrays.of(new float[] {1, 2, 0.5f}, 3));
        Tensor a = Losses.crossEntropy(Tensor.constant(x), y, o);
        Tensor b = Losses.nll(SoftmaxOps.logSoftmax(Tensor.constant(x), 1), y, o);
        Compare.assertIdentical("CE = NLL(logSoftmax)", b.data(), a.data());
    }
}
