package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.PoolChecks;

/**
 * 2-D pooling on the GPU (pool.cu), with the CPU backend's checks and messages. Max pooling's
 * backward scatters with float atomics, so where windows overlap (stride smaller than the window)
 * its sums are not bit-reproducible; everything else is a gather or a fixed-order reduction.
 */
final class CudaPooling {
    private static final String MODULE = "pool";
    private final Gpu gpu;

    CudaPooling(Gpu gpu) {
        this.gpu = gpu;
    }

    MaxPoolResult maxPool2d(NDArray x, Pool2dParams p) {
        String op = "maxPool2d";
        Checks.float32(op, "input", x);
        int[] outShape = p.outputShape(op, x.shape());
        gpu.require(op, "input", x);
        NDArray xc = gpu.contiguous(x);
        NDArray y = gpu.empty(DType.FLOAT32, outShape);
        NDArray idx = gpu.empty(DType.INT32, outShape);
        gpu.launchElements(MODULE, "maxpool2d_forward", y.numel(), geometry(KernelArgs.create()
                .ptr(Gpu.address(xc)).ptr(Gpu.address(y)).ptr(Gpu.address(idx)), x.shape(), outShape, p));
        return new MaxPoolResult(y, idx);
    }

    NDArray maxPool2dBackward(NDArray gradY, NDArray indices, int[] inputShape) {
        String op = "maxPool2dBackward";
        int[] in = PoolChecks.maxPoolBackward(gradY, indices, inputShape);
        int[] gy = gradY.shape();
        gpu.require(op, "gradY", gradY);
        gpu.require(op, "indices", indices);
        NDArray gyc = gpu.contiguous(gradY);
        NDArray ic = gpu.contiguous(indices);
        NDArray gx = gpu.empty(DType.FLOAT32, in);
        gpu.runtime().memsetD32(Gpu.address(gx), 0, gx.numel());
        int planes = in[0] * in[1];
        gpu.launchElements(MODULE, "maxpool2d_backward", gradY.numel(), KernelArgs.create().ptr(Gpu.address(gyc))
                .ptr(Gpu.address(ic)).ptr(Gpu.address(gx)).i32(planes).i32(in[2] * in[3]).i32(gy[2] * gy[3]));
        return gx;
    }

    NDArray avgPool2d(NDArray x, Pool2dParams p) {
        String op = "avgPool2d";
        Checks.float32(op, "input", x);
        int[] outShape = p.outputShape(op, x.shape());
        gpu.require(op, "input", x);
        NDArray xc = gpu.contiguous(x);
        NDArray y = gpu.empty(DType.FLOAT32, outShape);
        gpu.launchElements(MODULE, "avgpool2d_forward", y.numel(), geometry(KernelArgs.create().ptr(Gpu.address(xc))
                .ptr(Gpu.address(y)).i32(p.countIncludePad() ? 1 : 0), x.shape(), outShape, p));
        return y;
    }

    NDArray avgPool2dBackward(NDArray gradY, int[] inputShape, Pool2dParams p) {
        String op = "avgPool2dBackward";
        int[] in = PoolChecks.avgPoolBackward(gradY, inputShape, p);
        int[] outShape = gradY.shape();
        gpu.require(op, "gradY", gradY);
        NDArray gyc = gpu.contiguous(gradY);
        NDArray gx = gpu.empty(DType.FLOAT32, in);
        gpu.launchElements(MODULE, "avgpool2d_backward", gx.numel(), geometry(KernelArgs.create()
                .ptr(Gpu.address(gyc)).ptr(Gpu.address(gx)).i32(p.countIncludePad() ? 1 : 0), in, outShape, p));
        return gx;
    }

    NDArray globalAvgPool2d(NDArray x) {
        String op = "globalAvgPool2d";
        PoolChecks.globalAvgPool(x);
        int[] in = x.shape();
        gpu.require(op, "input", x);
        NDArray xc = gpu.contiguous(x);
        NDArray y = gpu.empty(DType.FLOAT32, in[0], in[1], 1, 1);
        int planes = in[0] * in[1];
        if (planes > 0) {
            gpu.launch(MODULE, "global_avgpool_forward", Grid.of(planes), Block.of(Gpu.THREADS), 0,
                    KernelArgs.create().ptr(Gpu.address(xc)).ptr(Gpu.address(y)).i32(in[2] * in[3]));
        }
        return y;
    }

    NDArray globalAvgPool2dBackward(NDArray gradY, int[] inputShape) {
        String op = "globalAvgPool2dBackward";
        int[] in = PoolChecks.globalAvgPoolBackward(gradY, inputShape);
        gpu.require(op, "gradY", gradY);
        NDArray gyc = gpu.contiguous(gradY);
        NDArray gx = gpu.empty(DType.FLOAT32, in);
        gpu.launchElements(MODULE, "global_avgpool_backward", gx.numel(), KernelArgs.create().ptr(Gpu.address(gyc))
                .ptr(Gpu.address(gx)).i32(in[0] * in[1]).i32(in[2] * in[3]));
        return gx;
    }

    /** Adds the 11 ints of POOL_PARAMS: planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw. */
    private static KernelArgs geometry(KernelArgs args, int[] in, int[] out, Pool2dParams p) {
        return args.i32(in[0] * in[1]).i32(in[2]).i32(in[3]).i32(out[2]).i32(out[3]).i32(p.kernelH())
                .i32(p.kernelW()).i32(p.strideH()).i32(p.strideW()).i32(p.padH()).i32(p.padW());
    }
}
