package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormChecks;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.Checks;

/**
 * Batch normalisation over every dimension but the channel (dimension 1) on the GPU
 * (batchnorm.cu), with the CPU backend's checks, messages and arithmetic: each channel's
 * elements are cut into slices of {@value #CHUNK}; a block reduces one slice of one channel in
 * double, a per-channel kernel merges the slices in order (Chan et al.), and an elementwise kernel
 * normalises. Per-channel vectors (gamma, beta, statistics) stay on the device; null gamma means
 * ones, null beta zeros.
 */
final class CudaBatchNorm {
    private static final String MODULE = "batchnorm";
    /** Elements of one channel per block. */
    static final int CHUNK = 8192;
    private static final int MAX_CHANNELS = 65535; // the grid's y extent

    private final Gpu gpu;

    CudaBatchNorm(Gpu gpu) {
        this.gpu = gpu;
    }

    /** [N, C, S...] seen as n runs of s elements per channel. */
    private record Plan(int n, int c, int s) {
        long perChannel() {
            return (long) n * s;
        }

        int chunks() {
            return (int) Math.max(1, (perChannel() + CHUNK - 1) / CHUNK);
        }
    }

    private Plan plan(String op, NDArray x) {
        BatchNormChecks.input(op, x);
        gpu.require(op, "x", x);
        int[] shape = x.shape();
        if (shape[1] > MAX_CHANNELS) {
            throw new IllegalArgumentException(op + ": the CUDA backend handles at most " + MAX_CHANNELS
                    + " channels, got x " + Shapes.str(shape));
        }
        int s = 1;
        for (int d = 2; d < shape.length; d++) {
            s *= shape[d];
        }
        return new Plan(shape[0], shape[1], s);
    }

    /** A per-channel vector checked and made contiguous, or null when absent. */
    private NDArray channel(String op, String what, NDArray v, NDArray x, int channels) {
        if (v == null) {
            return null;
        }
        BatchNormChecks.channel(op, what, v, x, channels);
        gpu.require(op, what, v);
        return gpu.contiguous(v);
    }

    private static long address(NDArray v) {
        return v == null ? 0 : Gpu.address(v);
    }

    BatchNormResult train(NDArray x, NDArray gamma, NDArray beta, double eps) {
        String op = "batchNormTrain";
        Plan p = plan(op, x);
        NDArray g = channel(op, "gamma", gamma, x, p.c());
        NDArray b = channel(op, "beta", beta, x, p.c());
        BatchNormChecks.eps(op, eps);
        BatchNormChecks.hasBatch(op, x, p.perChannel());
        NDArray xc = gpu.contiguous(x);
        NDArray out = gpu.empty(DType.FLOAT32, x.shape());
        NDArray mean = gpu.empty(DType.FLOAT32, p.c());
        NDArray variance = gpu.empty(DType.FLOAT32, p.c());
        NDArray invStd = gpu.empty(DType.FLOAT32, p.c());
        if (p.c() == 0) {
            return new BatchNormResult(out, mean, variance, invStd);
        }
        int chunks = p.chunks();
        long partialBytes = 8L * p.c() * chunks;
        try (Gpu.Scratch partials = gpu.scratch(2 * partialBytes); Gpu.Scratch scale = gpu.scratch(4L * p.c())) {
            long pm = partials.address;
            long pm2 = partials.address + partialBytes;
            gpu.launch(MODULE, "bn_stats_partial", Grid.of(chunks, p.c()), Block.of(Gpu.THREADS), 0,
                    KernelArgs.create().ptr(Gpu.address(xc)).ptr(pm).ptr(pm2).i32(p.c()).i32(p.s())
                            .i64(p.perChannel()).i32(CHUNK));
            gpu.launchElements(MODULE, "bn_stats_finish", p.c(), KernelArgs.create().ptr(pm).ptr(pm2).i32(p.c())
                    .i32(chunks).i64(p.perChannel()).i32(CHUNK).ptr(address(g)).f64(eps).ptr(Gpu.address(mean))
                    .ptr(Gpu.address(variance)).ptr(Gpu.address(invStd)).ptr(scale.address));
            apply(xc, out, Gpu.address(mean), scale.address, address(b), p);
        }
        return new BatchNormResult(out, mean, variance, invStd);
    }

