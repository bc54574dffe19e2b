package org.layerensembles.core.cpu;

import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.AdamUpdate;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.SgdUpdate;
import org.layerensembles.core.backend.UnaryOp;

/**
 * The default backend: Java kernels with the Vector API on native memory, parallel over the
 * cores through {@link Parallel}. Each op family lives in its own class; this one only routes.
 */
public class CpuBackend implements Backend {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public NDArray empty(DType dtype, int... shape) {
        return NDArrays.empty(dtype, shape);
    }

    @Override
    public void fill(NDArray out, double value) {
        CpuElementwise.fill(out, value);
    }

    @Override
    public void copy(NDArray src, NDArray dst) {
        StridedCopy.copy(src, dst);
    }

    @Override
    public NDArray cast(NDArray x, DType dtype) {
        return CpuElementwise.cast(x, dtype);
    }

    @Override
    public void randomUniform(NDArray out, SeededRandom rng, double low, double high) {
        CpuRandom.uniform(out, rng, low, high);
    }

    @Override
    public void randomNormal(NDArray out, SeededRandom rng, double mean, double std) {
        CpuRandom.normal(out, rng, mean, std);
    }

    @Override
    public NDArray unary(UnaryOp op, NDArray x) {
        return CpuElementwise.unary(op, x);
    }

    @Override
    public NDArray unaryBackward(UnaryOp op, NDArray x, NDArray y, NDArray gradY) {
        return CpuElementwise.unaryBackward(op, x, y, gradY);
    }

