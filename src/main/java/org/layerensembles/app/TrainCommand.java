package org.layerensembles.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.layerensembles.data.Augment;
import org.layerensembles.data.Batches;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.data.Subset;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.evaluation.ModelSpec;
import org.layerensembles.training.Trainer;
import org.layerensembles.training.TrainingConfig;
import org.layerensembles.training.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code le train}: trains a model on a PNG folder or on synthetic masses and writes a model folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a segmentation model (LE, Plain, MH or DE) and write model.json + checkpoints to --out.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", description = "folder with images/NAME.png and masks/NAME.png")
    Path data;

    @Option(names = "--synthetic", description = "train on this many synthetic masses instead of --data")
    int synthetic;

    @Option(names = "--size", description = "synthetic image size; default: ${DEFAULT-VALUE}")
    int size = 64;

    @Option(names = "--validation", description = "fraction held out for validation; default: ${DEFAULT-VALUE}")
    double validation = 0.2;

    @Option(names = "--epochs", description = "maximum epochs; default: ${DEFAULT-VALUE}")
    int epochs = 30;

    @Option(names = "--batch", description = "batch size; default: ${DEFAULT-VALUE}")
    int batch = 8;

    @Option(names = "--lr", description = "Adam learning rate; default: ${DEFAULT-VALUE}")
    double lr = 1e-3;

    @Option(names = "--patience", description = "early-stopping patience in epochs; default: ${DEFAULT-VALUE}")
    int patience = 10;

    @Option(names = "--augment", description = "random flips and affine transforms of training batches")
    boolean augment;

    @Option(names = "--out", description = "model folder to write; default: ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "train");

    @Mixin
    ModelOptions model = new ModelOptions();

    @Override
    public Integer call() throws Exception {
        SegmentationDataset all = Cli.dataset(data, synthetic, size, model.classes, model.seed);
        int imageSize = all.get(0).image().size(1);
        ModelSpec spec = model.spec(imageSize);
        Batches.Split split = Batches.split(all.size(), validation, model.seed);
        TrainingConfig config = TrainingConfig.defaults().withEpochs(epochs).withBatchSize(batch).withLearningRate(lr)
                .withPatience(patience).withSeed(model.seed).withOutputDir(out)
                .withAugmentation(augment ? Augment.Config.defaults() : null);
        System.out.printf("training %s (%s) on %d images (%d for validation), %dx%d, up to %d epochs -> %s%n",
                spec.method(), spec.unet().encoderWidths(), split.train().length, split.validation().length,
                imageSize, imageSize, epochs, out);
        spec.write(out);
        SegmentationModel m = spec.build();
        TrainingResult result = new Trainer(config).train(m, new Subset(all, split.train()),
                new Subset(all, split.validation()));
        System.out.printf("done: %s after epoch %d; best validation loss %.4f, Dice %.4f at epoch %d; model in %s%n",
                result.stopReason(), result.lastEpoch(), result.bestValidationLoss(), result.bestValidationDice(),
                result.bestEpoch(), out);
        return 0;
    }
}
