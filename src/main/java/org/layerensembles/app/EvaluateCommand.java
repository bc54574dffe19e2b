package org.layerensembles.app;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.ensemble.CombineRule;
import org.layerensembles.evaluation.Evaluator;
import org.layerensembles.evaluation.Reports;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code le evaluate}: a trained model on a labelled PNG folder; writes the report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a trained model on a PNG folder (images/, masks/) and write the report to --out.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model folder written by le train")
    Path model;

    @Option(names = "--data", description = "folder with images/NAME.png and masks/NAME.png")
    Path data;

    @Option(names = "--synthetic", description = "evaluate on this many synthetic masses instead of --data")
    int synthetic;

    @Option(names = "--data-seed", description = "seed of the synthetic evaluation set; default: ${DEFAULT-VALUE}")
    long dataSeed = 1000;

    @Option(names = "--skip", description = "heads to skip (shallowest first); default: ${DEFAULT-VALUE}")
    int skip;

    @Option(names = "--combine", description = "mean, vote or last; default: ${DEFAULT-VALUE}")
    String combine = "mean";

    @Option(names = "--spacing", split = ",", description = "pixel spacing row,column for HD95/MHD; default: 1,1")
    double[] spacing = {1, 1};

    @Option(names = "--tau", description = "DSC below which a case counts as poor (QC curves); default: ${DEFAULT-VALUE}")
    double tau = 0.8;

    @Option(names = "--out", description = "report folder; default: ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "evaluate");

    @Override
    public Integer call() throws Exception {
        CombineRule rule = switch (combine.toLowerCase(java.util.Locale.ROOT)) {
            case "mean" -> CombineRule.MEAN;
            case "vote" -> CombineRule.VOTE;
            case "last" -> CombineRule.LAST;
            default -> throw new IllegalArgumentException("--combine must be mean, vote or last, got '" + combine + "'");
        };
        if (spacing.length != 2 || !(spacing[0] > 0 && spacing[1] > 0)) {
            throw new IllegalArgumentException("--spacing needs two positive values, e.g. 1,1");
        }
        ModelFolder folder = ModelFolder.load(model);
        SegmentationDataset dataset = Cli.dataset(data, synthetic, folder.spec().size(), folder.spec().unet().classes(),
                dataSeed);
        Evaluator.Options options = new Evaluator.Options(skip, rule, spacing, 8, 4);
        Evaluator.MethodEvaluation e = Evaluator.evaluate(folder.model(), dataset, options);
        Reports.write(out, List.of(e), tau, Map.of("model", model.toString(),
                "data", data == null ? "synthetic " + synthetic + " (seed " + dataSeed + ")" : data.toString(),
                "skip", Integer.toString(skip), "combine", combine));
        System.out.printf("%s on %d images: mean DSC %.4f, mean NLL %.4f; report in %s%n", e.method(), e.images().size(),
                e.images().stream().mapToDouble(r -> r.dice()).average().orElse(Double.NaN),
                e.images().stream().mapToDouble(r -> r.nll()).average().orElse(Double.NaN), out.resolve("summary.md"));
        return 0;
    }
}