    @Override
    public NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        return CpuElementwise.binary(op, a, b);
    }

    @Override
    public void binaryInto(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        CpuElementwise.binaryInto(op, a, b, out);
    }

    @Override
    public NDArray clamp(NDArray x, double min, double max) {
        return CpuElementwise.clamp(x, min, max);
    }

    @Override
    public NDArray clampBackward(NDArray x, NDArray gradY, double min, double max) {
        return CpuElementwise.clampBackward(x, gradY, min, max);
    }

    @Override
    public NDArray where(NDArray condition, NDArray a, NDArray b) {
        return CpuElementwise.where(condition, a, b);
    }

    @Override
    public NDArray reduce(ReduceOp op, NDArray x, int[] axes, boolean keepDims) {
        return CpuReductions.reduce(op, x, axes, keepDims);
    }

    @Override
    public NDArray argmax(NDArray x, int axis, boolean keepDims) {
        return CpuReductions.argmax(x, axis, keepDims);
    }

    @Override
    public NDArray sumTo(NDArray x, int... shape) {
        return CpuReductions.sumTo(x, shape);
    }

    @Override
    public NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        return CpuMatmul.matmul(a, b, transposeA, transposeB);
    }

    @Override
    public NDArray conv2d(NDArray x, NDArray w, NDArray bias, Conv2dParams p) {
        return CpuConv2d.forward(x, w, bias, p);
    }

    @Override
    public NDArray conv2dBackwardData(NDArray gradY, NDArray w, int[] inputShape, Conv2dParams p) {
        return CpuConv2d.backwardData(gradY, w, inputShape, p);
    }

    @Override
    public NDArray conv2dBackwardWeights(NDArray x, NDArray gradY, int[] weightShape, Conv2dParams p) {
        return CpuConv2d.backwardWeights(x, gradY, weightShape, p);
    }

    @Override
    public MaxPoolResult maxPool2d(NDArray x, Pool2dParams p) {
        return CpuPooling.maxPool2d(x, p);
    }

    @Override
    public NDArray maxPool2dBackward(NDArray gradY, NDArray indices, int[] inputShape) {
        return CpuPooling.maxPool2dBackward(gradY, indices, inputShape);
    }

    @Override
    public NDArray avgPool2d(NDArray x, Pool2dParams p) {
        return CpuPooling.avgPool2d(x, p);
    }

    @Override
    public NDArray avgPool2dBackward(NDArray gradY, int[] inputShape, Pool2dParams p) {
        return CpuPooling.avgPool2dBackward(gradY, inputShape, p);
    }

    @Override
    public NDArray globalAvgPool2d(NDArray x) {
        return CpuPooling.globalAvgPool2d(x);
    }

    @Override
    public NDArray globalAvgPool2dBackward(NDArray gradY, int[] inputShape) {
        return CpuPooling.globalAvgPool2dBackward(gradY, inputShape);
    }

    @Override
    public NDArray resize(NDArray x, Resize spec) {
        return CpuResample.resize(x, spec);
    }

    @Override
    public NDArray resizeBackward(NDArray gradY, int[] inputShape, Resize spec) {
        return CpuResample.resizeBackward(gradY, inputShape, spec);
    }

    @Override
    public BatchNormResult batchNormTrain(NDArray x, NDArray gamma, NDArray beta, double eps) {
        return CpuBatchNorm.train(x, gamma, beta, eps);
    }

    @Override
    public NDArray batchNormEval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                                 double eps) {
        return CpuBatchNorm.eval(x, runningMean, runningVar, gamma, beta, eps);
    }

    @Override
    public BatchNormGrads batchNormBackward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd) {
        return CpuBatchNorm.backward(gradY, x, gamma, mean, invStd);
    }

    @Override
    public BatchNormResult batchNormReluTrain(NDArray x, NDArray gamma, NDArray beta, double eps) {
        return CpuBatchNorm.trainRelu(x, gamma, beta, eps);
    }

    @Override
    public NDArray batchNormReluEval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma,
                                     NDArray beta, double eps) {
        return CpuBatchNorm.evalRelu(x, runningMean, runningVar, gamma, beta, eps);
    }

    @Override
    public BatchNormGrads batchNormReluBackward(NDArray gradY, NDArray x, NDArray y, NDArray gamma, NDArray beta,
                                                NDArray mean, NDArray invStd) {
        return CpuBatchNorm.backwardRelu(gradY, x, gamma, beta, mean, invStd);
    }

    @Override
    public NDArray softmax(NDArray x, int axis) {
        return CpuSoftmax.softmax(x, axis);
    }

    @Override
    public NDArray logSoftmax(NDArray x, int axis) {
        return CpuSoftmax.logSoftmax(x, axis);
    }

    @Override
    public NDArray softmaxBackward(NDArray y, NDArray gradY, int axis) {
        return CpuSoftmax.softmaxBackward(y, gradY, axis);
    }

    @Override
    public NDArray logSoftmaxBackward(NDArray y, NDArray gradY, int axis) {
        return CpuSoftmax.logSoftmaxBackward(y, gradY, axis);
    }

    @Override
    public NDArray concat(List<NDArray> xs, int axis) {
        return CpuConcat.concat(xs, axis);
    }

    @Override
    public List<NDArray> split(NDArray x, int axis, int... sizes) {
        return CpuConcat.split(x, axis, sizes);
    }

    @Override
    public NDArray gather(NDArray x, int axis, NDArray index) {
        return CpuIndexing.gather(x, axis, index);
    }

    @Override
    public NDArray gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape) {
        return CpuIndexing.gatherBackward(gradY, axis, index, inputShape);
    }

    @Override
    public NDArray oneHot(NDArray labels, int classes, int axis) {
        return CpuIndexing.oneHot(labels, classes, axis);
    }

    @Override
    public void adamUpdate(NDArray param, NDArray grad, NDArray m, NDArray v, AdamUpdate step) {
        CpuOptimizerUpdates.adam(param, grad, m, v, step);
    }

    @Override
    public void sgdUpdate(NDArray param, NDArray grad, NDArray momentumBuffer, SgdUpdate step) {
        CpuOptimizerUpdates.sgd(param, grad, momentumBuffer, step);
    }

    @Override
    public double sumOfSquares(NDArray x) {
        return CpuOptimizerUpdates.sumOfSquares(x);
    }

    @Override
    public void scaleInPlace(NDArray x, double factor) {
        CpuOptimizerUpdates.scale(x, factor);
    }
}
