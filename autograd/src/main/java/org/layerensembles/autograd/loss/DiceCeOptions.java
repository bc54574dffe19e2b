package org.layerensembles.autograd.loss;

import org.layerensembles.core.NDArray;

/**
 * Options of {@link Losses#diceCe}: crossEntropyWeight * CE(mean) + diceWeight * softDice, one
 * ignore index for both terms.
 *
 * @param classWeights       cross-entropy class weights, float32 [C], or null (see
 *                           {@link CrossEntropyOptions#weights()}); the Dice term is unweighted
 * @param ignoreIndex        label left out of both terms (default -100)
 * @param smooth             the Dice term's smoothing (see {@link DiceOptions#smooth()})
 * @param includeBackground  whether the Dice term averages over class 0 too
 * @param crossEntropyWeight factor of the cross-entropy term (default 1)
 * @param diceWeight         factor of the Dice term (default 1)
 */
public record DiceCeOptions(NDArray classWeights, int ignoreIndex, double smooth, boolean includeBackground,
                            double crossEntropyWeight, double diceWeight) {
    /** The project's default per-head loss: CE + soft Dice, no class weights, smooth 1, foreground Dice. */
    public static final DiceCeOptions DEFAULT = new DiceCeOptions(null, CrossEntropyOptions.DEFAULT_IGNORE_INDEX,
            DiceOptions.DEFAULT.smooth(), false, 1, 1);

    public DiceCeOptions {
        if (!Double.isFinite(crossEntropyWeight) || !Double.isFinite(diceWeight)) {
            throw new IllegalArgumentException("term weights must be finite, got cross-entropy " + crossEntropyWeight
                    + " and Dice " + diceWeight);
        }
        // the two option records check the rest
        crossEntropyOptions(classWeights, ignoreIndex);
        new DiceOptions(smooth, includeBackground, ignoreIndex);
    }

    private static CrossEntropyOptions crossEntropyOptions(NDArray classWeights, int ignoreIndex) {
        return new CrossEntropyOptions(classWeights, ignoreIndex, Reduction.MEAN);
    }

    /** The cross-entropy term's options (reduction mean). */
    public CrossEntropyOptions crossEntropy() {
        return crossEntropyOptions(classWeights, ignoreIndex);
    }

    /** The Dice term's options. */
    public DiceOptions dice() {
        return new DiceOptions(smooth, includeBackground, ignoreIndex);
    }

    public DiceCeOptions withClassWeights(NDArray weights) {
        return new DiceCeOptions(weights, ignoreIndex, smooth, includeBackground, crossEntropyWeight, diceWeight);
    }

    public DiceCeOptions withIgnoreIndex(int label) {
        return new DiceCeOptions(classWeights, label, smooth, includeBackground, crossEntropyWeight, diceWeight);
    }

    public DiceCeOptions withSmooth(double s) {
        return new DiceCeOptions(classWeights, ignoreIndex, s, includeBackground, crossEntropyWeight, diceWeight);
    }

    public DiceCeOptions withIncludeBackground(boolean include) {
        return new DiceCeOptions(classWeights, ignoreIndex, smooth, include, crossEntropyWeight, diceWeight);
    }

    public DiceCeOptions withTermWeights(double crossEntropy, double dice) {
        return new DiceCeOptions(classWeights, ignoreIndex, smooth, includeBackground, crossEntropy, dice);
    }
}
