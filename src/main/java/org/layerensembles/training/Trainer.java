package org.layerensembles.training;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.checkpoint.Checkpoint;
import org.layerensembles.autograd.checkpoint.Provenance;
import org.layerensembles.autograd.checkpoint.Safetensors;
import org.layerensembles.autograd.loss.CrossEntropyOptions;
import org.layerensembles.autograd.loss.DiceCeOptions;
import org.layerensembles.autograd.loss.Losses;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.autograd.optim.AdamW;
import org.layerensembles.autograd.optim.GradClip;
import org.layerensembles.autograd.optim.Optimizer;
import org.layerensembles.autograd.optim.SGD;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.data.Augment;
import org.layerensembles.data.Batches;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.ensemble.CombineRule;
import org.layerensembles.ensemble.HeadCombiner;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.ensemble.MemberwiseModel;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.metrics.Overlap;
import org.layerensembles.training.TrainingDivergedException.Phase;

/**
 * Trains a {@link SegmentationModel} on a training and a validation dataset (METHOD.md section 3).
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.defaults().withEpochs(150).withOutputDir(Path.of("runs/le"));
 * TrainingResult result = new Trainer(config).train(model, trainSet, validationSet);
 * // interrupted? the same call with resume continues exactly where it stopped:
 * TrainingResult result = new Trainer(config).resume(model, trainSet, validationSet);
 * }</pre>
 *
 * <h2>An epoch</h2>
 * <ol>
 *   <li>The model goes to training mode. The training samples are visited in a shuffled order
 *       that is a pure function of the seed and the epoch number ({@link #epochOrder}), in
 *       batches of {@code batchSize} (the last one holds the remainder). With
 *       {@code augmentation} configured, each training sample is transformed
 *       ({@link Augment}: flips and an affine map, image and mask alike) by
 *       {@code Batches.of(train, indices, augment, augmentRandom(seed, epoch))}: sample i's
 *       transform in epoch e is a pure function of (seed, e, i), whatever batch it falls in.
 *       Validation samples are never augmented.</li>
 *   <li>Each batch is one step inside its own {@link MemoryScope} (every temporary is freed when
 *       the step ends): heads = model.heads(images); total loss = sum over heads h of
 *       weight_h * loss_h(logits_h, masks) with the configured per-head loss (heads of weight 0
 *       are not computed into the loss at all); backward; optional gradient clipping; optimizer
 *       step; gradients zeroed. A non-finite total loss stops the run before the step changes
 *       any weight ({@link TrainingDivergedException} naming the epoch and the step).</li>
 *   <li>Validation (every {@code validateEvery} epochs and at the last), in eval mode with no
 *       graph: the mean validation loss (the same total loss, averaged over samples) and the mean
 *       over validation images of the Dice of the combined prediction, argmax of the mean over
 *       the heads (of weight &gt; 0) of their softmax. An image's Dice is the foreground class's
 *       for binary masks and the mean over the foreground classes otherwise; a class absent
 *       from both prediction and mask has Dice 1 (METHOD.md section 6).</li>
 *   <li>Files in the output folder: {@code best.safetensors} when the validation loss improved
 *       on the best by more than {@code minDelta}; {@code metrics.csv} rewritten whole (temp
 *       file and rename); {@code last.safetensors} always. Both checkpoints hold the model, the
 *       optimizer state and the provenance (configuration JSON, seed, backend, engine version,
 *       date) plus the run state (epoch, next epoch, best epoch and loss, shuffle seed and rule,
 *       the per-epoch history) in the metadata. Every write is atomic. Before any checkpoint the
 *       weights are checked to be finite; a checkpoint with NaN weights is never written.</li>
 *   <li>Early stopping once {@code patience} epochs passed since the best validation loss.</li>
 * </ol>
 * When the run ends, with {@code restoreBest} (the default) the best checkpoint's weights are
 * loaded into the model.
 *
 * <h2>Resuming</h2>
 * {@link #resume} loads {@code last.safetensors} (model, optimizer, run state) and continues with
 * the next epoch. Because the shuffling and the augmentation depend only on (seed, epoch) and the
 * optimizer state (moments, step counts, learning rate as double bits) and the model state
 * (batch-norm running statistics and counters included) come back bit for bit, the continuation
 * computes exactly what the uninterrupted run would have. Randomness inside the model (e.g. a dropout layer's generator
 * position) is not part of a state dict and is not restored: such models resume with fresh masks.
 * The configuration may differ from the checkpoint's only in fields that do not change what is
 * computed (more epochs, another patience, quiet, ...); see {@link TrainingConfig}.
 *
 * <h2>Models trained member by member</h2>
 * A model implementing {@link MemberwiseModel} (a deep ensemble) is trained member by member;
 * see that interface.
 *
 * <h2>Progress</h2>
 * A throttled progress line per batch and a summary line per epoch go to the given stream
 * ({@code System.err} by default) unless the configuration is quiet.
 */
