package org.layerensembles.uncertainty;

/**
 * Settings of the uncertainty computation (METHOD.md §5).
 *
 * @param epsilon          added inside every logarithm: {@code ln(p + epsilon)} (entropy, mutual
 *                         information, NLL); the method's value is {@code 1e-5}. Must be finite and
 *                         non-negative (with 0, a probability of exactly 0 makes the maps NaN).
 * @param normalisedScores how a map becomes an image-level score. {@code false} (the paper): the sum
 *                         of the map over the image's pixels (the volume's voxels for volumes).
 *                         {@code true}: the map is first min-max normalised over the image (volume),
 *                         {@code (m - min) / (max - min)}, then summed; a constant map (max == min)
 *                         normalises to all zeros, so its score is 0.
 */
public record UncertaintyOptions(double epsilon, boolean normalisedScores) {
    /** The method's value of epsilon. */
    public static final double DEFAULT_EPSILON = 1e-5;

    public UncertaintyOptions {
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and non-negative, got " + epsilon);
        }
    }

    /** epsilon = 1e-5, image scores are plain sums over pixels. */
    public static UncertaintyOptions defaults() {
        return new UncertaintyOptions(DEFAULT_EPSILON, false);
    }
}
