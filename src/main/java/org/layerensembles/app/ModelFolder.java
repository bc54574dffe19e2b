package org.layerensembles.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.layerensembles.autograd.checkpoint.Checkpoint;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.evaluation.ModelSpec;

/** A trained model folder: {@code model.json} (how to rebuild it) and {@code best.safetensors}. */
record ModelFolder(ModelSpec spec, SegmentationModel model) {
    static ModelFolder load(Path folder) throws IOException {
        ModelSpec spec = ModelSpec.read(folder);
        Path weights = folder.resolve("best.safetensors");
        if (!Files.isRegularFile(weights)) {
            throw new IOException(weights + ": not found; train the model first (le train --out " + folder + ")");
        }
        SegmentationModel model = spec.build();
        Checkpoint.load(weights, model.module());
        model.module().eval();
        return new ModelFolder(spec, model);
    }
}
