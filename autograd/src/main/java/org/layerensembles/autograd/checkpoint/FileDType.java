package org.layerensembles.autograd.checkpoint;

/** The safetensors dtypes this engine reads and writes, with their width in bytes. */
enum FileDType {
    /** float32 arrays. */
    F32(4),
    /** int32 arrays. */
    I32(4),
    /** int64, only as scalars (shape []): counters such as {@code num_batches_tracked}, step counts. */
    I64(8);

    /** Dtypes of the safetensors format that this engine has no array type for. */
    static final java.util.Set<String> UNSUPPORTED = java.util.Set.of(
            "BOOL", "U8", "I8", "U16", "I16", "U32", "U64", "F16", "BF16", "F64",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");

    final int byteSize;

    FileDType(int byteSize) {
        this.byteSize = byteSize;
    }
}
