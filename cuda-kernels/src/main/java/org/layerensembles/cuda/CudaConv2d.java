package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.Conv2dParams;

/**
 * 2-D convolution on the GPU (conv.cu): forward, backward data and backward weights as implicit
 * GEMMs on the shared tile kernel, the column matrix computed on the fly, never stored. Inputs
 * are made contiguous first; checks and messages are the CPU backend's ({@link Conv2dParams}).
 *
 * <p>Backward weights reduces over every image and output position; that long sum is cut into
 * slices whose number depends only on the shapes (aiming at about {@value #TARGET_BLOCKS} blocks
 * in all), each slice's partial is stored, and {@code conv_sum_splits} adds them in slice order:
 * deterministic, no atomics.
 */
final class CudaConv2d {
    private static final String MODULE = "conv";
    private static final int TILE = 64;
    private static final int TILE_K = 16;
    private static final int TARGET_BLOCKS = 512;
    /** A slice sums at least this many products per output. */
    private static final int MIN_SLICE = 512;

    private final Gpu gpu;

    CudaConv2d(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray forward(NDArray x, NDArray w, NDArray bias, Conv2dParams p) {
        int[] outShape = p.forwardShape(x, w, bias);
        gpu.require("conv2d", "input", x);
        gpu.require("conv2d", "weight", w);
        gpu.require("conv2d", "bias", bias);
        NDArray out = gpu.empty(DType.FLOAT32, outShape);
        if (out.numel() == 0) {
            return out;
        }
        NDArray xc = gpu.contiguous(x);
        NDArray wc = gpu.contiguous(w);
        NDArray bc = bias == null ? null : gpu.contiguous(bias);
        int columns = outShape[0] * outShape[2] * outShape[3];
        KernelArgs args = KernelArgs.create().ptr(Gpu.address(xc)).ptr(Gpu.address(wc))
                .ptr(bc == null ? 0 : Gpu.address(bc)).ptr(Gpu.address(out));
        gpu.launch(MODULE, "conv2d_forward", Grid.of(ceil(columns, TILE), ceil(outShape[1], TILE)), Block.of(256), 0,
                geometry(args, x.shape(), w.shape(), outShape, p));
        return out;
    }

    NDArray backwardData(NDArray gradY, NDArray w, int[] inputShape, Conv2dParams p) {
        String op = "conv2dBackwardData";
        Checks.float32(op, "gradY", gradY);
        Checks.float32(op, "weight", w);
        int[] outShape = p.outputShape(op, Shapes.validate(op, inputShape), w.shape());
        Checks.sameShape(op, "gradY", gradY.shape(), "conv2d output", outShape);
        gpu.require(op, "gradY", gradY);
        gpu.require(op, "weight", w);
        NDArray dx = gpu.empty(DType.FLOAT32, inputShape);
        if (dx.numel() == 0) {
            return dx;
        }
        NDArray gy = gpu.contiguous(gradY);
        NDArray wc = gpu.contiguous(w);
        int columns = inputShape[0] * inputShape[2] * inputShape[3];
        KernelArgs args = KernelArgs.create().ptr(Gpu.address(gy)).ptr(Gpu.address(wc)).ptr(Gpu.address(dx));
        gpu.launch(MODULE, "conv2d_backward_data", Grid.of(ceil(columns, TILE), ceil(inputShape[1], TILE)),
                Block.of(256), 0, geometry(args, inputShape, w.shape(), outShape, p));
        return dx;
    }

    NDArray backwardWeights(NDArray x, NDArray gradY, int[] weightShape, Conv2dParams p) {
        String op = "conv2dBackwardWeights";
        Checks.float32(op, "input", x);
        Checks.float32(op, "gradY", gradY);
        int[] outShape = p.outputShape(op, x.shape(), Shapes.validate(op, weightShape));
        Checks.sameShape(op, "gradY", gradY.shape(), "conv2d output", outShape);
        gpu.require(op, "input", x);
        gpu.require(op, "gradY", gradY);
        NDArray dw = gpu.empty(DType.FLOAT32, weightShape);
        int f = weightShape[0];
        int rows = weightShape[1] * weightShape[2] * weightShape[3];
        long size = (long) f * rows;
        long k = (long) outShape[0] * outShape[2] * outShape[3];
        if (size == 0) {
            return dw;
        }
        if (k == 0) {
            gpu.runtime().memsetD32(Gpu.address(dw), 0, size);
            return dw;
        }
        NDArray xc = gpu.contiguous(x);
        NDArray gy = gpu.contiguous(gradY);
        int tiles = ceil(f, TILE) * ceil(rows, TILE);
        long wanted = Math.max(1, Math.min(TARGET_BLOCKS / tiles, k / MIN_SLICE));
        int slice = (int) (ceil(ceil(k, wanted), TILE_K) * (long) TILE_K);
        int splits = (int) ceil(k, slice);
        try (Gpu.Scratch partials = gpu.scratch(splits > 1 ? 4 * size * splits : 4)) {
            long target = splits > 1 ? partials.address : Gpu.address(dw);
            KernelArgs args = KernelArgs.create().ptr(Gpu.address(xc)).ptr(Gpu.address(gy)).ptr(target).i32(slice);
            gpu.launch(MODULE, "conv2d_backward_weights", Grid.of(ceil(rows, TILE), ceil(f, TILE), splits),
                    Block.of(256), 0, geometry(args, x.shape(), weightShape, outShape, p));
            if (splits > 1) {
                gpu.launchElements(MODULE, "conv_sum_splits", size, KernelArgs.create().ptr(partials.address)
                        .ptr(Gpu.address(dw)).i32((int) size).i32(splits));
            }
        }
        return dw;
    }

    /** Adds the 15 ints of CONV_PARAMS: n, c, h, w, f, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw. */
    private static KernelArgs geometry(KernelArgs args, int[] in, int[] weight, int[] out, Conv2dParams p) {
        return args.i32(in[0]).i32(in[1]).i32(in[2]).i32(in[3]).i32(weight[0]).i32(weight[2]).i32(weight[3])
                .i32(out[2]).i32(out[3]).i32(p.strideH()).i32(p.strideW()).i32(p.padH()).i32(p.padW())
                .i32(p.dilationH()).i32(p.dilationW());
    }

    private static int ceil(int x, int y) {
        return (x + y - 1) / y;
    }

    private static long ceil(long x, long y) {
        return (x + y - 1) / y;
    }
}