    NDArray eval(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta, double eps) {
        String op = "batchNormEval";
        Plan p = plan(op, x);
        NDArray rm = channel(op, "runningMean", BatchNormChecks.required(op, "runningMean", runningMean), x, p.c());
        NDArray rv = channel(op, "runningVar", BatchNormChecks.required(op, "runningVar", runningVar), x, p.c());
        NDArray g = channel(op, "gamma", gamma, x, p.c());
        NDArray b = channel(op, "beta", beta, x, p.c());
        BatchNormChecks.eps(op, eps);
        NDArray xc = gpu.contiguous(x);
        NDArray out = gpu.empty(DType.FLOAT32, x.shape());
        if (out.numel() == 0) {
            return out;
        }
        try (Gpu.Scratch scale = gpu.scratch(4L * p.c())) {
            gpu.launchElements(MODULE, "bn_eval_scale", p.c(), KernelArgs.create().ptr(Gpu.address(rv))
                    .ptr(address(g)).f64(eps).ptr(scale.address).i32(p.c()));
            apply(xc, out, Gpu.address(rm), scale.address, address(b), p);
        }
        return out;
    }

    /** y = fma(x - mean[c], scale[c], beta[c]). */
    private void apply(NDArray x, NDArray y, long mean, long scale, long beta, Plan p) {
        gpu.launchElements(MODULE, "bn_apply", y.numel(), KernelArgs.create().ptr(Gpu.address(x)).ptr(Gpu.address(y))
                .ptr(mean).ptr(scale).ptr(beta).i32(p.c()).i32(p.s()).i64(y.numel()));
    }

    BatchNormGrads backward(NDArray gradY, NDArray x, NDArray gamma, NDArray mean, NDArray invStd) {
        String op = "batchNormBackward";
        Plan p = plan(op, x);
        Checks.float32(op, "gradY", gradY);
        Checks.sameShape(op, "gradY", gradY, "x", x);
        gpu.require(op, "gradY", gradY);
        NDArray g = channel(op, "gamma", gamma, x, p.c());
        NDArray m = channel(op, "mean", BatchNormChecks.required(op, "mean", mean), x, p.c());
        NDArray is = channel(op, "invStd", BatchNormChecks.required(op, "invStd", invStd), x, p.c());
        NDArray xc = gpu.contiguous(x);
        NDArray gc = gpu.contiguous(gradY);
        NDArray gradX = gpu.empty(DType.FLOAT32, x.shape());
        NDArray gradGamma = gpu.empty(DType.FLOAT32, p.c());
        NDArray gradBeta = gpu.empty(DType.FLOAT32, p.c());
        if (p.c() == 0) {
            return new BatchNormGrads(gradX, gradGamma, gradBeta);
        }
        int chunks = p.chunks();
        long partialBytes = 8L * p.c() * chunks;
        try (Gpu.Scratch partials = gpu.scratch(2 * partialBytes); Gpu.Scratch k = gpu.scratch(12L * p.c())) {
            long pg = partials.address;
            long pgd = partials.address + partialBytes;
            if (p.perChannel() == 0) {
                gpu.runtime().memsetD32(pg, 0, 4L * p.c() * chunks); // two int words per double
            } else {
                gpu.launch(MODULE, "bn_backward_partial", Grid.of(chunks, p.c()), Block.of(Gpu.THREADS), 0,
                        KernelArgs.create().ptr(Gpu.address(gc)).ptr(Gpu.address(xc)).ptr(Gpu.address(m)).ptr(pg)
                                .ptr(pgd).i32(p.c()).i32(p.s()).i64(p.perChannel()).i32(CHUNK));
            }
            gpu.launchElements(MODULE, "bn_backward_finish", p.c(), KernelArgs.create().ptr(pg).ptr(pgd).i32(p.c())
                    .i32(chunks).i64(p.perChannel()).ptr(address(g)).ptr(Gpu.address(is))
                    .ptr(Gpu.address(gradGamma)).ptr(Gpu.address(gradBeta)).ptr(k.address));
            gpu.launchElements(MODULE, "bn_backward_apply", gradX.numel(), KernelArgs.create().ptr(Gpu.address(gc))
                    .ptr(Gpu.address(xc)).ptr(Gpu.address(m)).ptr(k.address).ptr(Gpu.address(gradX)).i32(p.c())
                    .i32(p.s()).i64(gradX.numel()));
        }
        return new BatchNormGrads(gradX, gradGamma, gradBeta);
    }
}
