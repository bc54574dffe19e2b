package org.layerensembles.autograd.loss;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/** Bad inputs fail up front with an {@link IllegalArgumentException} whose message says what is wrong. */
class LossErrorsTest {
    private static final Tensor LOGITS = Tensor.constant(NDArrays.zeros(2, 3, 4, 4));

    private static Tensor labels(int[] v, int... shape) {
        return Tensor.constant(NDArrays.of(v, shape));
    }

    private static Tensor validLabels() {
        return labels(new int[32], 2, 4, 4);
    }

    private static void assertFails(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
        }
    }

    /** Every class-index loss, so each check is exercised on all of them. */
    private static final String[] NAMES = {"crossEntropy", "nll", "softDice", "diceCe"};

    private static Function<Tensor[], Tensor> classLoss(String name) {
        return switch (name) {
            case "crossEntropy" -> t -> Losses.crossEntropy(t[0], t[1]);
            case "nll" -> t -> Losses.nll(t[0], t[1]);
            case "softDice" -> t -> Losses.softDice(t[0], t[1]);
            default -> t -> Losses.diceCe(t[0], t[1]);
        };
    }

    @Test
    void targetsMustBeInt32() {
        for (String name : NAMES) {
            Tensor floatTargets = Tensor.constant(NDArrays.zeros(2, 4, 4));
            assertFails(() -> classLoss(name).apply(new Tensor[] {LOGITS, floatTargets}), name, "int32", "got float32");
        }
    }

    @Test
    void targetShapeMustBeTheLogitsWithoutTheClassDimension() {
        for (String name : NAMES) {
            assertFails(() -> classLoss(name).apply(new Tensor[] {LOGITS, labels(new int[40], 2, 4, 5)}),
                    name, "[2, 4, 5]", "[2, 3, 4, 4]", "[2, 4, 4]");
            assertFails(() -> classLoss(name).apply(new Tensor[] {LOGITS, labels(new int[2], 2)}), name, "[2, 4, 4]");
            assertFails(() -> classLoss(name).apply(new Tensor[] {Tensor.constant(NDArrays.zeros(3)),
                labels(new int[3], 3)}), name, "[N, C]");
        }
    }

    @Test
    void labelsOutsideTheClassesAreNamed() {
        for (String name : NAMES) {
            int[] y = new int[32];
            y[21] = 3;                          // C = 3: classes 0..2
            assertFails(() -> classLoss(name).apply(new Tensor[] {LOGITS, labels(y, 2, 4, 4)}),
                    name, "label 3", "[1, 1, 1]", "[0, 3)", "-100");
            y[21] = -1;                         // negative, and not the ignore index
            assertFails(() -> classLoss(name).apply(new Tensor[] {LOGITS, labels(y, 2, 4, 4)}), name, "label -1");
            y[21] = 255;
            assertFails(() -> classLoss(name).apply(new Tensor[] {LOGITS, labels(y, 2, 4, 4)}), name, "label 255");
        }
        // the same label is accepted once it is the ignore index
        int[] y = new int[32];
        y[5] = 255;
        Losses.crossEntropy(LOGITS, labels(y, 2, 4, 4), CrossEntropyOptions.DEFAULT.withIgnoreIndex(255));
        Losses.softDice(LOGITS, labels(y, 2, 4, 4), DiceOptions.DEFAULT.withIgnoreIndex(255));
    }

    @Test
    void classWeightsMustHaveOneFloatPerClass() {
        NDArray four = NDArrays.ones(4);
        assertFails(() -> Losses.crossEntropy(LOGITS, validLabels(), CrossEntropyOptions.DEFAULT.withWeights(four)),
                "crossEntropy", "float32 [3]", "[4]");
        assertFails(() -> Losses.nll(LOGITS, validLabels(), CrossEntropyOptions.DEFAULT.withWeights(four)), "nll", "[4]");
        assertFails(() -> Losses.diceCe(LOGITS, validLabels(), DiceCeOptions.DEFAULT.withClassWeights(four)),
                "diceCe", "[4]");
        assertFails(() -> CrossEntropyOptions.DEFAULT.withWeights(NDArrays.of(new int[] {1, 1, 1}, 3)), "float32",
                "got int32");
        assertFails(() -> CrossEntropyOptions.DEFAULT.withWeights(NDArrays.ones(3, 1)), "[3, 1]");
    }

    @Test
    void logitsMustBeFloat32() {
        Tensor intLogits = labels(new int[6], 2, 3);
        assertFails(() -> Losses.crossEntropy(intLogits, labels(new int[2], 2)), "logits must be float32");
    }

    @Test
    void diceNeedsTwoClasses() {
        assertFails(() -> Losses.softDice(Tensor.constant(NDArrays.zeros(2, 1, 3)), labels(new int[6], 2, 3)),
                "softDice", "C >= 2", "bceWithLogits");
    }

    @Test
    void diceAndTermOptionsAreChecked() {
        assertFails(() -> DiceOptions.DEFAULT.withSmooth(-1), "smooth");
        assertFails(() -> DiceOptions.DEFAULT.withSmooth(Double.NaN), "smooth");
        assertFails(() -> DiceCeOptions.DEFAULT.withTermWeights(Double.POSITIVE_INFINITY, 1), "term weights");
    }

    @Test
    void bceChecksItsInputs() {
        Tensor x = Tensor.constant(NDArrays.zeros(2, 3, 4, 4));
        assertFails(() -> Losses.bceWithLogits(x, labels(new int[96], 2, 3, 4, 4)), "bceWithLogits", "float32",
                "and int32");
        assertFails(() -> Losses.bceWithLogits(x, Tensor.constant(NDArrays.zeros(2, 3, 4))), "bceWithLogits",
                "[2, 3, 4]", "[2, 3, 4, 4]");
        assertFails(() -> Losses.bceWithLogits(x, Tensor.constant(NDArrays.zeros(2, 3, 4, 4)),
                BceOptions.DEFAULT.withPosWeight(NDArrays.ones(3))), "posWeight", "[3]", "[C, 1, 1]");
        assertFails(() -> BceOptions.DEFAULT.withPosWeight(NDArrays.of(new int[] {1}, 1)), "posWeight", "float32");
    }
}
