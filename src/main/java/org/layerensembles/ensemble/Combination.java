package org.layerensembles.ensemble;

import org.layerensembles.core.NDArray;

/**
 * One combined prediction of several heads.
 *
 * @param rule          how it was combined
 * @param skipped       S, the shallow heads left out
 * @param used          T, the heads combined (N - S; 1 for {@link CombineRule#LAST})
 * @param probabilities float32 [N, C, H, W], per pixel a distribution over the classes:
 *                      for MEAN the mean softmax p̄; for LAST the last head's softmax; for VOTE the
 *                      vote fractions q_c (share of the used heads whose argmax is c)
 * @param labels        int32 [N, H, W], the predicted class per pixel
 */
public record Combination(CombineRule rule, int skipped, int used, NDArray probabilities, NDArray labels) {
}
