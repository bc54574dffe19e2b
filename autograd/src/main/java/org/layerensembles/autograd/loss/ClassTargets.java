package org.layerensembles.autograd.loss;

import java.util.Arrays;
import org.layerensembles.autograd.BackendArrays;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;

/**
 * Class-index targets checked against a [N, C, d1..dk] input, read once on the host and turned
 * into the constants the class losses need. Ignored elements are given label 0 in
 * {@link #safeLabels} (so that gathers and one-hots stay in range); every loss masks them out.
 */
final class ClassTargets {
    /** The targets' shape, [N, d1..dk]. */
    final int[] shape;
    /** Number of classes C. */
    final int classes;
    /** Row-major labels as given. */
    private final int[] labels;
    private final int ignoreIndex;
    /** Number of elements whose label is the ignore index. */
    final int ignoredCount;
    /** The targets as given (their device is where every array made here goes). */
    private final NDArray targets;
    /** int32 [N, d1..dk]: the labels, 0 where ignored. */
    final NDArray safeLabels;

    private ClassTargets(NDArray targets, int[] shape, int classes, int[] labels, int ignoreIndex) {
        this.targets = targets;
        this.shape = shape;
        this.classes = classes;
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
        int ignored = 0;
        int[] safe = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == ignoreIndex) {
                ignored++;
            } else {
                safe[i] = labels[i];
            }
        }
        this.ignoredCount = ignored;
        this.safeLabels = placed(NDArrays.of(safe, shape));
    }

    /**
     * Checks that {@code input} is float32 [N, C, d1..dk] and {@code targets} int32 [N, d1..dk]
     * with every label in [0, C) or equal to {@code ignoreIndex}.
     *
     * @param op    the loss, for messages
     * @param input what the class dimension 1 is read from (logits or log-probabilities)
     */
    static ClassTargets check(String op, String inputName, Tensor input, Tensor targets, int ignoreIndex) {
        if (input == null || targets == null) {
            throw new IllegalArgumentException(op + ": " + inputName + " and targets must not be null");
        }
        int[] in = input.shape();
        if (input.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": " + inputName + " must be float32, got " + input.dtype() + " "
                    + Shapes.str(in));
        }
        if (in.length < 2) {
            throw new IllegalArgumentException(op + ": " + inputName + " must be [N, C] or [N, C, d1, ...] with the"
                    + " classes in dimension 1, got " + Shapes.str(in));
        }
        if (targets.dtype() != DType.INT32) {
            throw new IllegalArgumentException(op + ": targets must be int32 class indices, got " + targets.dtype() + " "
                    + Shapes.str(targets.shape()) + (targets.dtype() == DType.FLOAT32
                    ? " (cast float labels to int32; bceWithLogits takes float targets)" : ""));
        }
        int[] expected = withoutClassDim(in);
        int[] ts = targets.shape();
        if (!Arrays.equals(ts, expected)) {
            throw new IllegalArgumentException(op + ": targets " + Shapes.str(ts) + " must have the shape of "
                    + inputName + " " + Shapes.str(in) + " without its class dimension 1, i.e. "
                    + Shapes.str(expected));
        }
        int classes = in[1];
        int[] labels = BackendArrays.onHostCopy(targets.data()).toIntArray();
        for (int i = 0; i < labels.length; i++) {
            int v = labels[i];
            if ((v < 0 || v >= classes) && v != ignoreIndex) {
                throw new IllegalArgumentException(op + ": target label " + v + " at "
                        + Arrays.toString(unflat(ts, i)) + " of targets " + Shapes.str(ts) + " is outside [0, "
                        + classes + ") and is not the ignore index " + ignoreIndex);
            }
        }
        return new ClassTargets(targets.data(), ts, classes, labels, ignoreIndex);
    }

    /** Checks class weights against C and returns them as floats, or null when there are none. */
    static float[] classWeights(String op, NDArray weights, int classes) {
        if (weights == null) {
            return null;
        }
        if (weights.dtype() != DType.FLOAT32 || !Arrays.equals(weights.shape(), new int[] {classes})) {
            throw new IllegalArgumentException(op + ": class weights must be float32 [" + classes + "], one per class,"
                    + " got " + weights.dtype() + " " + Shapes.str(weights.shape()));
        }
        return weights.toFloatArray();
    }

    /** A host array made from the labels, moved to the targets' device. */
    private NDArray placed(NDArray host) {
        return BackendArrays.placedLike(host, targets);
    }

    boolean anyIgnored() {
        return ignoredCount > 0;
    }

    /** int32 [N, 1, d1..dk]: the safe labels with the class dimension, ready for a gather along it. */
    NDArray gatherIndex() {
        return safeLabels.reshape(withClassDim(1));
    }

    /** float32 [N, d1..dk]: 1 where the label is the ignore index, else 0. */
    NDArray ignoredMask() {
        float[] m = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            m[i] = labels[i] == ignoreIndex ? 1f : 0f;
        }
        return placed(NDArrays.of(m, shape));
    }

    /** float32 [N, 1, d1..dk]: 0 where the label is the ignore index, else 1. */
    NDArray keptMask() {
        float[] m = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            m[i] = labels[i] == ignoreIndex ? 0f : 1f;
        }
        return placed(NDArrays.of(m, withClassDim(1)));
    }

    /** float32 [N, d1..dk]: w[y_i] per element, 0 where ignored. */
    NDArray elementWeights(float[] classWeights) {
        float[] w = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            w[i] = labels[i] == ignoreIndex ? 0f : classWeights[labels[i]];
        }
        return placed(NDArrays.of(w, shape));
    }

    /**
     * The mean's divisor: sum of w[y_i] over the elements not ignored (summed in double), or
     * their count when {@code classWeights} is null. 0 when every element is ignored.
     */
    double totalWeight(float[] classWeights) {
        if (classWeights == null) {
            return labels.length - ignoredCount;
        }
        double total = 0;
        for (int label : labels) {
            if (label != ignoreIndex) {
                total += classWeights[label];
            }
        }
        return total;
    }

    /** The targets' shape with a class dimension of the given extent at 1. */
    int[] withClassDim(int extent) {
        int[] s = new int[shape.length + 1];
        s[0] = shape[0];
        s[1] = extent;
        System.arraycopy(shape, 1, s, 2, shape.length - 1);
        return s;
    }

    static int[] withoutClassDim(int[] inputShape) {
        int[] s = new int[inputShape.length - 1];
        s[0] = inputShape[0];
        System.arraycopy(inputShape, 2, s, 1, inputShape.length - 2);
        return s;
    }

    private static int[] unflat(int[] shape, int pos) {
        int[] index = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            index[d] = pos % shape[d];
            pos /= shape[d];
        }
        return index;
    }
}
