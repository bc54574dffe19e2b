package org.layerensembles.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.data.PngFolder;
import org.layerensembles.data.PngImages;
import org.layerensembles.ensemble.HeadCombiner;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.uncertainty.FusedUncertainty;
import org.layerensembles.uncertainty.UncertaintyOptions;
import org.layerensembles.uncertainty.UncertaintyResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code le predict}: one image in; its mask, an uncertainty heatmap and AULA out. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Segment one PNG image: writes mask.png and uncertainty.png (entropy) to --out and prints AULA.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model folder written by le train")
    Path model;

    @Option(names = "--image", required = true, description = "the PNG image to segment")
    Path image;

    @Option(names = "--out", description = "folder for mask.png and uncertainty.png; default: ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "predict");

    @Option(names = "--skip", description = "heads to skip (shallowest first); default: ${DEFAULT-VALUE}")
    int skip;

    @Override
    public Integer call() throws Exception {
        ModelFolder folder = ModelFolder.load(model);
        Files.createDirectories(out);
        try (MemoryScope scope = MemoryScope.open(); GradMode.Scope noGrad = GradMode.noGrad()) {
            NDArray pixels = PngFolder.readImage(image);
            int h = pixels.size(1);
            int w = pixels.size(2);
            HeadOutputs heads = folder.model().heads(Tensor.constant(pixels.reshape(1, 1, h, w)));
            if (skip < 0 || skip >= heads.size()) {
                throw new IllegalArgumentException("--skip must be in 0.." + (heads.size() - 1) + " for a model with "
                        + heads.size() + " heads, got " + skip);
            }
            List<NDArray> probabilities = HeadCombiner.probabilities(heads, skip);
            UncertaintyResult r = FusedUncertainty.compute(probabilities, null, UncertaintyOptions.defaults());
            int[] labels = r.labels().toIntArray();
            PngImages.writeLabels(out.resolve("mask.png"), labels, h, w, folder.spec().unet().classes());
            PngImages.writeScaled(out.resolve("uncertainty.png"), r.entropy().toFloatArray(), h, w);
            long foreground = Arrays.stream(labels).filter(l -> l > 0).count();
            System.out.printf("%s: %d of %d pixels foreground; entropy score %.3f", image, foreground, labels.length,
                    r.entropyScore()[0]);
            if (probabilities.size() > 1) {
                System.out.printf("; AULA %.4f (maximum %d, %d heads)", r.aula()[0], probabilities.size() - 2,
                        probabilities.size());
            }
            System.out.printf("%nwrote %s and %s%n", out.resolve("mask.png"), out.resolve("uncertainty.png"));
        }
        return 0;
    }
}
