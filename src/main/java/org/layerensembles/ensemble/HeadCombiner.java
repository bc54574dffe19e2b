package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BinaryOp;

/**
 * Combines the heads of a model into one prediction (METHOD.md §4): skip the first S (shallowest)
 * heads, then
 * <ul>
 *   <li>{@link CombineRule#MEAN} (default): p̄ = (1/T) Σ_t softmax(logits_t), summed in head order
 *       and divided by T once; label = argmax_c p̄;</li>
 *   <li>{@link CombineRule#VOTE}: each kept head votes for its argmax class; label = the class
 *       with most votes, <b>ties to the lowest class index</b> (so a 2-2 split between classes 1
 *       and 3 gives 1, and a pixel where every class has one vote gives 0); the probabilities are
 *       the vote fractions;</li>
 *   <li>{@link CombineRule#LAST}: the last head's softmax and argmax (S is only checked).</li>
 * </ul>
 * Every argmax (a head's, and the final one of MEAN and LAST) picks the lowest class index on
 * exact ties; for MEAN, p̄ is a float32 sum in head order, so probabilities that tie in exact
 * arithmetic may differ in the last bit and not tie.
 *
 * <p>Works on the logits' arrays with the current backend ({@link Autograd#backend()}), so it records
 * no graph whatever the grad mode; results and temporaries live in the current memory scope.
 * Logits must be float32 [N, C, H, W] with C >= 2 (binary tasks use two channels, background and
 * foreground), all heads the same shape; 0 <= S < number of heads.
 */
public final class HeadCombiner {
    private HeadCombiner() {
    }

    /** Combines the heads of {@code heads} after skipping the first {@code skip}. */
    public static Combination combine(HeadOutputs heads, CombineRule rule, int skip) {
        Objects.requireNonNull(heads, "HeadCombiner: heads are null");
        return combine(logitsOf(heads), rule, skip);
    }

    /** Combines logits arrays [N, C, H, W] (one per head, shallow to deep). */
    public static Combination combine(List<NDArray> logits, CombineRule rule, int skip) {
        Objects.requireNonNull(rule, "HeadCombiner: rule is null");
        check(logits, skip);
        return switch (rule) {
            case MEAN -> mean(logits, skip);
            case VOTE -> vote(logits, skip);
            case LAST -> last(logits, skip);
        };
    }

    /** {@link CombineRule#MEAN} with S = {@code skip}. */
    public static Combination mean(HeadOutputs heads, int skip) {
        return combine(heads, CombineRule.MEAN, skip);
    }

    /** {@link CombineRule#VOTE} with S = {@code skip}. */
    public static Combination vote(HeadOutputs heads, int skip) {
        return combine(heads, CombineRule.VOTE, skip);
    }

    /** {@link CombineRule#LAST}. */
    public static Combination last(HeadOutputs heads) {
        return combine(heads, CombineRule.LAST, 0);
    }

    /** softmax over classes of each kept head (t = S..N-1): the p_t of METHOD.md §4-5. */
    public static List<NDArray> probabilities(HeadOutputs heads, int skip) {
        Objects.requireNonNull(heads, "HeadCombiner: heads are null");
        List<NDArray> logits = logitsOf(heads);
        check(logits, skip);
        Backend b = Autograd.backend();
        List<NDArray> out = new ArrayList<>();
        for (int t = skip; t < logits.size(); t++) {
            out.add(b.softmax(logits.get(t), 1));
        }
        return out;
    }

    private static List<NDArray> logitsOf(HeadOutputs heads) {
        List<NDArray> out = new ArrayList<>(heads.size());
        heads.forEach(h -> out.add(h.logits().data()));
        return out;
    }

    private static Combination mean(List<NDArray> logits, int skip) {
        Backend b = Autograd.backend();
        int used = logits.size() - skip;
        NDArray sum = b.softmax(logits.get(skip), 1);
        for (int t = skip + 1; t < logits.size(); t++) {
            sum = b.binary(BinaryOp.ADD, sum, b.softmax(logits.get(t), 1));
        }
        NDArray mean = used == 1 ? sum : b.binary(BinaryOp.DIV, sum, NDArrays.scalar(used));
        return new Combination(CombineRule.MEAN, skip, used, mean, b.argmax(mean, 1, false));
    }

    private static Combination vote(List<NDArray> logits, int skip) {
        Backend b = Autograd.backend();
        int classes = logits.get(0).size(1);
        int used = logits.size() - skip;
        NDArray votes = null;
        for (int t = skip; t < logits.size(); t++) {
            NDArray oneHot = b.oneHot(b.argmax(logits.get(t), 1, false), classes, 1);
            votes = votes == null ? oneHot : b.binary(BinaryOp.ADD, votes, oneHot);
        }
        // Vote counts are small integers, exact in float32; argmax takes the first maximum.
        NDArray labels = b.argmax(votes, 1, false);
        NDArray fractions = used == 1 ? votes : b.binary(BinaryOp.DIV, votes, NDArrays.scalar(used));
        return new Combination(CombineRule.VOTE, skip, used, fractions, labels);
    }

    private static Combination last(List<NDArray> logits, int skip) {
        Backend b = Autograd.backend();
        NDArray p = b.softmax(logits.get(logits.size() - 1), 1);
        return new Combination(CombineRule.LAST, skip, 1, p, b.argmax(p, 1, false));
    }

    private static void check(List<NDArray> logits, int skip) {
        Objects.requireNonNull(logits, "HeadCombiner: logits are null");
        if (logits.isEmpty()) {
            throw new IllegalArgumentException("HeadCombiner: no heads to combine");
        }
        if (skip < 0 || skip >= logits.size()) {
            throw new IllegalArgumentException("HeadCombiner: cannot skip " + skip + " of " + logits.size()
                    + " heads: S must be in [0, " + (logits.size() - 1) + "] so at least one head remains");
        }
        int[] shape = logits.get(0).shape();
        for (int t = 0; t < logits.size(); t++) {
            NDArray l = Objects.requireNonNull(logits.get(t), "HeadCombiner: logits of head " + t + " are null");
            if (l.dtype() != DType.FLOAT32 || l.rank() != 4) {
                throw new IllegalArgumentException("HeadCombiner: head " + t + "'s logits must be float32 [N, C, H, W],"
                        + " got " + l.dtype() + " " + Shapes.str(l.shape()));
            }
            if (!Arrays.equals(shape, l.shape())) {
                throw new IllegalArgumentException("HeadCombiner: head " + t + "'s logits are " + Shapes.str(l.shape())
                        + ", head 0's " + Shapes.str(shape));
            }
        }
        if (shape[1] < 2) {
            throw new IllegalArgumentException("HeadCombiner: logits need C >= 2 classes (softmax over one channel is "
                    + "always 1; binary tasks use background and foreground channels), got " + Shapes.str(shape));
        }
    }
}
