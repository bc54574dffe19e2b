package org.layerensembles.autograd.loss;

/**
 * Options of {@link Losses#softDice}.
 *
 * @param smooth            added to the numerator and the denominator of every class's Dice
 *                          (>= 0). 1 by default: with sums over the whole batch it changes a
 *                          class that is present by a negligible amount, and it keeps a class
 *                          that is absent from the batch defined (its Dice is
 *                          smooth / (sum p + smooth), so the loss pushes its probability down).
 *                          With 0, a class absent from both prediction and target gives 0/0 = NaN.
 * @param includeBackground whether class 0 takes part in the mean over classes (default false:
 *                          the mean runs over the foreground classes 1..C-1, which for C = 2 is
 *                          the foreground channel alone)
 * @param ignoreIndex       pixels with this label are left out of every sum (both the
 *                          prediction's and the target's); default -100 as for cross-entropy
 */
public record DiceOptions(double smooth, boolean includeBackground, int ignoreIndex) {
    /** smooth 1, foreground classes only, ignore index -100. */
    public static final DiceOptions DEFAULT = new DiceOptions(1.0, false, CrossEntropyOptions.DEFAULT_IGNORE_INDEX);

    public DiceOptions {
        if (!(smooth >= 0) || Double.isInfinite(smooth)) {
            throw new IllegalArgumentException("smooth must be finite and >= 0, got " + smooth);
        }
    }

    public DiceOptions withSmooth(double s) {
        return new DiceOptions(s, includeBackground, ignoreIndex);
    }

    public DiceOptions withIncludeBackground(boolean include) {
        return new DiceOptions(smooth, include, ignoreIndex);
    }

    public DiceOptions withIgnoreIndex(int label) {
        return new DiceOptions(smooth, includeBackground, label);
    }
}
