package org.layerensembles.autograd.loss;

import static org.layerensembles.core.backend.BinaryOp.ADD;
import static org.layerensembles.core.backend.BinaryOp.DIV;
import static org.layerensembles.core.backend.BinaryOp.MAX;
import static org.layerensembles.core.backend.BinaryOp.MUL;
import static org.layerensembles.core.backend.BinaryOp.SUB;

import java.util.Arrays;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.ops.IndexOps;
import org.layerensembles.autograd.ops.ReductionOps;
import org.layerensembles.autograd.ops.ShapeOps;
import org.layerensembles.autograd.ops.SoftmaxOps;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Loss functions, with PyTorch's semantics where PyTorch has the loss. Inputs are [N, C] or
 * [N, C, d1, ..., dk] (images: [N, C, H, W]) with the classes in dimension 1; class-index targets
 * are int32 [N] or [N, d1, ..., dk].
 *
 * <p>The class losses and soft Dice are compositions of differentiable ops (logSoftmax, gather,
 * softmax, sums), so autograd derives their gradients. Only {@link #bceWithLogits} is one fused
 * op with its own backward rule: composed from relu and abs it would have kinks at x = 0 and give
 * the wrong gradient there (PyTorch's is sigmoid(x) - t, smooth), and it saves a dozen graph nodes.
 *
 * <p>The targets are read on the host once per call, to check them (a label outside [0, C) that
 * is not the ignore index is an error naming it) and to build the per-element weights and masks.
 */
public final class Losses {
    private Losses() {
    }

    private static Backend backend() {
        return Autograd.backend();
    }

    // ---- cross-entropy and negative log-likelihood

    /** {@link #crossEntropy(Tensor, Tensor, CrossEntropyOptions)} with PyTorch's defaults (mean, ignore -100). */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, CrossEntropyOptions.DEFAULT);
    }

    /**
     * Cross-entropy of logits against class indices (PyTorch {@code CrossEntropyLoss} with class
     * index targets): {@code nll(logSoftmax(logits, 1), targets, options)}. Per element i with
     * label y_i not ignored: l_i = -w[y_i] * log softmax(x_i)[y_i] (w = 1 without weights).
     * <ul>
     *   <li>NONE: l, shaped like the targets, 0 at ignored elements;</li>
     *   <li>SUM: sum_i l_i;</li>
     *   <li>MEAN: sum_i l_i / sum_i w[y_i], both sums over the elements not ignored. When every
     *       element is ignored (or the weights of all labels present are 0) this is 0/0 = NaN, as
     *       in PyTorch; the logits' gradient is then 0 at every ignored element (and NaN at the
     *       elements whose class weight is 0, again as in PyTorch).</li>
     * </ul>
     * The gradient with respect to the logits is (softmax(x_i) - onehot(y_i)) * w[y_i] / divisor,
     * 0 at ignored elements.
     *
     * @param logits  float32 [N, C] or [N, C, d1, ..., dk]
     * @param targets int32 [N] or [N, d1, ..., dk], labels in [0, C) or the ignore index
     * @throws IllegalArgumentException for a non-int32 target, a target shape that is not the
     *                                  logits' without dimension 1, a label out of range (named),
     *                                  or class weights that are not float32 [C]
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, CrossEntropyOptions options) {
        ClassTargets t = ClassTargets.check("crossEntropy", "logits", logits, targets, options.ignoreIndex());
        float[] w = ClassTargets.classWeights("crossEntropy", options.weights(), t.classes);
        return nll(SoftmaxOps.logSoftmax(logits, 1), t, w, options.reduction());
    }

    /** {@link #nll(Tensor, Tensor, CrossEntropyOptions)} with PyTorch's defaults (mean, ignore -100). */
    public static Tensor nll(Tensor logProbabilities, Tensor targets) {
        return nll(logProbabilities, targets, CrossEntropyOptions.DEFAULT);
    }

    /**
     * Negative log-likelihood of log-probabilities (PyTorch {@code NLLLoss}): per element i not
     * ignored, l_i = -w[y_i] * logProbabilities[i, y_i]; reductions as in
     * {@link #crossEntropy(Tensor, Tensor, CrossEntropyOptions)}. The input is not checked to be
     * normalised (PyTorch does not either). Values at ignored elements are never read into the
     * result, so a -inf there is harmless.
     *
     * @param logProbabilities float32 [N, C] or [N, C, d1, ..., dk]
     * @param targets          int32 [N] or [N, d1, ..., dk]
     */
    public static Tensor nll(Tensor logProbabilities, Tensor targets, CrossEntropyOptions options) {
        ClassTargets t = ClassTargets.check("nll", "logProbabilities", logProbabilities, targets,
                options.ignoreIndex());
        float[] w = ClassTargets.classWeights("nll", options.weights(), t.classes);
        return nll(logProbabilities, t, w, options.reduction());
    }

    /** The NLL of checked targets: gather the target's log-probability, weight it, mask the ignored, reduce. */
    private static Tensor nll(Tensor logProbabilities, ClassTargets t, float[] classWeights, Reduction reduction) {
        Tensor picked = ShapeOps.squeeze(IndexOps.gather(logProbabilities, 1, Tensor.constant(t.gatherIndex())), 1);
        Tensor perElement = ElementwiseOps.neg(picked);
        if (classWeights != null) {
            perElement = ElementwiseOps.mul(perElement, Tensor.constant(t.elementWeights(classWeights)));
        }
        if (t.anyIgnored()) {
            // where, not a multiplication by 0: an ignored element's value (maybe -inf) never reaches the result
            perElement = ElementwiseOps.where(Tensor.constant(t.ignoredMask()), Tensor.constant(NDArrays.scalar(0f)),
                    perElement);
        }
        return switch (reduction) {
            case NONE -> perElement;
            case SUM -> ReductionOps.sum(perElement);
            case MEAN -> ElementwiseOps.div(ReductionOps.sum(perElement),
                    Tensor.constant(NDArrays.scalar((float) t.totalWeight(classWeights))));
        };
    }

    // ---- soft Dice

    /** {@link #softDice(Tensor, Tensor, DiceOptions)} with smooth 1 over the foreground classes. */
    public static Tensor softDice(Tensor logits, Tensor targets) {
        return softDice(logits, targets, DiceOptions.DEFAULT);
    }

    /**
     * Soft Dice loss from logits. p = softmax(logits) over dimension 1; g = one-hot of the
     * targets. For each class c taken (the foreground classes 1..C-1, or 0..C-1 with
     * {@code includeBackground}), with the sums over the whole batch and every pixel not ignored:
     * <pre>
     *   Dice_c = (2 * sum(p_c * g_c) + smooth) / (sum(p_c) + sum(g_c) + smooth)
     *   loss   = 1 - mean over the classes taken of Dice_c
     * </pre>
     * Binary segmentation (C = 2) is the same rule: Dice of the foreground channel p_1 alone. The
     * Dice is the batch's (one ratio per class over N and every pixel), not a mean of per-image
     * ratios. Ignored pixels (label == ignoreIndex) leave both p and g out of every sum, so a batch
     * whose pixels are all ignored has Dice_c = smooth / smooth = 1 and loss 0 with a zero gradient
     * (NaN with smooth 0). A scalar.
     *
     * @param logits  float32 [N, C, d1, ..., dk] (or [N, C]), C >= 2
     * @param targets int32 [N, d1, ..., dk] (or [N])
     * @throws IllegalArgumentException as {@link #crossEntropy}, or for C &lt; 2 (a one-channel
     *                                  sigmoid model wants {@link #bceWithLogits})
     */
    public static Tensor softDice(Tensor logits, Tensor targets, DiceOptions options) {
        ClassTargets t = ClassTargets.check("softDice", "logits", logits, targets, options.ignoreIndex());
        return softDice(logits, t, options);
    }

    private static Tensor softDice(Tensor logits, ClassTargets t, DiceOptions options) {
        int classes = t.classes;
        if (classes < 2) {
            throw new IllegalArgumentException("softDice: logits " + Shapes.str(logits.shape()) + " have " + classes
                    + " class; softmax Dice needs C >= 2 (a one-channel sigmoid model wants bceWithLogits)");
        }
        Tensor p = SoftmaxOps.softmax(logits, 1);
        NDArray g = backend().oneHot(t.safeLabels, classes, 1);
        int first = options.includeBackground() ? 0 : 1;
        if (first > 0) {
            p = ShapeOps.slice(p, 1, first, classes);
            g = g.slice(1, first, classes);
        }
        if (t.anyIgnored()) {
            NDArray kept = t.keptMask();   // [N, 1, d...], broadcast over the classes
            p = ElementwiseOps.where(Tensor.constant(kept), p, Tensor.constant(NDArrays.scalar(0f)));
            g = backend().binary(MUL, g, kept);
        }
        int[] axes = allButClassAxis(p.rank());
        Tensor intersection = ReductionOps.sum(ElementwiseOps.mul(p, Tensor.constant(g)), axes, false);
        Tensor predicted = ReductionOps.sum(p, axes, false);
        NDArray truth = backend().reduce(ReduceOp.SUM, g, axes, false);
        double smooth = options.smooth();
        Tensor numerator = ElementwiseOps.add(ElementwiseOps.mul(intersection, 2.0), smooth);
        Tensor denominator = ElementwiseOps.add(ElementwiseOps.add(predicted, Tensor.constant(truth)), smooth);
        Tensor dice = ElementwiseOps.div(numerator, denominator);
        return ElementwiseOps.add(ElementwiseOps.neg(ReductionOps.mean(dice)), 1.0);
    }

    private static int[] allButClassAxis(int rank) {
        int[] axes = new int[rank - 1];
        axes[0] = 0;
        for (int i = 2; i < rank; i++) {
            axes[i - 1] = i;
        }
        return axes;
    }

    // ---- Dice + cross-entropy

    /** {@link #diceCe(Tensor, Tensor, DiceCeOptions)} with the defaults: CE + Dice, no class weights. */
    public static Tensor diceCe(Tensor logits, Tensor targets) {
        return diceCe(logits, targets, DiceCeOptions.DEFAULT);
    }

    /**
     * The project's default per-head loss (METHOD.md section 3): crossEntropyWeight * CE +
     * diceWeight * softDice, CE with the class weights and reduction mean, both terms with the
     * same ignore index. The targets are checked once. A scalar.
     */
    public static Tensor diceCe(Tensor logits, Tensor targets, DiceCeOptions options) {
        ClassTargets t = ClassTargets.check("diceCe", "logits", logits, targets, options.ignoreIndex());
        float[] w = ClassTargets.classWeights("diceCe", options.classWeights(), t.classes);
        Tensor dice = softDice(logits, t, options.dice());
        Tensor ce = nll(SoftmaxOps.logSoftmax(logits, 1), t, w, Reduction.MEAN);
        return ElementwiseOps.add(scaled(ce, options.crossEntropyWeight()), scaled(dice, options.diceWeight()));
    }

    private static Tensor scaled(Tensor x, double factor) {
        return factor == 1 ? x : ElementwiseOps.mul(x, factor);
    }

    // ---- binary cross-entropy with logits

    /** {@link #bceWithLogits(Tensor, Tensor, BceOptions)} without a positive weight, mean. */
    public static Tensor bceWithLogits(Tensor logits, Tensor targets) {
        return bceWithLogits(logits, targets, BceOptions.DEFAULT);
    }

    /**
     * Binary cross-entropy on logits (PyTorch {@code BCEWithLogitsLoss}): per element, with
     * pw = posWeight (1 without) and sigma the logistic function,
     * <pre>
     *   l = -[pw * t * log sigma(x) + (1 - t) * log(1 - sigma(x))]
     *     = (1 - t) * x + (1 + (pw - 1) * t) * softplus(-x)
     *   softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))
     * </pre>
     * which is finite for every finite x (without pw it reads max(x, 0) - x * t +
     * log1p(exp(-|x|))). Gradients (PyTorch's):
     * dl/dx = (pw * t + 1 - t) * sigma(x) - pw * t (sigma(x) - t without pw), and, when the targets
     * require one, dl/dt = (pw - 1) * softplus(-x) - x. posWeight gets none. Then reduced: mean over
     * all elements, sum, or none. Targets are probabilities in [0, 1] (not checked, as in PyTorch).
     *
     * @param logits  float32, any shape
     * @param targets float32, the logits' shape
     */
    public static Tensor bceWithLogits(Tensor logits, Tensor targets, BceOptions options) {
        String op = "bceWithLogits";
        if (logits == null || targets == null) {
            throw new IllegalArgumentException(op + ": logits and targets must not be null");
        }
        if (logits.dtype() != DType.FLOAT32 || targets.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": logits and targets must be float32, got " + logits.dtype()
                    + " and " + targets.dtype() + (targets.dtype() == DType.INT32
                    ? " (cast 0/1 labels to float32; crossEntropy takes int32 class indices)" : ""));
        }
        if (!Arrays.equals(logits.shape(), targets.shape())) {
            throw new IllegalArgumentException(op + ": targets " + Shapes.str(targets.shape())
                    + " must have the shape of the logits " + Shapes.str(logits.shape()));
        }
        NDArray pw = options.posWeight();
        if (pw != null && !broadcastsTo(pw.shape(), logits.shape())) {
            throw new IllegalArgumentException(op + ": posWeight " + Shapes.str(pw.shape())
                    + " must broadcast to the logits' shape " + Shapes.str(logits.shape())
                    + " (a [C] vector lines up with the last dimension; use [C, 1, 1] for [N, C, H, W])");
        }
        Tensor perElement = bceWithLogitsElementwise(logits, targets, pw);
        return switch (options.reduction()) {
            case NONE -> perElement;
            case SUM -> ReductionOps.sum(perElement);
            case MEAN -> ReductionOps.mean(perElement);
        };
    }

    /** Whether {@code from} broadcasts (NumPy rules) to exactly {@code to}. */
    private static boolean broadcastsTo(int[] from, int[] to) {
        if (from.length > to.length) {
            return false;
        }
        for (int i = 1; i <= from.length; i++) {
            int f = from[from.length - i];
            if (f != 1 && f != to[to.length - i]) {
                return false;
            }
        }
        return true;
    }

    /** The fused elementwise op: forward and backward as documented on {@link #bceWithLogits}. */
    private static Tensor bceWithLogitsElementwise(Tensor logits, Tensor targets, NDArray posWeight) {
        Backend b = backend();
        NDArray x = logits.data();
        NDArray t = targets.data();
        NDArray one = NDArrays.scalar(1f);
        NDArray softplusNeg = softplusOfNegative(x);
        NDArray oneMinusT = b.binary(SUB, one, t);
        // pw * t and the "log weight" 1 + (pw - 1) * t = pw * t + 1 - t (PyTorch's names)
        NDArray pwT = posWeight == null ? null : b.binary(MUL, posWeight, t);
        NDArray logWeight = posWeight == null ? null : b.binary(ADD, pwT, oneMinusT);
        NDArray y = b.binary(ADD, b.binary(MUL, oneMinusT, x),
                logWeight == null ? softplusNeg : b.binary(MUL, logWeight, softplusNeg));
        return Tensor.fromOp("bceWithLogits", y, (g, needs) -> {
            NDArray dx = null;
            NDArray dt = null;
            if (needs[0]) {
                NDArray sigma = b.unary(UnaryOp.SIGMOID, x);
                NDArray d = logWeight == null ? b.binary(SUB, sigma, t) : b.binary(SUB, b.binary(MUL, logWeight, sigma), pwT);
                dx = b.binary(MUL, g, d);
            }
            if (needs[1]) {
                NDArray d = posWeight == null ? b.unary(UnaryOp.NEG, x)
                        : b.binary(SUB, b.binary(MUL, b.binary(SUB, posWeight, one), softplusNeg), x);
                dt = b.binary(MUL, g, d);
            }
            return new NDArray[] {dx, dt};
        }, logits, targets);
    }

    /**
     * log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)), finite for all finite x. log1p(u) is
     * computed as log(v) - ((v - 1) - u) / v with v = 1 + u rounded: the second term restores
     * what the rounding of 1 + u lost (exactly representable, since u is at most 1), so the result stays
     * accurate when exp(-|x|) is far below float32's epsilon (large |x|).
     */
    private static NDArray softplusOfNegative(NDArray x) {
        Backend b = backend();
        NDArray one = NDArrays.scalar(1f);
        NDArray negX = b.unary(UnaryOp.NEG, x);
        NDArray u = b.unary(UnaryOp.EXP, b.unary(UnaryOp.NEG, b.unary(UnaryOp.ABS, x)));
        NDArray v = b.binary(ADD, one, u);
        NDArray lost = b.binary(SUB, b.binary(SUB, v, one), u);
        NDArray log1p = b.binary(SUB, b.unary(UnaryOp.LOG, v), b.binary(DIV, lost, v));
        return b.binary(ADD, b.binary(MAX, negX, NDArrays.scalar(0f)), log1p);
    }
}
