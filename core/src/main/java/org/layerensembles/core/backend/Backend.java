package org.layerensembles.core.backend;

import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;

/**
 * The primitives every backend provides (DESIGN.md decision 6). Everything a U-Net needs to
 * train, forward and backward, and nothing more: {@code Tensor} ops in autograd are built from
 * these.
 *
 * <p>Conventions: results are new contiguous arrays in the current memory scope; inputs may be
 * any views (non-contiguous, broadcast). Images are [N, C, H, W]. Float inputs are float32;
 * labels and indices int32. Bad shapes, dtypes or arguments throw
 * {@link IllegalArgumentException} naming the op and the shapes. A reduction's result does not
 * depend on the number of threads.
 */
public interface Backend {

    /** Short name shown in every result and benchmark line, e.g. "cpu". */
    String name();

    // ---- memory and movement

    /** A new uninitialised contiguous array. */
    NDArray empty(DType dtype, int... shape);

    /** Sets every element of {@code out} (a view or a whole array) to {@code value}. */
    void fill(NDArray out, double value);

    /**
     * {@code host} in this backend's memory: the same array on a host backend, a device copy (in
     * the current memory scope) on an accelerator backend. Arrays already there come back as they are.
     */
    default NDArray toDevice(NDArray host) {
        return host;
    }

    /**
     * {@code x} in host memory: the same array on a host backend, a host copy (in the current
     * memory scope) of a device array on an accelerator backend.
     */
    default NDArray toHost(NDArray x) {
        return x;
    }

    /** Copies {@code src} into {@code dst} element by element; shapes and dtypes must match. */
    void copy(NDArray src, NDArray dst);

    /** Float32 to int32 (truncation toward zero) or int32 to float32. */
    NDArray cast(NDArray x, DType dtype);

    /** Fills {@code out} with values uniform in [low, high); element i takes the i-th draw. */
    void randomUniform(NDArray out, SeededRandom rng, double low, double high);

    /** Fills {@code out} with normal values; element i takes the i-th draw. */
    void randomNormal(NDArray out, SeededRandom rng, double mean, double std);

    // ---- elementwise

    /** y = op(x). */
    NDArray unary(UnaryOp op, NDArray x);

    /**
     * dL/dx of y = op(x) given dL/dy. {@code y} is the forward output (used by exp, sqrt,
     * sigmoid, tanh); {@code x} the forward input (used by log, abs, relu).
     */
    NDArray unaryBackward(UnaryOp op, NDArray x, NDArray y, NDArray gradY);

    /** a op b with broadcasting; the result has the broadcast shape. */
    NDArray binary(BinaryOp op, NDArray a, NDArray b);

    /**
     * out = a op b with a and b broadcast to out's shape; {@code out} may be {@code a} itself
     * (e.g. accumulating a gradient in place), but must not otherwise overlap a or b.
     */
    void binaryInto(BinaryOp op, NDArray a, NDArray b, NDArray out);

    /** min(max(x, min), max). */
    NDArray clamp(NDArray x, double min, double max);

    /** gradY where min <= x <= max, else 0. */
    NDArray clampBackward(NDArray x, NDArray gradY, double min, double max);

    /** a where condition != 0, else b; all three broadcast. Condition float32 or int32. */
    NDArray where(NDArray condition, NDArray a, NDArray b);

    // ---- reductions

    /** Reduces over the given axes (negative counts from the end; none = all axes). */
    NDArray reduce(ReduceOp op, NDArray x, int[] axes, boolean keepDims);

    /** int32 index of the largest element along an axis (the first one on ties). */
    NDArray argmax(NDArray x, int axis, boolean keepDims);

    /**
     * Sums {@code x} down to {@code shape}, which x's shape is a broadcast of: the gradient of
     * broadcasting.
     */
    NDArray sumTo(NDArray x, int... shape);

    // ---- linear algebra

