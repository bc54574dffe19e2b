package org.layerensembles.uncertainty;

import org.layerensembles.core.NDArray;

/**
 * What {@link Uncertainty} and {@link FusedUncertainty} compute from the kept heads' softmax
 * probabilities. Maps keep the input's layout; per-image values have one entry per image (per
 * slice of the batch), or a single entry when the batch was one volume
 * ({@code computeVolume}). All arrays are newly made in the caller's current memory scope.
 *
 * @param meanProbabilities float32 [N, C, H, W]: p̄ = (1/T) Σ_t p_t
 * @param labels            int32 [N, H, W]: argmax_c p̄ (the first class wins ties)
 * @param entropy           float32 [N, H, W]: H(x) = -Σ_c p̄ ln(p̄ + ε)
 * @param mutualInformation float32 [N, H, W]: H(x) - (1/T) Σ_t [-Σ_c p_t ln(p_t + ε)]; not clamped,
 *                          so rounding may leave values of order -1e-16 where the heads agree
 * @param variance          float32 [N, H, W]: variance of the heads' hard labels; with q_c the
 *                          fraction of heads whose argmax is c, (1/C) Σ_c q_c (1 - q_c) over all C
 *                          classes, background included. For C = 2 this equals q(1 - q) with q
 *                          the foreground fraction, so binary and multi-class agree.
 * @param softVariance      float32 [N, H, W]: Σ_c var_t(p_t(c, x)), population variance over the T
 *                          heads (divide by T; 0 for one head)
 * @param entropyScore      per image: the entropy map's score (sum, or min-max-normalised sum,
 *                          see {@link UncertaintyOptions})
 * @param miScore           per image: the mutual-information map's score
 * @param varianceScore     per image: the hard-label variance map's score
 * @param agreement         [images][T - 1]: a_k = DSC(L_k > 0, L_{k+1} > 0) of adjacent kept heads,
 *                          1.0 when both masks are empty; empty rows when T = 1
 * @param aula              per image: Σ_k a_k - (a_first + a_last)/2 (trapezoid, unit spacing);
 *                          NaN when T = 1 (no curve), 0 when T = 2 (one point has no area);
 *                          maximum T - 2. Higher = more certain.
 * @param aulaPerClass      multi-class (C > 2) only, else null: [images][C], class c's AULA from
 *                          a_k = DSC(L_k == c, L_{k+1} == c); entry 0 (background) is NaN
 * @param nll               per image: -mean over pixels of ln(p̄(true class) + ε); null without
 *                          ground truth
 * @param dice              per image: DSC of (labels > 0) against (ground truth > 0), 1.0 when both
 *                          are empty; null without ground truth
 * @param dicePerClass      multi-class with ground truth only, else null: [images][C], DSC of
 *                          labels == c against ground truth == c; entry 0 is NaN
 */
public record UncertaintyResult(
        NDArray meanProbabilities,
        NDArray labels,
        NDArray entropy,
        NDArray mutualInformation,
        NDArray variance,
        NDArray softVariance,
        double[] entropyScore,
        double[] miScore,
        double[] varianceScore,
        double[][] agreement,
        double[] aula,
        double[][] aulaPerClass,
        double[] nll,
        double[] dice,
        double[][] dicePerClass) {
}