@SuppressWarnings("try") // memory scopes and GradMode scopes are used for what they do on closing
public final class Trainer {
    /** The engine version written into checkpoints. */
    public static final String ENGINE_VERSION = "0.1.0-SNAPSHOT";
    /** The checkpoint of the best validation loss. */
    public static final String BEST = "best.safetensors";
    /** The checkpoint of the last completed epoch, for resuming. */
    public static final String LAST = "last.safetensors";
    /** The per-epoch figures. */
    public static final String METRICS = "metrics.csv";
    /** Member i of a {@link MemberwiseModel} trains into subfolder {@code member-i}. */
    public static final String MEMBER_DIR_PREFIX = "member-";

    private static final long MEMBER_STREAM = 0x4D454D424552L; // "MEMBER"
    private static final long AUGMENT_STREAM = 0x4155474D454E54L; // "AUGMENT"

    private final TrainingConfig config;
    private final PrintStream progressOut;
    private final boolean inPlace;

    /** A trainer reporting progress on {@code System.err} (redrawn in place on a terminal). */
    public Trainer(TrainingConfig config) {
        this(config, System.err, System.console() != null && System.console().isTerminal());
    }

    /** A trainer reporting progress on {@code progressOut}, one line per update. */
    public Trainer(TrainingConfig config, PrintStream progressOut) {
        this(config, progressOut, false);
    }

    private Trainer(TrainingConfig config, PrintStream progressOut, boolean inPlace) {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.progressOut = progressOut;
        this.inPlace = inPlace;
    }

    public TrainingConfig config() {
        return config;
    }

    // ---- entry points

    /**
     * Trains {@code model} from its current weights into a fresh output folder.
     *
     * @throws IllegalStateException      when the output folder already holds a run (resume it,
     *                                    or choose another folder)
     * @throws IllegalArgumentException   when the datasets are empty, their classes differ from the
     *                                    model's, samples do not stack, or the head weights do not
     *                                    match the model's heads
     * @throws TrainingDivergedException  when a loss, gradient norm or weight becomes non-finite
     * @throws IOException                when a file cannot be written
     */
    public TrainingResult train(SegmentationModel model, SegmentationDataset train, SegmentationDataset validation)
            throws IOException {
        checkInputs(model, train, validation);
        Path existing = existingRun(config.outputDir());
        if (existing != null) {
            throw new IllegalStateException("output folder " + config.outputDir() + " already holds a training run (found "
                    + existing + "); continue it with Trainer.resume or choose another outputDir");
        }
        if (model instanceof MemberwiseModel members) {
            return trainMembers(members, train, validation, false);
        }
        return runSingle(model, train, validation, config, null, Map.of(), false);
    }

    /**
     * Continues the run in the configured output folder from its {@code last.safetensors}: the
     * model (any instance of the same architecture) and a new optimizer are loaded from it and
     * training goes on with the next epoch until the configured number of epochs or early
     * stopping. A run that had already finished returns at once (with the best weights restored).
     * For a {@link MemberwiseModel}, finished members are loaded, an interrupted one resumed and
     * the rest trained.
     *
     * @throws IllegalStateException    when there is no {@code last.safetensors} to resume from
     * @throws IllegalArgumentException when the checkpoint does not fit the model, or the
     *                                  configuration differs from the checkpoint's in a field
     *                                  that changes what is computed (all such fields are named)
     */
    public TrainingResult resume(SegmentationModel model, SegmentationDataset train, SegmentationDataset validation)
            throws IOException {
        checkInputs(model, train, validation);
        if (model instanceof MemberwiseModel members) {
            if (!Files.exists(config.outputDir().resolve(memberDir(0)).resolve(LAST))) {
                throw new IllegalStateException("nothing to resume: " + config.outputDir().resolve(memberDir(0)).resolve(LAST)
                        + " does not exist");
            }
            return trainMembers(members, train, validation, true);
        }
        Path last = config.outputDir().resolve(LAST);
        if (!Files.exists(last)) {
            throw new IllegalStateException("nothing to resume: " + last + " does not exist");
        }
        return runSingle(model, train, validation, config, null, Map.of(), true);
    }

