package org.layerensembles.cuda;

/**
 * A CUDA driver call that returned an error: names the call, the driver's error name
 * ({@code cuGetErrorName}) and its description ({@code cuGetErrorString}).
 */
public final class CudaException extends RuntimeException {
    /** {@code CUDA_ERROR_OUT_OF_MEMORY} in cuda.h. */
    public static final int OUT_OF_MEMORY = 2;

    private final String call;
    private final int code;
    private final String errorName;

    public CudaException(String call, int code, String errorName, String description) {
        super(call + " failed: " + errorName + " (" + code + "): " + description);
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    private CudaException(String what, CudaException cause) {
        super(what + ": " + cause.getMessage(), cause);
        this.call = cause.call;
        this.code = cause.code;
        this.errorName = cause.errorName;
    }

    /** The same error with what was being done in front, e.g. the module or kernel name. */
    public CudaException during(String what) {
        return new CudaException(what, this);
    }

    /** The driver call, e.g. {@code cuMemAlloc_v2}. */
    public String call() {
        return call;
    }

    /** The CUresult value. */
    public int code() {
        return code;
    }

    /** The CUresult's name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() {
        return errorName;
    }

    public boolean isOutOfMemory() {
        return code == OUT_OF_MEMORY;
    }
}
