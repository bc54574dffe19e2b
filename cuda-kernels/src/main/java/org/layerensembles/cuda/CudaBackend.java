package org.layerensembles.cuda;

import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
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
 * The CUDA backend: every primitive as our own kernels ({@code src/main/cuda/*.cu}) on one GPU,
 * launched on its context's stream through the driver API. Results are new contiguous device
 * arrays in the current memory scope; inputs must be arrays on this device ({@link #toDevice}
 * brings host arrays over) and may be any views. Argument checks and messages are the CPU
 * backend's. Each op family lives in its own class; this one only routes.
 *
 * <p>Determinism: every reduction runs in a fixed order that depends only on the shapes (and
 * strides), so results are the same bits from run to run. The one exception is max pooling's
 * backward where windows overlap (float atomics; see {@link CudaPooling}).
 */
public final class CudaBackend implements Backend {
    private final DeviceRuntime runtime;
    private final Gpu gpu;
    private final CudaElementwise elementwise;
    private final CudaReductions reductions;
    private final CudaMatmul matmul;
    private final CudaConv2d conv;
    private final CudaPooling pooling;
    private final CudaResample resample;
    private final CudaBatchNorm batchNorm;
    private final CudaSoftmax softmax;
    private final CudaConcat concat;
    private final CudaIndexing indexing;
    private final CudaOptimizerUpdates updates;
    private final CudaRandom random;

    /**
     * The backend on GPU 0.
     *
     * @throws IllegalStateException when this machine has no usable CUDA driver, naming the reason
     */
    public CudaBackend() {
        this(0);
    }

    /** The backend on the GPU with this ordinal. */
    public CudaBackend(int ordinal) {
        this(new ContextRuntime(context(ordinal)));
    }

    CudaBackend(DeviceRuntime runtime) {
        this.runtime = runtime;
        this.gpu = new Gpu(runtime);
        this.elementwise = new CudaElementwise(gpu);
        this.reductions = new CudaReductions(gpu);
        this.matmul = new CudaMatmul(gpu);
        this.conv = new CudaConv2d(gpu);
        this.pooling = new CudaPooling(gpu);
        this.resample = new CudaResample(gpu);
        this.batchNorm = new CudaBatchNorm(gpu);
        this.softmax = new CudaSoftmax(gpu);
        this.concat = new CudaConcat(gpu);
        this.indexing = new CudaIndexing(gpu);
        this.updates = new CudaOptimizerUpdates(gpu);
        this.random = new CudaRandom(gpu);
    }

    private static CudaContext context(int ordinal) {
        if (!CudaDriver.available()) {
            throw new IllegalStateException("the cuda backend cannot run here: " + CudaDriver.unavailableReason());
        }
        return CudaContext.device(ordinal);
    }

    Gpu gpu() {
        return gpu;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String toString() {
        return "cuda (" + runtime.device() + ")";
    }

    /** Waits until all work enqueued so far has finished (for timing). */
    public void synchronize() {
        if (runtime instanceof ContextRuntime c) {
            c.context().synchronize();
        }
    }

    @Override
    public NDArray empty(DType dtype, int... shape) {
        return runtime.empty(dtype, shape);
    }

    @Override
    public NDArray toDevice(NDArray host) {
        return runtime.toDevice(host);
    }

    @Override
    public NDArray toHost(NDArray x) {
        return runtime.toHost(x);
    }

    @Override
    public void fill(NDArray out, double value) {
        elementwise.fill(out, value);
    }

    @Override
    public void copy(NDArray src, NDArray dst) {
        elementwise.copy(src, dst);
    }

    @Override
    public NDArray cast(NDArray x, DType dtype) {
        return elementwise.cast(x, dtype);
    }

    @Override
    public void randomUniform(NDArray out, SeededRandom rng, double low, double high) {
        random.uniform(out, rng, low, high);
    }

    @Override
    public void randomNormal(NDArray out, SeededRandom rng, double mean, double std) {
        random.normal(out, rng, mean, std);
    }

    @Override
    public NDArray unary(UnaryOp op, NDArray x) {
        return elementwise.unary(op, x);
    }

    @Override
    public NDArray unaryBackward(UnaryOp op, NDArray x, NDArray y, NDArray gradY) {
        return elementwise.unaryBackward(op, x, y, gradY);
    }

    @Override
    public NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        return elementwise.binary(op, a, b);
    }

    @Override
    public void binaryInto(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        elementwise.binaryInto(op, a, b, out);
    }

    @Override
    public NDArray clamp(NDArray x, double min, double max) {
        return elementwise.clamp(x, min, max);
    }

    @Override
    public NDArray clampBackward(NDArray x, NDArray gradY, double min, double max) {
        return elementwise.clampBackward(x, gradY, min, max);
    }

    @Override
    public NDArray where(NDArray condition, NDArray a, NDArray b) {
        return elementwise.where(condition, a, b);
    }

    @Override
    public NDArray reduce(ReduceOp op, NDArray x, int[] axes, boolean keepDims) {
        return reductions.reduce(op, x, axes, keepDims);
    }

    @Override
    public NDArray argmax(NDArray x, int axis, boolean keepDims) {
        return reductions.argmax(x, axis, keepDims);
    }

    @Override
    public NDArray sumTo(NDArray x, int... shape) {
        return reductions.sumTo(x, shape);
    }

    @Override
    public NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        return matmul.matmul(a, b, transposeA, transposeB);
    }

    @Override
    public NDArray conv2d(NDArray x, NDArray w, NDArray bias, Conv2dParams p) {
        return conv.forward(x, w, bias, p);
    }

    @Override
    public NDArray conv2dBackwardData(NDArray gradY, NDArray w, int[] inputShape, Conv2dParams p) {
        return conv.backwardData(gradY, w, inputShape, p);
    }

    @Override
    public NDArray conv2dBackwardWeights(NDArray x, NDArray gradY, int[] weightShape, Conv2dParams p) {
        return conv.backwardWeights(x, gradY, weightShape, p);
    }

    @Override
    public MaxPoolResult maxPool2d(NDArray x, Pool2dParams p) {
        return pooling.maxPool2d(x, p);
    }

    @Override
    public NDArray maxPool2dBackward(NDArray gradY, NDArray indices, int[] inputShape) {
        return pooling.maxPool2dBackward(gradY, indices, inputShape);
    }

    @Override
    public NDArray avgPool2d(NDArray x, Pool2dParams p) {
        return pooling.avgPool2d(x, p);
    }

    @Override
    public NDArray avgPool2dBackward(NDArray gradY, int[] inputShape, Pool2dParams p) {
        return pooling.avgPool2dBackward(gradY, inputShape, p);
    }

    @Override
    public NDArray globalAvgPool2d(NDArray x) {
        return pooling.globalAvgPool2d(x);
    }

    @Override
    public NDArray globalAvgPool2dBackward(NDArray gradY, int[] inputShape) {
        return pooling.globalAvgPool2dBackward(gradY, inputShape);
    }

    @Override
    public NDArray resize(NDArray x, Resize spec) {
        return resample.resize(x, spec);
    }

    @Override
    public NDArray resizeBackward(NDArray gradY, int[] inputShape, Resize spec) {
        return resample.resizeBackward(gradY, inputShape, spec);
    }

    @Override
    public BatchNormResult batchNormTrain(NDArray x, NDArray gamma, NDArray beta, double eps) {
        return batchNorm.train(x, gamma, beta, eps);
    }

    @Override
    public NDArray batchNormEval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                                 double eps) {
        return batchNorm.eval(x, runningMean, runningVar, gamma, beta, eps);
    }

    @Override
    public BatchNormGrads batchNormBackward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd) {
        return batchNorm.backward(gradY, x, gamma, mean, invStd);
    }

    @Override
    public NDArray softmax(NDArray x, int axis) {
        return softmax.forward("softmax", x, axis, false);
    }

    @Override
    public NDArray logSoftmax(NDArray x, int axis) {
        return softmax.forward("logSoftmax", x, axis, true);
    }

    @Override
    public NDArray softmaxBackward(NDArray y, NDArray gradY, int axis) {
        return softmax.backward("softmaxBackward", y, gradY, axis, false);
    }

    @Override
    public NDArray logSoftmaxBackward(NDArray y, NDArray gradY, int axis) {
        return softmax.backward("logSoftmaxBackward", y, gradY, axis, true);
    }

    @Override
    public NDArray concat(List<NDArray> xs, int axis) {
        return concat.concat(xs, axis);
    }

    @Override
    public List<NDArray> split(NDArray x, int axis, int... sizes) {
        return concat.split(x, axis, sizes);
    }

    @Override
    public NDArray gather(NDArray x, int axis, NDArray index) {
        return indexing.gather(x, axis, index);
    }

    @Override
    public NDArray gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape) {
        return indexing.gatherBackward(gradY, axis, index, inputShape);
    }

    @Override
    public NDArray oneHot(NDArray labels, int classes, int axis) {
        return indexing.oneHot(labels, classes, axis);
    }

    @Override
    public void adamUpdate(NDArray param, NDArray grad, NDArray m, NDArray v, AdamUpdate step) {
        updates.adam(param, grad, m, v, step);
    }

    @Override
    public void sgdUpdate(NDArray param, NDArray grad, NDArray momentumBuffer, SgdUpdate step) {
        updates.sgd(param, grad, momentumBuffer, step);
    }

    @Override
    public double sumOfSquares(NDArray x) {
        return updates.sumOfSquares(x);
    }

    @Override
    public void scaleInPlace(NDArray x, double factor) {
        updates.scale(x, factor);
    }
}