    /** {@link #resume(SegmentationModel, SegmentationDataset, SegmentationDataset)} of the run in {@code outFolder}. */
    public TrainingResult resume(Path outFolder, SegmentationModel model, SegmentationDataset train,
                                 SegmentationDataset validation) throws IOException {
        return new Trainer(config.withOutputDir(outFolder), progressOut, inPlace).resume(model, train, validation);
    }

    // ---- one model

    private TrainingResult runSingle(SegmentationModel model, SegmentationDataset train, SegmentationDataset validation,
                                     TrainingConfig cfg, String label, Map<String, String> extraProvenance,
                                     boolean resume) throws IOException {
        Module module = model.module();
        Optimizer optimizer = newOptimizer(module.namedParameters(), cfg);
        Path out = cfg.outputDir();
        Files.createDirectories(out);
        Path bestPath = out.resolve(BEST);
        Path lastPath = out.resolve(LAST);
        RunState state = resume ? loadLast(lastPath, module, optimizer, cfg) : new RunState();
        ProgressBar bar = new ProgressBar(progressOut, !cfg.quiet(), cfg.progressIntervalMillis(), inPlace, label);

        Augment augment = cfg.augmentation() == null ? null : new Augment(cfg.augmentation());
        int n = train.size();
        int batch = cfg.batchSize();
        int steps = (n + batch - 1) / batch;
        while (!state.finished(cfg)) {
            int epoch = state.lastEpoch + 1;
            long start = System.nanoTime();
            module.train();
            int[] order = epochOrder(n, cfg.seed(), epoch);
            SeededRandom augmentRandom = augment == null ? null : augmentRandom(cfg.seed(), epoch);
            double lossSum = 0;
            for (int step = 0; step < steps; step++) {
                int from = step * batch;
                int to = Math.min(n, from + batch);
                double loss;
                try (MemoryScope ignored = MemoryScope.open("training step", MemoryPool.global())) {
                    Batches.Batch b = Batches.of(train, Arrays.copyOfRange(order, from, to), augment, augmentRandom);
                    Tensor total = totalLoss(model, model.heads(b.images()), b.masks(), cfg);
                    loss = total.item();
                    if (!Double.isFinite(loss)) {
                        throw diverged(label, Phase.TRAINING_LOSS, epoch, step + 1, steps, loss, bestPath, lastPath);
                    }
                    total.backward();
                    if (cfg.maxGradNorm() != null) {
                        double norm = GradClip.clipGradNorm(module.parameters(), cfg.maxGradNorm());
                        if (!Double.isFinite(norm)) {
                            throw diverged(label, Phase.GRADIENT_NORM, epoch, step + 1, steps, norm, bestPath, lastPath);
                        }
                    }
                    optimizer.step();
                    optimizer.zeroGrad();
                }
                lossSum += loss * (to - from);
                bar.step(epoch, cfg.epochs(), step + 1, steps, lossSum / to, start);
            }
            double trainLoss = lossSum / n;
            double valLoss = Double.NaN;
            double valDice = Double.NaN;
            boolean validated = epoch % cfg.validateEvery() == 0 || epoch == cfg.epochs();
            if (validated) {
                Validation v = validate(model, validation, cfg);
                if (!Double.isFinite(v.loss())) {
                    throw diverged(label, Phase.VALIDATION_LOSS, epoch, 0, steps, v.loss(), bestPath, lastPath);
                }
                valLoss = v.loss();
                valDice = v.dice();
            }
            if (!weightsFinite(module)) {
                throw diverged(label, Phase.WEIGHTS, epoch, 0, steps, Double.NaN, bestPath, lastPath);
            }
            boolean improved = validated && valLoss < state.bestLoss - cfg.minDelta();
            EpochMetrics m = new EpochMetrics(epoch, trainLoss, valLoss, valDice, optimizer.lr(),
                    (System.nanoTime() - start) / 1e9);
            state.record(m, improved);
            if (improved) {
                save(bestPath, model, optimizer, cfg, state, label, extraProvenance);
            }
            MetricsCsv.write(out.resolve(METRICS), state.history);
            save(lastPath, model, optimizer, cfg, state, label, extraProvenance);
            bar.epochDone(summary(m, cfg, state));
        }
        StopReason reason = state.earlyStopped(cfg) ? StopReason.EARLY_STOPPING : StopReason.MAX_EPOCHS;
        boolean hasBest = Files.exists(bestPath);
        if (cfg.restoreBest() && hasBest) {
            loadWeights(bestPath, module);
        }
        return new TrainingResult(reason, state.lastEpoch, state.bestEpoch, state.bestLoss, state.bestDice,
                optimizer.stepCount(), state.history, out, hasBest ? bestPath : null, List.of());
    }

