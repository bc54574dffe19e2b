package org.layerensembles.ensemble;

/** How {@link HeadCombiner} turns the kept heads into one prediction (METHOD.md §4). */
public enum CombineRule {
    /** Mean of the heads' softmax probabilities; label = argmax of the mean (the default). */
    MEAN,
    /** Majority vote of the heads' argmax labels; ties go to the lowest class index. */
    VOTE,
    /** The last (deepest) head alone. */
    LAST
}
