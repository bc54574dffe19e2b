package org.layerensembles.app;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.evaluation.ModelSpec;
import org.layerensembles.models.UNetConfig;
import picocli.CommandLine.Option;

/** Command-line options that choose a model: method, U-Net size, seed. */
final class ModelOptions {
    @Option(names = "--method", description = "le (Layer Ensembles), plain, mh (multi-head) or de (deep ensemble); default: ${DEFAULT-VALUE}")
    String method = "le";

    @Option(names = "--width", description = "channels of the first U-Net stage, doubled per stage; default: ${DEFAULT-VALUE}")
    int width = 16;

    @Option(names = "--depth", description = "U-Net encoder stages; default: ${DEFAULT-VALUE}")
    int depth = 4;

    @Option(names = "--members", description = "heads of mh or members of de; default: ${DEFAULT-VALUE}")
    int members = 5;

    @Option(names = "--classes", description = "classes including background; default: ${DEFAULT-VALUE}")
    int classes = 2;

    @Option(names = "--seed", description = "seed of the weights, data order and augmentation; default: ${DEFAULT-VALUE}")
    long seed = 1;

    ModelSpec spec(int size) {
        String m = switch (method.toLowerCase(java.util.Locale.ROOT)) {
            case "le" -> "LE";
            case "plain" -> "Plain";
            case "mh" -> "MH";
            case "de" -> "DE";
            default -> throw new IllegalArgumentException("--method must be le, plain, mh or de, got '" + method + "'");
        };
        if (width < 1 || depth < 1 || depth > 8) {
            throw new IllegalArgumentException("--width must be >= 1 and --depth in 1..8, got " + width + " and " + depth);
        }
        if (size % (1 << depth) != 0) {
            throw new IllegalArgumentException("image size " + size + " must be a multiple of 2^depth = " + (1 << depth));
        }
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            widths.add(width << i);
        }
        UNetConfig unet = UNetConfig.unetSmall(classes).withWidths(widths, width << depth).withSeed(seed);
        return new ModelSpec(m, unet, size, members);
    }
}