    private static String summary(EpochMetrics m, TrainingConfig cfg, RunState state) {
        String val = m.validated()
                ? String.format(Locale.ROOT, " val %.4f dice %.4f", m.validationLoss(), m.validationDice()) : "";
        return String.format(Locale.ROOT, "epoch %d/%d train %.4f%s best %.4f at epoch %d (%.1f s)", m.epoch(),
                cfg.epochs(), m.trainLoss(), val, state.bestLoss, state.bestEpoch, m.seconds());
    }

    // ---- members

    private TrainingResult trainMembers(MemberwiseModel model, SegmentationDataset train,
                                        SegmentationDataset validation, boolean resume) throws IOException {
        List<SegmentationModel> members = model.members();
        if (members == null || members.isEmpty()) {
            throw new IllegalArgumentException("memberwise model '" + model.method() + "' has no members");
        }
        List<TrainingResult> results = new ArrayList<>();
        long steps = 0;
        for (int i = 0; i < members.size(); i++) {
            SegmentationModel member = members.get(i);
            checkInputs(member, train, validation);
            TrainingConfig mc = config.withSeed(memberSeed(config.seed(), i))
                    .withOutputDir(config.outputDir().resolve(memberDir(i)));
            boolean resumeMember = resume && Files.exists(mc.outputDir().resolve(LAST));
            String label = "member " + (i + 1) + "/" + members.size();
            Map<String, String> extra = Map.of("member", Integer.toString(i), "members", Integer.toString(members.size()),
                    "ensemble_seed", Long.toString(config.seed()));
            TrainingResult r = runSingle(member, train, validation, mc, label, extra, resumeMember);
            results.add(r);
            steps += r.optimizerSteps();
        }
        // The whole ensemble, every member as it now is (at its best with restoreBest).
        TrainingConfig whole = config.withHeadWeights(null);
        Validation v = validate(model, validation, whole);
        Path best = null;
        if (config.restoreBest()) {
            if (!weightsFinite(model.module())) {
                throw diverged(null, Phase.WEIGHTS, 0, 0, 0, Double.NaN, null, null);
            }
            best = config.outputDir().resolve(BEST);
            Provenance p = Provenance.now(config.toJson(), config.seed(), Autograd.backend().name(), ENGINE_VERSION)
                    .with("method", model.method())
                    .with("members", Integer.toString(members.size()))
                    .with("member_best_epochs", results.stream().map(r -> Integer.toString(r.bestEpoch())).toList().toString())
                    .with("ensemble_val_loss", Double.toString(v.loss()))
                    .with("ensemble_val_dice", Double.toString(v.dice()));
            Checkpoint.save(best, model.module(), null, p);
        }
        return new TrainingResult(StopReason.MEMBERS_TRAINED, 0, 0, v.loss(), v.dice(), steps, List.of(),
                config.outputDir(), best, results);
    }

    /**
     * The shuffling seed of member {@code member} of a memberwise run with seed {@code runSeed}:
     * {@code new SeededRandom(runSeed).fork(0x4D454D424552 + member).seed()} (the label spells
     * "MEMBER"), so members see the data in different orders.
     */
    public static long memberSeed(long runSeed, int member) {
        return new SeededRandom(runSeed).fork(MEMBER_STREAM + member).seed();
    }

    static String memberDir(int i) {
        return MEMBER_DIR_PREFIX + i;
    }

    // ---- the loss

