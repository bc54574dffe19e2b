package org.layerensembles.models;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.layerensembles.core.SeededRandom;

/**
 * Named random streams for building models: a layer's initial weights are drawn from
 * {@code fork(parent, "its name")}, so they depend only on the model's seed and the layer's path
 * in the module tree, not on how many draws other layers took before it. Adding, removing or
 * reordering a layer leaves every other layer's weights as they were (for example a U-Net's
 * encoder gets the same weights with bilinear or transposed-convolution up-sampling).
 */
public final class SeedStreams {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private SeedStreams() {
    }

    /** An independent stream derived from {@code parent}'s seed and a text label. */
    public static SeededRandom fork(SeededRandom parent, String label) {
        Objects.requireNonNull(parent, "parent");
        return parent.fork(labelHash(label));
    }

    /** The 64-bit FNV-1a hash of the label's UTF-8 bytes: the same number on every JVM. */
    static long labelHash(String label) {
        Objects.requireNonNull(label, "label");
        long h = FNV_OFFSET;
        for (byte b : label.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }
}
