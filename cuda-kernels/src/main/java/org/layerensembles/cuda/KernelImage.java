package org.layerensembles.cuda;

import java.util.function.Predicate;

/**
 * Which compiled form of a kernel module to load: the cubin built for exactly the device's
 * architecture when it is packaged (no JIT at load), else the compute_80 PTX, which the driver
 * compiles for any device of compute capability 8.0 or newer.
 *
 * @param resource the classpath resource, e.g. {@code /cuda/fill.sm_90.cubin}
 * @param isPtx    whether it is PTX text (loaded NUL-terminated) rather than a cubin
 */
record KernelImage(String resource, boolean isPtx) {
    static final String DIRECTORY = "/cuda/";
    /** Written by build-kernels.sh, holding the reason, when nvcc was not found. */
    static final String NO_KERNELS = DIRECTORY + "NO_KERNELS";
    /** The virtual architecture the PTX is built for (build-kernels.sh: -arch=compute_80). */
    static final int PTX_COMPUTE_CAPABILITY = 80;

    static String cubin(String module, int computeCapability) {
        return DIRECTORY + module + ".sm_" + computeCapability + ".cubin";
    }

    static String ptx(String module) {
        return DIRECTORY + module + ".ptx";
    }

    /**
     * Picks the image of {@code module} for a device of {@code computeCapability} (10*major +
     * minor) among the resources for which {@code exists} is true.
     *
     * @param noKernelsReason the content of {@link #NO_KERNELS}, or null when there is none
     * @throws IllegalStateException when nothing fits, naming the module and what was looked for
     */
    static KernelImage choose(String module, int computeCapability, Predicate<String> exists, String noKernelsReason) {
        String cubin = cubin(module, computeCapability);
        if (exists.test(cubin)) {
            return new KernelImage(cubin, false);
        }
        String ptx = ptx(module);
        if (exists.test(ptx)) {
            if (computeCapability < PTX_COMPUTE_CAPABILITY) {
                throw new IllegalStateException("kernel module '" + module + "': the device has compute capability "
                        + computeCapability / 10 + "." + computeCapability % 10 + ", below the PTX target compute_"
                        + PTX_COMPUTE_CAPABILITY + " (and no " + cubin + " is packaged)");
            }
            return new KernelImage(ptx, true);
        }
        if (noKernelsReason != null) {
            throw new IllegalStateException("no CUDA kernels were built into this jar: " + noKernelsReason.strip());
        }
        throw new IllegalStateException("kernel module '" + module + "' is not packaged: neither " + cubin
                + " nor " + ptx + " is on the classpath");
    }
}
