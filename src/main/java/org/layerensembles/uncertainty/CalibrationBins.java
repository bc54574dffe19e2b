package org.layerensembles.uncertainty;

/**
 * Per-image calibration statistics over every pixel (no subsampling), for ECE, reliability
 * diagrams and the Brier score (METHOD.md §6). The confidence of a pixel is max_c p̄(c, x), its
 * prediction the label map's class; it is correct when that equals the ground truth.
 *
 * <p>Binning: {@value #BINS} equal-width bins over [0, 1]; a confidence {@code s} falls in bin
 * {@code min(BINS - 1, floor(s * BINS))}, so bins are [lo, hi) except the last, [14/15, 1]. (The
 * confidence, computed in double precision from the float32 head probabilities, is never below
 * 1/C.) Adaptive (equal-mass) ECE needs the sorted confidences and is not computed here.
 *
 * @param counts         [images][BINS] pixels per bin
 * @param confidenceSums [images][BINS] sum of the confidences of the bin's pixels
 * @param accuracySums   [images][BINS] number of the bin's pixels predicted correctly
 * @param brierSums      [images] Σ_x Σ_c (p̄(c, x) - [c == truth(x)])²
 * @param pixels         [images] pixels (voxels) of the image (volume)
 */
public record CalibrationBins(long[][] counts, double[][] confidenceSums, double[][] accuracySums,
                              double[] brierSums, long[] pixels) {
    /** Number of equal-width bins. */
    public static final int BINS = 15;

    /** The bin of a confidence in [0, 1]. */
    public static int bin(double confidence) {
        int b = (int) (confidence * BINS);
        return Math.max(0, Math.min(BINS - 1, b));
    }

    public int images() {
        return pixels.length;
    }

    /** Expected calibration error of one image: Σ_b |accuracySum_b - confidenceSum_b| / pixels. */
    public double ece(int image) {
        double s = 0;
        for (int b = 0; b < BINS; b++) {
            s += Math.abs(accuracySums[image][b] - confidenceSums[image][b]);
        }
        return s / pixels[image];
    }

    /** Brier score of one image: the mean over pixels of Σ_c (p̄_c - y_c)² (summed over classes). */
    public double brier(int image) {
        return brierSums[image] / pixels[image];
    }
}
