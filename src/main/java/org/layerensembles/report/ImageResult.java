package org.layerensembles.report;

import java.util.Arrays;
import java.util.Objects;

/**
 * The evaluation of one test image by one method (METHOD.md §5-6): segmentation quality against
 * the ground truth and the image-level uncertainty scores.
 *
 * <p>{@code NaN} marks a value the method does not have: a one-output method (Plain) has no mutual
 * information, variance or AULA, and its {@code agreements} is an empty array. Distances may be
 * {@code +Infinity} when exactly one of the two masks is empty (METHOD.md §6); summaries replace
 * them by a documented rule (see {@link ReportWriter}).
 *
 * @param method            method name: "LE", "Plain", "MH" or "DE"
 * @param image             image (sample) name
 * @param dice              Dice similarity coefficient of the combined prediction
 * @param hd95              95th-percentile Hausdorff distance
 * @param mhd               modified Hausdorff distance (Dubuisson-Jain)
 * @param nll               per-image negative log-likelihood
 * @param entropy           image-level predictive entropy (sum of the entropy map)
 * @param mutualInformation image-level mutual information
 * @param variance          image-level variance of the heads' hard labels
 * @param aula              area under layer agreement (higher = more certain)
 * @param agreements        the agreement curve a_k between adjacent kept heads; empty if none
 */
public record ImageResult(String method, String image, double dice, double hd95, double mhd,
                          double nll, double entropy, double mutualInformation, double variance,
                          double aula, double[] agreements) {

    public ImageResult {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(image, "image");
        agreements = agreements == null ? new double[0] : agreements.clone();
    }

    /** A copy of the agreement curve. */
    @Override
    public double[] agreements() {
        return agreements.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageResult r && method.equals(r.method) && image.equals(r.image)
                && Double.compare(dice, r.dice) == 0 && Double.compare(hd95, r.hd95) == 0
                && Double.compare(mhd, r.mhd) == 0 && Double.compare(nll, r.nll) == 0
                && Double.compare(entropy, r.entropy) == 0
                && Double.compare(mutualInformation, r.mutualInformation) == 0
                && Double.compare(variance, r.variance) == 0 && Double.compare(aula, r.aula) == 0
                && Arrays.equals(agreements, r.agreements);
    }

    @Override
    public int hashCode() {
        return Objects.hash(method, image, dice, hd95, mhd, nll, entropy, mutualInformation,
                variance, aula, Arrays.hashCode(agreements));
    }

    @Override
    public String toString() {
        return "ImageResult[method=" + method + ", image=" + image + ", dice=" + dice
                + ", hd95=" + hd95 + ", mhd=" + mhd + ", nll=" + nll + ", entropy=" + entropy
                + ", mutualInformation=" + mutualInformation + ", variance=" + variance
                + ", aula=" + aula + ", agreements=" + Arrays.toString(agreements) + "]";
    }
}
