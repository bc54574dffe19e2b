package org.layerensembles.autograd.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.layerensembles.autograd.loss.LossTwins.classLoss;
import static org.layerensembles.autograd.loss.LossTwins.labels;
import static org.layerensembles.autograd.loss.LossTwins.numel;
import static org.layerensembles.autograd.loss.LossTwins.softDice;
import static org.layerensembles.autograd.loss.LossTwins.targetShape;
import static org.layerensembles.autograd.loss.LossTwins.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.testing.Compare;

/**
 * {@link Losses#softDice} and {@link Losses#diceCe} against the double twins
 * {@link LossTwins#softDice} and {@link LossTwins#classLoss} (forward) and central finite
 * differences of them ({@link GradCheck}): binary and multi-class, with and without the
 * background, two smoothing values, with and without ignored pixels; a hand-computed binary
 * case; all-ignored batches; diceCe equal to the sum of its terms.
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4 (float32 softmax within a few ulp, sums of at most 72
 * terms; finite differences with h = 1e-6 in double add ~1e-10). The [2, 4, 16, 16] case, whose
 * gradients are ~1e-4, uses atol 1e-8 + rtol 1e-4. Hand-computed values: atol 1e-6.
 */
class SoftDiceTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;
    private static final int IGNORE = CrossEntropyOptions.DEFAULT_IGNORE_INDEX;

    @Test
    void handComputedBinaryCase() {
        // Logits all 0, C = 2: p1 = 1/2 at each of 4 pixels; targets (1, 0, 1, 1), smooth 1:
        //   Dice = (2 * 1.5 + 1) / (2 + 3 + 1) = 4/6, loss = 1/3.
        // dDice/dp1_j = (2 g_j * 6 - 4) / 36 = 2/9 (g = 1) or -1/9 (g = 0); dp1/dx1 = -dp1/dx0 = 1/4;
        // so dloss/dx1 = -1/18 (g = 1) or 1/36 (g = 0), and dloss/dx0 the opposite.
        Tensor logits = Tensor.parameter(NDArrays.zeros(1, 2, 4));
        Tensor loss = Losses.softDice(logits, Tensor.constant(NDArrays.of(new int[] {1, 0, 1, 1}, 1, 4)));
        assertArrayEquals(new int[0], loss.shape());
        assertEquals(1.0 / 3, loss.item(), 1e-6);
        loss.backward();
        double a = 1.0 / 18;
        double b = 1.0 / 36;
        Compare.assertClose("hand gradient", new double[] {a, -b, a, a, -a, b, -a, -a}, logits.grad(), 1e-6, 0);
    }

    /** {logits shape}: binary [N, 2] and [N, 2, H, W]; multi-class [N, 4, H, W] and [N, 3, L]. */
    private static final int[][] SHAPES = {{4, 2}, {2, 2, 3, 4}, {2, 4, 3, 3}, {3, 3, 5}};

    @Test
    void everyCaseAgainstTwinAndFiniteDifferences() {
        long seed = 20;
        for (int[] shape : SHAPES) {
            int c = shape[1];
            int[] ts = targetShape(shape);
            for (boolean background : new boolean[] {false, true}) {
                for (double smooth : new double[] {1, 0.01}) {
                    for (double ignored : new double[] {0, 0.25}) {
                        int[] y = labels(seed++, numel(ts), c, ignored, IGNORE);
                        NDArray x = NDArrays.of(uniform(seed++, numel(shape), -3, 3), shape);
                        DiceOptions o = new DiceOptions(smooth, background, IGNORE);
                        String what = "softDice " + Shapes.str(shape) + (background ? " with background" : "")
                                + " smooth " + smooth + " labels " + Arrays.toString(y);
                        GradCheck.of(what, t -> Losses.softDice(t[0], t[1], o),
                                v -> new double[] {softDice(v[0], shape, v[1], smooth, background, IGNORE)})
                                .tolerance(ATOL, RTOL)
                                .run(new NDArray[] {x, NDArrays.of(y, ts)}, new boolean[] {true, false});
                    }
                }
            }
        }
    }

    @Test
    void ignoreIndexInsideTheClassRange() {
        // ignore index 0: background pixels drop out of every class's sums
        int[] shape = {2, 3, 2, 3};
        int[] y = labels(30, 12, 3, 0, 0);
        DiceOptions o = DiceOptions.DEFAULT.withIgnoreIndex(0).withIncludeBackground(true);
        GradCheck.of("softDice ignore 0", t -> Losses.softDice(t[0], t[1], o),
                v -> new double[] {softDice(v[0], shape, v[1], 1, true, 0)}).tolerance(ATOL, RTOL)
                .run(new NDArray[] {NDArrays.of(uniform(31, 36, -2, 2), shape), NDArrays.of(y, 2, 2, 3)},
                        new boolean[] {true, false});
    }

    @Test
    void largerImageAtTightTolerance() {
        int[] shape = {2, 4, 16, 16};
        int[] y = labels(32, 512, 4, 0.1, IGNORE);
        GradCheck.of("softDice [2, 4, 16, 16]", t -> Losses.softDice(t[0], t[1]),
                v -> new double[] {softDice(v[0], shape, v[1], 1, false, IGNORE)}).tolerance(1e-8, RTOL)
                .run(new NDArray[] {NDArrays.of(uniform(33, numel(shape), -4, 4), shape), NDArrays.of(y, 2, 16, 16)},
                        new boolean[] {true, false});
    }

    @Test
    void allIgnoredBatchGivesZeroLossAndGradient() {
        Tensor logits = Tensor.parameter(NDArrays.of(uniform(34, 16, -2, 2), 2, 2, 2, 2));
        int[] y = new int[8];
        Arrays.fill(y, IGNORE);
        Tensor loss = Losses.softDice(logits, Tensor.constant(NDArrays.of(y, 2, 2, 2)));
        assertEquals(0f, loss.item());
        loss.backward();
        Compare.assertClose("gradient", new double[16], logits.grad(), 0, 0);
    }

    @Test
    void diceCeAgainstTwinsAndFiniteDifferences() {
        long seed = 40;
        for (int[] shape : SHAPES) {
            int c = shape[1];
            int[] ts = targetShape(shape);
            int[] y = labels(seed++, numel(ts), c, 0.2, IGNORE);
            double[] w = uniform(seed++, c, 0.1, 1);
            for (DiceCeOptions o : new DiceCeOptions[] {
                DiceCeOptions.DEFAULT,
                DiceCeOptions.DEFAULT.withClassWeights(NDArrays.of(w, c)).withTermWeights(0.5, 2).withSmooth(0.1),
                DiceCeOptions.DEFAULT.withClassWeights(NDArrays.of(w, c)).withIncludeBackground(true)}) {
                double[] cw = o.classWeights() == null ? null : w;
                GradCheck.of("diceCe " + Shapes.str(shape) + " " + o, t -> Losses.diceCe(t[0], t[1], o),
                        v -> new double[] {
                            o.crossEntropyWeight() * classLoss(v[0], shape, v[1], cw, IGNORE, Reduction.MEAN, true)[0]
                                + o.diceWeight() * softDice(v[0], shape, v[1], o.smooth(), o.includeBackground(), IGNORE)})
                        .tolerance(ATOL, RTOL)
                        .run(new NDArray[] {NDArrays.of(uniform(seed++, numel(shape), -3, 3), shape), NDArrays.of(y, ts)},
                                new boolean[] {true, false});
            }
        }
    }

    @Test
    void diceCeIsTheSumOfItsTerms() {
        int[] shape = {2, 3, 4, 4};
        Tensor x = Tensor.constant(NDArrays.of(uniform(50, numel(shape), -2, 2), shape));
        Tensor y = Tensor.constant(NDArrays.of(labels(51, 32, 3, 0.1, 7), 2, 4, 4));
        NDArray w = NDArrays.of(new float[] {0.1f, 0.3f, 0.6f}, 3);
        DiceCeOptions o = DiceCeOptions.DEFAULT.withClassWeights(w).withIgnoreIndex(7);
        float ce = Losses.crossEntropy(x, y, new CrossEntropyOptions(w, 7, Reduction.MEAN)).item();
        float dice = Losses.softDice(x, y, DiceOptions.DEFAULT.withIgnoreIndex(7)).item();
        assertEquals(ce + dice, Losses.diceCe(x, y, o).item());
    }
}