    /**
     * Batched matrix product of [..., M, K] and [..., K, N] (after the optional transposes of the
     * last two dimensions); leading dimensions broadcast. Any rank >= 2.
     */
    NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB);

    // ---- convolution (weights [F, C, KH, KW], groups = 1)

    /** Cross-correlation of x [N, C, H, W] with w, plus bias [F] when not null. */
    NDArray conv2d(NDArray x, NDArray w, NDArray bias, Conv2dParams p);

    /** dL/dx of conv2d given dL/dy [N, F, OH, OW]; also the forward of a transposed convolution. */
    NDArray conv2dBackwardData(NDArray gradY, NDArray w, int[] inputShape, Conv2dParams p);

    /** dL/dw of conv2d given the input and dL/dy. (dL/dbias is a sum over N, OH, OW.) */
    NDArray conv2dBackwardWeights(NDArray x, NDArray gradY, int[] weightShape, Conv2dParams p);

    // ---- pooling

    MaxPoolResult maxPool2d(NDArray x, Pool2dParams p);

    /** Routes each output gradient to the input position recorded in {@code indices}. */
    NDArray maxPool2dBackward(NDArray gradY, NDArray indices, int[] inputShape);

    NDArray avgPool2d(NDArray x, Pool2dParams p);

    NDArray avgPool2dBackward(NDArray gradY, int[] inputShape, Pool2dParams p);

    /** Mean over H and W: [N, C, H, W] to [N, C, 1, 1]. */
    NDArray globalAvgPool2d(NDArray x);

    NDArray globalAvgPool2dBackward(NDArray gradY, int[] inputShape);

    // ---- resampling

    NDArray resize(NDArray x, Resize spec);

    NDArray resizeBackward(NDArray gradY, int[] inputShape, Resize spec);

    // ---- batch normalisation over N, H, W per channel of [N, C, H, W]

    BatchNormResult batchNormTrain(NDArray x, NDArray gamma, NDArray beta, double eps);

    NDArray batchNormEval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                          double eps);

    /** Gradients of training-mode batch norm, from the statistics its forward returned. */
    BatchNormGrads batchNormBackward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd);

    // ---- batch normalisation fused with the ReLU after it (defaults: the two primitives in turn)

    /**
     * Training-mode batch norm then ReLU: the output is max(batchNorm(x), 0); the statistics are
     * batchNormTrain's. A backend may compute it in fewer passes over memory than the two ops.
     */
    default BatchNormResult batchNormReluTrain(NDArray x, NDArray gamma, NDArray beta, double eps) {
        BatchNormResult r = batchNormTrain(x, gamma, beta, eps);
        return new BatchNormResult(unary(UnaryOp.RELU, r.output()), r.mean(), r.variance(), r.invStd());
    }

    /** Inference-mode batch norm then ReLU: max(batchNormEval(x, ...), 0). */
    default NDArray batchNormReluEval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma,
                                      NDArray beta, double eps) {
        return unary(UnaryOp.RELU, batchNormEval(x, runningMean, runningVar, gamma, beta, eps));
    }

    /**
     * Gradients of {@link #batchNormReluTrain} with respect to x, gamma and beta, given its input
     * x, its output y, and the statistics it returned: batchNormBackward of gradY masked by
     * y > 0. A backend may instead recompute the mask from x, gamma, beta, mean and invStd, with
     * the forward's own arithmetic, when that gives the same mask bit for bit (the CPU backend
     * does, and reads one array less); so all arguments must be those of the forward.
     */
    default BatchNormGrads batchNormReluBackward(NDArray gradY, NDArray x, NDArray y, NDArray gamma, NDArray beta,
                                                 NDArray mean, NDArray invStd) {
        // relu's backward passes gradY where its argument is > 0; y > 0 exactly where the pre-ReLU value is.
        return batchNormBackward(unaryBackward(UnaryOp.RELU, y, y, gradY), x, gamma, mean, invStd);
    }

    // ---- softmax family

    NDArray softmax(NDArray x, int axis);

    NDArray logSoftmax(NDArray x, int axis);

    /** dL/dx of y = softmax(x): y * (gradY - sum(gradY * y)). */
    NDArray softmaxBackward(NDArray y, NDArray gradY, int axis);

    /** dL/dx of y = logSoftmax(x): gradY - exp(y) * sum(gradY). */
    NDArray logSoftmaxBackward(NDArray y, NDArray gradY, int axis);

    // ---- shape and movement

    /** Joins arrays along an axis; all other extents must match. */
    NDArray concat(List<NDArray> xs, int axis);

    /** Cuts x along an axis into contiguous copies of the given extents (which sum to the axis). */
    List<NDArray> split(NDArray x, int axis, int... sizes);

    // ---- indexing

    /** out[..i..] = x[..index[..i..]..] along {@code axis} (torch.gather); index int32, same rank. */
    NDArray gather(NDArray x, int axis, NDArray index);

    /** The gradient of gather: gradY scattered (added) into zeros of the input's shape. */
    NDArray gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape);

    /** float32 one-hot of int32 labels, with a new class dimension of extent {@code classes} at {@code axis}. */
    NDArray oneHot(NDArray labels, int classes, int axis);

    // ---- optimizer updates, in place on contiguous float32 arrays of equal size

    /** One Adam/AdamW step of {@code param} with {@code grad}, updating the moments m and v. */
    void adamUpdate(NDArray param, NDArray grad, NDArray m, NDArray v, AdamUpdate step);

    /** One SGD step; {@code momentumBuffer} is null when momentum is 0. */
    void sgdUpdate(NDArray param, NDArray grad, NDArray momentumBuffer, SgdUpdate step);

    /** Sum of the squares of x's elements, accumulated in double (gradient-norm clipping). */
    double sumOfSquares(NDArray x);

    /** x = x * factor, in place. */
    void scaleInPlace(NDArray x, double factor);
}
