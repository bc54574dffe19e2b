package org.layerensembles.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.layerensembles.data.SyntheticMasses;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.evaluation.Evaluator;
import org.layerensembles.evaluation.ModelSpec;
import org.layerensembles.evaluation.Reports;
import org.layerensembles.report.ImageResult;
import org.layerensembles.report.Statistics;
import org.layerensembles.training.Trainer;
import org.layerensembles.training.TrainingConfig;
import org.layerensembles.training.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code le demo}: the whole method on built-in synthetic data. Generates breast-mass-like images,
 * trains a Layer Ensemble and a Plain U-Net of the same backbone, evaluates both on a held-out
 * set and writes the report (CSV, Markdown summary, figures). Sized to finish in a few minutes
 * on 2 cores.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train LE and Plain on synthetic masses, evaluate both, write the report to --out.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", description = "output folder; default: ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "demo");

    @Option(names = "--size", description = "image size (multiple of 16); default: ${DEFAULT-VALUE}")
    int size = 64;

    @Option(names = "--train", description = "training images; default: ${DEFAULT-VALUE}")
    int train = 160;

    @Option(names = "--val", description = "validation images; default: ${DEFAULT-VALUE}")
    int validation = 40;

    @Option(names = "--test", description = "test images; default: ${DEFAULT-VALUE}")
    int test = 80;

    @Option(names = "--epochs", description = "maximum epochs per model; default: ${DEFAULT-VALUE}")
    int epochs = 20;

    @Option(names = "--width", description = "channels of the first U-Net stage; default: ${DEFAULT-VALUE}")
    int width = 8;

    @Option(names = "--lr", description = "Adam learning rate; default: ${DEFAULT-VALUE}")
    double lr = 2e-3;

    @Option(names = "--tau", description = "DSC below which a case counts as poor (QC curves); default: ${DEFAULT-VALUE}")
    double tau = 0.8;

    @Option(names = "--seed", description = "seed of data, weights and order; default: ${DEFAULT-VALUE}")
    long seed = 1;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (train < 2 || validation < 1 || test < 3 || epochs < 1) {
            throw new IllegalArgumentException("demo needs --train >= 2, --val >= 1, --test >= 3 and --epochs >= 1");
        }
        long start = System.nanoTime();
        SyntheticMasses trainSet = masses(train, seed);
        SyntheticMasses validationSet = masses(validation, seed + 1);
        SyntheticMasses testSet = masses(test, seed + 2);
        testSet.writePngs(out.resolve("data").resolve("test"));
        System.out.printf("synthetic masses %dx%d: %d train, %d validation, %d test (test PNGs in %s)%n", size, size,
                train, validation, test, out.resolve("data").resolve("test"));

        List<Evaluator.MethodEvaluation> evaluations = new ArrayList<>();
        Map<String, String> provenance = new LinkedHashMap<>();
        for (String method : List.of("le", "plain")) {
            ModelOptions options = new ModelOptions();
            options.method = method;
            options.width = width;
            options.seed = seed;
            ModelSpec spec = options.spec(size);
            Path folder = out.resolve(spec.method());
            spec.write(folder);
            SegmentationModel model = spec.build();
            TrainingConfig config = TrainingConfig.defaults().withEpochs(epochs).withBatchSize(8).withLearningRate(lr)
                    .withSeed(seed).withOutputDir(folder).withQuiet(quiet);
            System.out.printf("%ntraining %s for up to %d epochs -> %s%n", spec.method(), epochs, folder);
            TrainingResult result = new Trainer(config).train(model, trainSet, validationSet);
            System.out.printf("%s: best validation Dice %.4f at epoch %d%n", spec.method(), result.bestValidationDice(),
                    result.bestEpoch());
            evaluations.add(Evaluator.evaluate(model, testSet, Evaluator.Options.defaults()));
            provenance.put(spec.method() + " model", folder.toString());
        }
        provenance.put("data", "synthetic masses, seed " + seed + ", " + size + "x" + size);
        provenance.put("training", "Adam lr " + lr + ", batch 8, up to " + epochs + " epochs, per-head CE + soft Dice");
        Path report = out.resolve("report");
        Reports.write(report, evaluations, tau, provenance);
        printHeadline(evaluations);
        System.out.printf("%nreport: %s (per_image.csv, figures) — %.0f s in all%n", report.resolve("summary.md"),
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private SyntheticMasses masses(int count, long dataSeed) {
        return new SyntheticMasses(SyntheticMasses.Config.of(count, dataSeed).withSize(size));
    }

    /** The demo's findings in three lines, whatever they come out as. */
    private static void printHeadline(List<Evaluator.MethodEvaluation> evaluations) {
        System.out.println();
        for (Evaluator.MethodEvaluation e : evaluations) {
            double dice = e.images().stream().mapToDouble(ImageResult::dice).average().orElse(Double.NaN);
            double nll = e.images().stream().mapToDouble(ImageResult::nll).average().orElse(Double.NaN);
            System.out.printf("%-5s test DSC %.4f, NLL %.4f%n", e.method(), dice, nll);
        }
        Evaluator.MethodEvaluation le = evaluations.get(0);
        double[] aula = le.images().stream().mapToDouble(ImageResult::aula).toArray();
        double[] dice = le.images().stream().mapToDouble(ImageResult::dice).toArray();
        System.out.printf("LE    Spearman(AULA, DSC) = %.3f over %d test images%n", Statistics.spearman(aula, dice),
                aula.length);
    }
}