    /**
     * Sum over heads of weight_h * loss_h. Heads of weight 0 are skipped entirely (not computed),
     * so their own parameters get no gradient.
     */
    static Tensor totalLoss(SegmentationModel model, HeadOutputs heads, Tensor masks, TrainingConfig cfg) {
        checkHeads(model, heads, cfg);
        Tensor total = null;
        for (int h = 0; h < heads.size(); h++) {
            double w = cfg.headWeight(h);
            if (w == 0) {
                continue;
            }
            Tensor l = headLoss(heads.logits(h), masks, cfg);
            if (w != 1) {
                l = ElementwiseOps.mul(l, w);
            }
            total = total == null ? l : ElementwiseOps.add(total, l);
        }
        return total;
    }

    private static Tensor headLoss(Tensor logits, Tensor masks, TrainingConfig cfg) {
        NDArray classWeights = classWeights(cfg);
        return switch (cfg.headLoss()) {
            case DICE_CE -> Losses.diceCe(logits, masks, DiceCeOptions.DEFAULT.withClassWeights(classWeights));
            case CE -> Losses.crossEntropy(logits, masks, CrossEntropyOptions.DEFAULT.withWeights(classWeights));
            case DICE -> Losses.softDice(logits, masks);
        };
    }

    private static NDArray classWeights(TrainingConfig cfg) {
        if (cfg.classWeights() == null) {
            return null;
        }
        float[] w = new float[cfg.classWeights().size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = cfg.classWeights().get(i).floatValue();
        }
        return NDArrays.of(w, w.length);
    }

    private static void checkHeads(SegmentationModel model, HeadOutputs heads, TrainingConfig cfg) {
        if (cfg.headWeights() != null && cfg.headWeights().size() != heads.size()) {
            throw new IllegalArgumentException("the configuration has " + cfg.headWeights().size()
                    + " head weights but model '" + model.method() + "' has " + heads.size() + " heads "
                    + heads.layerNames());
        }
        int[] shape = heads.shape();
        if (shape.length != 4 || shape[1] != model.classes()) {
            throw new IllegalArgumentException("model '" + model.method() + "' has " + model.classes()
                    + " classes but its heads' logits are " + java.util.Arrays.toString(shape)
                    + "; expected [N, " + model.classes() + ", H, W]");
        }
    }

    // ---- validation

    /** Mean validation loss and mean Dice of the combined prediction. */
    record Validation(double loss, double dice) {
    }

