package org.layerensembles.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A module of kernels ({@code cuda-kernels/src/main/cuda/<name>.cu}) loaded into a device's
 * context from the jar's resources: the cubin for the device's architecture, else the PTX (see
 * {@link KernelImage}). Modules stay loaded for the life of the JVM; load each once and keep
 * its {@link CudaFunction}s.
 */
public final class CudaModule {
    private static final Map<String, CudaModule> LOADED = new ConcurrentHashMap<>();

    private final CudaContext context;
    private final String name;
    private final KernelImage image;
    private final MemorySegment handle;
    private final Map<String, CudaFunction> functions = new ConcurrentHashMap<>();

    private CudaModule(CudaContext context, String name, KernelImage image, MemorySegment handle) {
        this.context = context;
        this.name = name;
        this.image = image;
        this.handle = handle;
    }

    /** Loads module {@code name} on device 0. */
    public static CudaModule load(String name) {
        return load(CudaContext.device(0), name);
    }

    /**
     * Module {@code name} in {@code context}, loaded on first use.
     *
     * @throws IllegalStateException when no image of it fits (or no kernels were built)
     * @throws CudaException         when the driver rejects the image (naming the module)
     */
    public static CudaModule load(CudaContext context, String name) {
        return LOADED.computeIfAbsent(context.ordinal() + "/" + name, k -> loadNow(context, name));
    }

    private static CudaModule loadNow(CudaContext context, String name) {
        KernelImage image = KernelImage.choose(name, context.computeCapability(),
                r -> CudaModule.class.getResource(r) != null, readText(KernelImage.NO_KERNELS));
        byte[] bytes = readBytes(image.resource());
        try (Arena arena = Arena.ofConfined()) {
            // PTX is C text: the driver reads up to a NUL (allocate zero-fills, so the extra byte is it).
            MemorySegment nativeImage = arena.allocate(bytes.length + (image.isPtx() ? 1 : 0), 8);
            MemorySegment.copy(bytes, 0, nativeImage, ValueLayout.JAVA_BYTE, 0, bytes.length);
            context.makeCurrent();
            return new CudaModule(context, name, image, context.driver().moduleLoadData(nativeImage));
        } catch (CudaException e) {
            throw e.during("loading kernel module '" + name + "' from " + image.resource());
        }
    }

    /** The kernel {@code extern "C" __global__ void kernelName(...)} of this module. */
    public CudaFunction function(String kernelName) {
        return functions.computeIfAbsent(kernelName, k -> {
            context.makeCurrent();
            try {
                return new CudaFunction(context, name + "." + k, context.driver().moduleGetFunction(handle, k));
            } catch (CudaException e) {
                throw e.during("kernel '" + k + "' in module '" + name + "' (" + image.resource() + ")");
            }
        });
    }

    public String name() {
        return name;
    }

    /** The resource that was loaded, e.g. {@code /cuda/fill.sm_90.cubin}. */
    public String resource() {
        return image.resource();
    }

    private static byte[] readBytes(String resource) {
        try (InputStream in = CudaModule.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " vanished");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }

    private static String readText(String resource) {
        return CudaModule.class.getResource(resource) == null ? null
                : new String(readBytes(resource), StandardCharsets.UTF_8);
    }
}
