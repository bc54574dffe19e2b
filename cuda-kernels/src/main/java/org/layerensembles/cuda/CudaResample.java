package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.Resize;

/**
 * Nearest and bilinear resizing on the GPU (resample.cu), with PyTorch's CPU index arithmetic as
 * {@link Resize} states it: the ratio of each axis is rounded to float32 here exactly as the CPU
 * backend computes it, and the kernels derive the taps from it in float32. Backward is a gather
 * (each input pixel sums the outputs that read it), so it is deterministic.
 */
final class CudaResample {
    private static final String MODULE = "resample";
    private final Gpu gpu;

    CudaResample(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray resize(NDArray x, Resize spec) {
        String op = "resize";
        Checks.float32(op, "input", x);
        int[] in = x.shape();
        int[] outShape = spec.outputShape(op, in);
        gpu.require(op, "input", x);
        NDArray xc = gpu.contiguous(x);
        NDArray y = gpu.empty(DType.FLOAT32, outShape);
        gpu.launchElements(MODULE, "resize_forward", y.numel(),
                geometry(KernelArgs.create().ptr(Gpu.address(xc)).ptr(Gpu.address(y)), spec, in, outShape));
        return y;
    }

    NDArray resizeBackward(NDArray gradY, int[] inputShape, Resize spec) {
        int[] in = spec.backwardInputShape(gradY, inputShape);
        int[] outShape = gradY.shape();
        gpu.require("resizeBackward", "gradY", gradY);
        NDArray gyc = gpu.contiguous(gradY);
        NDArray gx = gpu.empty(DType.FLOAT32, in);
        gpu.launchElements(MODULE, "resize_backward", gx.numel(),
                geometry(KernelArgs.create().ptr(Gpu.address(gyc)).ptr(Gpu.address(gx)), spec, in, outShape));
        return gx;
    }

    /** Adds RESIZE_PARAMS: planes, h, w, oh, ow, ratioH, ratioW, nearest, alignCorners. */
    private static KernelArgs geometry(KernelArgs args, Resize spec, int[] in, int[] out) {
        boolean nearest = spec.mode() == Resize.Mode.NEAREST;
        return args.i32(in[0] * in[1]).i32(in[2]).i32(in[3]).i32(out[2]).i32(out[3])
                .f32(ratio(spec, in[2], out[2], spec.byScale() ? spec.scaleH() : Double.NaN))
                .f32(ratio(spec, in[3], out[3], spec.byScale() ? spec.scaleW() : Double.NaN))
                .i32(nearest ? 1 : 0).i32(spec.alignCorners() ? 1 : 0);
    }

    /** PyTorch's float32 source-index ratio of one axis (area_pixel_compute_scale), as the CPU backend's. */
    static float ratio(Resize spec, int in, int out, double scale) {
        if (spec.mode() == Resize.Mode.BILINEAR && spec.alignCorners()) {
            return out > 1 ? (float) (in - 1) / (out - 1) : 0f;
        }
        return Double.isNaN(scale) ? (float) in / out : (float) (1.0 / scale);
    }
}