    static Validation validate(SegmentationModel model, SegmentationDataset validation, TrainingConfig cfg) {
        Module module = model.module();
        boolean wasTraining = module.isTraining();
        module.eval();
        int n = validation.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double lossSum = 0;
        double diceSum = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < n; from += cfg.batchSize()) {
                int to = Math.min(n, from + cfg.batchSize());
                try (MemoryScope step = MemoryScope.open("validation step", MemoryPool.global())) {
                    Batches.Batch b = Batches.of(validation, Arrays.copyOfRange(order, from, to));
                    HeadOutputs heads = model.heads(b.images());
                    lossSum += totalLoss(model, heads, b.masks(), cfg).item() * (to - from);
                    int[] predicted = combinedLabels(heads, cfg).toIntArray();
                    int[] truth = b.masks().data().toIntArray();
                    diceSum += diceSum(predicted, truth, to - from, model.classes());
                }
            }
        } finally {
            module.train(wasTraining);
        }
        return new Validation(lossSum / n, diceSum / n);
    }

    /** argmax over classes of the mean over the heads of weight > 0 of their softmax: int32 [N, H, W]. */
    static NDArray combinedLabels(HeadOutputs heads, TrainingConfig cfg) {
        List<NDArray> trained = new ArrayList<>();
        for (int h = 0; h < heads.size(); h++) {
            if (cfg.headWeight(h) != 0) {
                trained.add(heads.logits(h).data());
            }
        }
        return HeadCombiner.combine(trained, CombineRule.MEAN, 0).labels();
    }

    /**
     * The sum over {@code images} images of each image's Dice: per foreground class c,
     * 2|P_c ∩ T_c| / (|P_c| + |T_c|), 1 when both are empty; the image's Dice is the mean over
     * the classes 1..classes-1 (for binary masks, the foreground class's Dice).
     *
     * @param predicted labels [images, H, W], row-major
     * @param truth     labels [images, H, W], row-major
     */
    static double diceSum(int[] predicted, int[] truth, int images, int classes) {
        int pixels = predicted.length / images;
        double total = 0;
        long[] inter = new long[classes];
        long[] pred = new long[classes];
        long[] true_ = new long[classes];
        for (int i = 0; i < images; i++) {
            java.util.Arrays.fill(inter, 0);
            java.util.Arrays.fill(pred, 0);
            java.util.Arrays.fill(true_, 0);
            for (int k = i * pixels, end = k + pixels; k < end; k++) {
                int p = predicted[k];
                int t = truth[k];
                if (p >= 0 && p < classes) {
                    pred[p]++;
                }
                if (t >= 0 && t < classes) {
                    true_[t]++;
                }
                if (p == t && p >= 0 && p < classes) {
                    inter[p]++;
                }
            }
            double image = 0;
            for (int c = 1; c < classes; c++) {
                image += Overlap.dice(inter[c], pred[c], true_[c], true);
            }
            total += image / (classes - 1);
        }
        return total;
    }

    // ---- shuffling

    /**
     * The order in which epoch {@code epoch} (1-based) visits {@code n} samples: a Fisher-Yates
     * shuffle whose k-th draw is
     * {@code SeededRandom.uniform(new SeededRandom(seed).fork(epoch).seed(), k)}. A pure function
     * of (n, seed, epoch): resuming needs no generator state.
     */
    public static int[] epochOrder(int n, long seed, int epoch) {
        long stream = new SeededRandom(seed).fork(epoch).seed();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long k = 0;
        for (int i = n - 1; i > 0; i--) {
            int j = (int) (SeededRandom.uniform(stream, k++) * (i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * The generator of epoch {@code epoch}'s augmentation:
     * {@code new SeededRandom(seed).fork(0x4155474D454E54).fork(epoch)} (the label spells
     * "AUGMENT", a stream apart from the shuffling's). Training sample i is transformed with its
     * {@code fork(i)} ({@link Batches#of(SegmentationDataset, int[], Augment, SeededRandom)}), so
     * the transforms are a pure function of (seed, epoch, i): resuming needs no generator state.
     */
    public static SeededRandom augmentRandom(long seed, int epoch) {
        return new SeededRandom(seed).fork(AUGMENT_STREAM).fork(epoch);
    }

    // ---- optimizer

    static Optimizer newOptimizer(Map<String, Tensor> params, TrainingConfig cfg) {
        double wd = cfg.effectiveWeightDecay();
        return switch (cfg.optimizer()) {
            case ADAM -> new Adam(params, Adam.Options.defaults().withLr(cfg.learningRate()).withWeightDecay(wd));
            case ADAMW -> new AdamW(params, AdamW.defaults().withLr(cfg.learningRate()).withWeightDecay(wd));
            case SGD -> new SGD(params, SGD.Options.defaults().withLr(cfg.learningRate())
                    .withMomentum(cfg.momentum()).withWeightDecay(wd));
        };
    }

    // ---- checkpoints

    private void save(Path path, SegmentationModel model, Optimizer optimizer, TrainingConfig cfg, RunState state,
                      String label, Map<String, String> extra) throws IOException {
        Provenance p = Provenance.now(cfg.toJson(), cfg.seed(), Autograd.backend().name(), ENGINE_VERSION)
                .with("method", model.method());
        for (Map.Entry<String, String> e : extra.entrySet()) {
            p = p.with(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, String> e : state.toMetadata(cfg.seed()).entrySet()) {
            p = p.with(e.getKey(), e.getValue());
        }
        try (MemoryScope ignored = MemoryScope.open("checkpoint", MemoryPool.global())) {
            Checkpoint.save(path, model.module(), optimizer.stateDict(), p);
        }
    }

    /** Loads the model and optimizer state and the run state of a last checkpoint, checking the config first. */
    private static RunState loadLast(Path last, Module module, Optimizer optimizer, TrainingConfig cfg)
            throws IOException {
        try (MemoryScope ignored = MemoryScope.open("resume", MemoryPool.global())) {
            Safetensors.Loaded file = Safetensors.read(last);
            Provenance provenance;
            try {
                provenance = Provenance.fromMetadata(file.metadata());
            } catch (IllegalArgumentException e) {
                throw new IOException(last + ": not a checkpoint of this engine (" + e.getMessage() + ")", e);
            }
            checkResumable(last, provenance.configJson(), cfg);
            RunState state = RunState.fromMetadata(provenance.extra(), last);
            StateDict modelState = new StateDict();
            StateDict all = file.state();
            for (String name : all.names()) {
                if (name.startsWith(Checkpoint.OPTIMIZER_PREFIX)) {
                    continue;
                }
                if (all.array(name) != null) {
                    modelState.put(name, all.array(name));
                } else {
                    modelState.putLong(name, all.longValue(name));
                }
            }
            try {
                optimizer.loadStateDict(all.withPrefix(Checkpoint.OPTIMIZER_PREFIX));
                module.loadStateDict(modelState);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(last + ": " + e.getMessage(), e);
            }
            return state;
        }
    }

    /** The checkpoint's config must equal ours in every field outside {@link TrainingConfig#RESUMABLE_CHANGES}. */
    private static void checkResumable(Path file, String savedJson, TrainingConfig cfg) {
        JsonNode saved;
        JsonNode now;
        try {
            saved = TrainingConfig.JSON.readTree(savedJson);
            now = TrainingConfig.JSON.readTree(cfg.toJson());  // parsed alike, so numbers compare alike
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": the checkpoint's configuration is not JSON", e);
        }
        List<String> differences = new ArrayList<>();
        for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (TrainingConfig.RESUMABLE_CHANGES.contains(f)) {
                continue;
            }
            JsonNode a = saved.get(f);
            JsonNode b = now.get(f);
            if (a == null || !a.equals(b)) {
                differences.add(f + ": checkpoint " + a + ", now " + b);
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(file + ": cannot resume with a configuration that changes what is computed"
                    + " (only " + TrainingConfig.RESUMABLE_CHANGES + " may change):\n  " + String.join("\n  ", differences));
        }
    }

    private static void loadWeights(Path path, Module module) throws IOException {
        try (MemoryScope ignored = MemoryScope.open("restore best", MemoryPool.global())) {
            Checkpoint.load(path, module);
        }
    }

    /** Whether every float parameter and buffer is finite (sums first; an element check only on suspicion). */
    static boolean weightsFinite(Module module) {
        Backend be = Autograd.backend();
        try (MemoryScope ignored = MemoryScope.open("finite check", MemoryPool.global())) {
            for (NDArray a : module.stateDict().arrays().values()) {
                if (a.dtype() != DType.FLOAT32 || a.numel() == 0) {
                    continue;
                }
                int[] axes = new int[a.rank()];
                for (int d = 0; d < axes.length; d++) {
                    axes[d] = d;
                }
                float sum = axes.length == 0 ? a.getFloat() : be.reduce(ReduceOp.SUM, a, axes, false).reshape().getFloat();
                if (!Float.isFinite(sum)) {
                    for (float v : a.toFloatArray()) {
                        if (!Float.isFinite(v)) {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    // ---- checks

    private static void checkInputs(SegmentationModel model, SegmentationDataset train, SegmentationDataset validation) {
        java.util.Objects.requireNonNull(model, "model");
        java.util.Objects.requireNonNull(train, "training dataset");
        java.util.Objects.requireNonNull(validation, "validation dataset");
        if (train.size() < 1) {
            throw new IllegalArgumentException("the training dataset is empty");
        }
        if (validation.size() < 1) {
            throw new IllegalArgumentException("the validation dataset is empty");
        }
        if (train.classes() != model.classes() || validation.classes() != model.classes()) {
            throw new IllegalArgumentException("model '" + model.method() + "' has " + model.classes()
                    + " classes but the training dataset has " + train.classes() + " and the validation dataset "
                    + validation.classes());
        }
        if (model.classes() < 2) {
            throw new IllegalArgumentException("model '" + model.method() + "' has " + model.classes()
                    + " class; segmentation with softmax heads needs at least 2 (background and foreground)");
        }
    }

    /** The first file of an earlier run found in {@code dir}, or null. */
    private static Path existingRun(Path dir) {
        for (Path d : List.of(dir, dir.resolve(memberDir(0)))) {
            for (String f : List.of(LAST, BEST, METRICS)) {
                if (Files.exists(d.resolve(f))) {
                    return d.resolve(f);
                }
            }
        }
        return null;
    }

    private static TrainingDivergedException diverged(String label, Phase phase, int epoch, int step, int steps,
                                                      double value, Path best, Path last) {
        return new TrainingDivergedException(label, phase, epoch, step, steps, value,
                best != null && Files.exists(best) ? best : null, last != null && Files.exists(last) ? last : null);
    }
}
