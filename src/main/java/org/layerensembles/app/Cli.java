package org.layerensembles.app;

import java.nio.file.Path;
import org.layerensembles.data.PngFolder;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.data.SyntheticMasses;

/** Small helpers shared by the commands. */
final class Cli {
    private Cli() {
    }

    /** A PNG folder, or synthetic masses when no folder is given. */
    static SegmentationDataset dataset(Path folder, int synthetic, int size, int classes, long seed) {
        if (folder != null && synthetic > 0) {
            throw new IllegalArgumentException("give either --data or --synthetic, not both");
        }
        if (folder != null) {
            return PngFolder.open(folder, classes);
        }
        if (synthetic < 2) {
            throw new IllegalArgumentException("give --data FOLDER or --synthetic N (N >= 2)");
        }
        if (classes != 2) {
            throw new IllegalArgumentException("synthetic masses are binary: --classes must be 2");
        }
        return new SyntheticMasses(SyntheticMasses.Config.of(synthetic, seed).withSize(size));
    }
}
