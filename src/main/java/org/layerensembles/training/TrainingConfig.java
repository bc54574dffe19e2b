package org.layerensembles.training;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.layerensembles.data.Augment;

/**
 * Every hyper-parameter of a training run, typed, documented and checked. Start from
 * {@link #defaults()} and change what you need with the {@code with...} methods:
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.defaults()
 *         .withEpochs(150).withBatchSize(5).withLearningRate(1e-4)
 *         .withOutputDir(Path.of("runs", "bcdr-le"));
 * }</pre>
 *
 * <p>The defaults follow METHOD.md section 3 (the original Layer Ensembles runs): Adam with
 * learning rate 1e-4, batch size 5, the best-validation-loss checkpoint kept, the per-head loss
 * cross-entropy + soft Dice summed over the heads with weight 1 each.
 *
 * <p>The configuration is written as JSON ({@link #toJson()}) into every checkpoint's provenance
 * and read back by {@link #fromJson(String)}.
 *
 * @param epochs                 the largest number of epochs (>= 1); early stopping may end the
 *                               run sooner. Default 100.
 * @param batchSize              samples per optimizer step (>= 1); the last batch of an epoch
 *                               holds the remainder (it is not dropped). Default 5.
 * @param learningRate           the optimizer's learning rate (finite, >= 0). Default 1e-4.
 * @param optimizer              ADAM (default), ADAMW or SGD, with PyTorch's semantics
 * @param weightDecay            weight decay (finite, >= 0), or null for the optimizer's own
 *                               default: 0 for Adam and SGD (L2 added to the gradient), 1e-2 for
 *                               AdamW (decoupled). Default null.
 * @param momentum               SGD's momentum (finite, >= 0; must be 0 for the Adam family).
 *                               Default 0.
 * @param headLoss               the loss of each head: DICE_CE (default: cross-entropy + soft
 *                               Dice), CE or DICE; see {@link LossKind}
 * @param headWeights            one non-negative finite weight per head, shallow to deep (at
 *                               least one > 0), or null for all 1 (default). A head of weight 0 is
 *                               left out of the loss (its own parameters get no gradient) and out
 *                               of the combined validation prediction. The count is checked
 *                               against the model's heads at the first batch.
 * @param classWeights           cross-entropy class weights, one per class (finite, >= 0), or
 *                               null for none (default); e.g. 0.1, 0.3, 0.3, 0.3 as the original
 *                               cardiac runs. Not allowed with DICE (which has no CE term).
 * @param patience               early stopping: stop once this many epochs have passed since the
 *                               best validation loss (>= 0; 0 turns early stopping off).
 *                               Default 10.
 * @param minDelta               a validation loss counts as an improvement only when it is below
 *                               the best by more than this (finite, >= 0). Default 0.
 * @param seed                   the seed of the shuffling: epoch e's order is a pure function of
 *                               (seed, e). Model initialisation is the model builder's business.
 *                               Default 0.
 * @param validateEvery          validate every this many epochs (>= 1) and always at the last
 *                               epoch; checkpoints of the best model and early stopping happen
 *                               only at validated epochs. Default 1 (every epoch).
 * @param outputDir              where best.safetensors, last.safetensors and metrics.csv go
 *                               (created when missing). Default {@code runs/train}.
 * @param maxGradNorm            clip the global gradient L2 norm to this (finite, > 0), or null
 *                               for no clipping (default)
 * @param restoreBest            when training ends, load the best checkpoint's weights into the
 *                               model (default true); otherwise the model keeps the last epoch's
 *                               weights
 * @param quiet                  no progress output at all (default false)
 * @param progressIntervalMillis at most one progress line per this many milliseconds (>= 0; the
 *                               last step of an epoch is always shown). Default 1000.
 * @param augmentation           random flips and affine transforms ({@link Augment}) applied to
 *                               the training batches, image and mask alike; never to
 *                               validation. Null (the default) for none. The transforms of
 *                               epoch e are a pure function of (seed, e, sample index)
 *                               ({@link Trainer#augmentRandom}), so augmented runs are
 *                               deterministic and resume bit for bit. It changes what is
 *                               computed, so a run cannot be resumed with another setting.
 */
public record TrainingConfig(int epochs, int batchSize, double learningRate, OptimizerKind optimizer,
                             Double weightDecay, double momentum, LossKind headLoss, List<Double> headWeights,
                             List<Double> classWeights, int patience, double minDelta, long seed, int validateEvery,
                             Path outputDir, Double maxGradNorm, boolean restoreBest, boolean quiet,
                             long progressIntervalMillis, Augment.Config augmentation) {

    /** The optimizers a run can use (org.layerensembles.autograd.optim). */
    public enum OptimizerKind {
        /** {@code Adam}: L2 weight decay added to the gradient (PyTorch {@code torch.optim.Adam}). */
        ADAM,
        /** {@code AdamW}: decoupled weight decay (PyTorch {@code torch.optim.AdamW}). */
        ADAMW,
        /** {@code SGD} with optional momentum (PyTorch {@code torch.optim.SGD}). */
        SGD
    }

    /** The loss of one head against the masks (org.layerensembles.autograd.loss.Losses). */
    public enum LossKind {
        /** Cross-entropy (mean, with the class weights) + soft Dice over the foreground classes. */
        DICE_CE,
        /** Cross-entropy alone (mean, with the class weights). */
        CE,
        /** Soft Dice alone: binary, the foreground channel; multi-class, mean over the foreground classes. */
        DICE
    }

    static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** Fields that may change between a run and its resumption (they do not change what is computed). */
    static final Set<String> RESUMABLE_CHANGES = Set.of("epochs", "patience", "minDelta", "outputDir", "restoreBest",
            "quiet", "progressIntervalMillis");

    public TrainingConfig {
        List<String> problems = new ArrayList<>();
        if (epochs < 1) {
            problems.add("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            problems.add("batchSize must be >= 1, got " + batchSize);
        }
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            problems.add("learningRate must be finite and >= 0, got " + learningRate);
        }
        if (optimizer == null) {
            problems.add("optimizer must be ADAM, ADAMW or SGD, got null");
        }
        if (weightDecay != null && (!(weightDecay >= 0) || weightDecay.isInfinite())) {
            problems.add("weightDecay must be finite and >= 0 (or null for the optimizer's default), got " + weightDecay);
        }
        if (!(momentum >= 0) || Double.isInfinite(momentum)) {
            problems.add("momentum must be finite and >= 0, got " + momentum);
        } else if (momentum != 0 && optimizer != null && optimizer != OptimizerKind.SGD) {
            problems.add("momentum applies to SGD only, got momentum " + momentum + " with " + optimizer);
        }
        if (headLoss == null) {
            problems.add("headLoss must be DICE_CE, CE or DICE, got null");
        }
        headWeights = checkWeights("headWeights", headWeights, 1, problems);
        if (headWeights != null && headWeights.stream().noneMatch(w -> w > 0)) {
            problems.add("headWeights must have at least one weight > 0, got " + headWeights);
        }
        classWeights = checkWeights("classWeights", classWeights, 2, problems);
        if (classWeights != null && headLoss == LossKind.DICE) {
            problems.add("classWeights weight the cross-entropy term; the DICE loss has none (use DICE_CE or CE)");
        }
        if (patience < 0) {
            problems.add("patience must be >= 0 (0 turns early stopping off), got " + patience);
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            problems.add("minDelta must be finite and >= 0, got " + minDelta);
        }
        if (validateEvery < 1) {
            problems.add("validateEvery must be >= 1, got " + validateEvery);
        }
        if (outputDir == null) {
            problems.add("outputDir must not be null");
        }
        if (maxGradNorm != null && (!(maxGradNorm > 0) || maxGradNorm.isInfinite())) {
            problems.add("maxGradNorm must be finite and > 0 (or null for no clipping), got " + maxGradNorm);
        }
        if (progressIntervalMillis < 0) {
            problems.add("progressIntervalMillis must be >= 0, got " + progressIntervalMillis);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid training configuration (" + problems.size() + " problem"
                    + (problems.size() == 1 ? "" : "s") + "):\n  " + String.join("\n  ", problems));
        }
    }

    private static List<Double> checkWeights(String name, List<Double> weights, int minSize, List<String> problems) {
        if (weights == null) {
            return null;
        }
        if (weights.size() < minSize) {
            problems.add(name + " must have at least " + minSize + " entr" + (minSize == 1 ? "y" : "ies") + " (or be null), got "
                    + weights);
            return List.copyOf(weights.stream().filter(w -> w != null).toList());
        }
        for (int i = 0; i < weights.size(); i++) {
            Double w = weights.get(i);
            if (w == null || !(w >= 0) || w.isInfinite()) {
                problems.add(name + "[" + i + "] must be finite and >= 0, got " + w);
            }
        }
        return List.copyOf(weights.stream().filter(w -> w != null).toList());
    }

    /** METHOD.md section 3's settings: Adam lr 1e-4, batch 5, DICE_CE, all head weights 1, patience 10. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(100, 5, 1e-4, OptimizerKind.ADAM, null, 0, LossKind.DICE_CE, null, null, 10, 0, 0, 1,
                Path.of("runs", "train"), null, true, false, 1000, null);
    }

    // ---- withers

    public TrainingConfig withEpochs(int v) {
        return new TrainingConfig(v, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withBatchSize(int v) {
        return new TrainingConfig(epochs, v, learningRate, optimizer, weightDecay, momentum, headLoss, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withLearningRate(double v) {
        return new TrainingConfig(epochs, batchSize, v, optimizer, weightDecay, momentum, headLoss, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withOptimizer(OptimizerKind v) {
        return new TrainingConfig(epochs, batchSize, learningRate, v, weightDecay, momentum, headLoss, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withWeightDecay(Double v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, v, momentum, headLoss, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withMomentum(double v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, v, headLoss, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withHeadLoss(LossKind v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, v, headWeights,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withHeadWeights(List<Double> v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss, v,
                classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withClassWeights(List<Double> v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, v, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withPatience(int v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, v, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withMinDelta(double v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, v, seed, validateEvery, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withSeed(long v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, v, validateEvery, outputDir, maxGradNorm, restoreBest,
                quiet, progressIntervalMillis, augmentation);
    }

    public TrainingConfig withValidateEvery(int v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, v, outputDir, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withOutputDir(Path v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, validateEvery, v, maxGradNorm, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withMaxGradNorm(Double v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, validateEvery, outputDir, v, restoreBest, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withRestoreBest(boolean v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, v, quiet,
                progressIntervalMillis, augmentation);
    }

    public TrainingConfig withQuiet(boolean v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest,
                v, progressIntervalMillis, augmentation);
    }

    public TrainingConfig withProgressIntervalMillis(long v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest,
                quiet, v, augmentation);
    }

    public TrainingConfig withAugmentation(Augment.Config v) {
        return new TrainingConfig(epochs, batchSize, learningRate, optimizer, weightDecay, momentum, headLoss,
                headWeights, classWeights, patience, minDelta, seed, validateEvery, outputDir, maxGradNorm, restoreBest,
                quiet, progressIntervalMillis, v);
    }

    // ---- derived values

    /** The weight of head {@code h} of {@code heads}: 1 without head weights. */
    double headWeight(int h) {
        return headWeights == null ? 1.0 : headWeights.get(h);
    }

    /** The weight decay the optimizer gets: the field, or the optimizer's own default. */
    double effectiveWeightDecay() {
        if (weightDecay != null) {
            return weightDecay;
        }
        return optimizer == OptimizerKind.ADAMW ? 1e-2 : 0.0;
    }

    // ---- JSON

    /**
     * The configuration as a JSON object, one member per field under the field's name (enums by
     * name, the output folder as a string, absent optional values as null). Doubles are written
     * so that they read back bit for bit.
     */
    public String toJson() {
        return toJsonNode().toPrettyString();
    }

    ObjectNode toJsonNode() {
        ObjectNode n = JSON.createObjectNode();
        n.put("epochs", epochs);
        n.put("batchSize", batchSize);
        n.put("learningRate", learningRate);
        n.put("optimizer", optimizer.name());
        n.put("weightDecay", weightDecay);
        n.put("momentum", momentum);
        n.put("headLoss", headLoss.name());
        putList(n, "headWeights", headWeights);
        putList(n, "classWeights", classWeights);
        n.put("patience", patience);
        n.put("minDelta", minDelta);
        n.put("seed", seed);
        n.put("validateEvery", validateEvery);
        n.put("outputDir", outputDir.toString());
        n.put("maxGradNorm", maxGradNorm);
        n.put("restoreBest", restoreBest);
        n.put("quiet", quiet);
        n.put("progressIntervalMillis", progressIntervalMillis);
        if (augmentation == null) {
            n.putNull("augmentation");
        } else {
            n.set("augmentation", augmentationNode(augmentation));
        }
        return n;
    }

    /** The members of {@link Augment.Config}, in its order; the padding by name. */
    private static ObjectNode augmentationNode(Augment.Config a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("flipHorizontal", a.flipHorizontal());
        n.put("flipVertical", a.flipVertical());
        n.put("maxRotationDegrees", a.maxRotationDegrees());
        n.put("minScale", a.minScale());
        n.put("maxScale", a.maxScale());
        n.put("maxTranslation", a.maxTranslation());
        n.put("padding", a.padding().name());
        return n;
    }

    private static void putList(ObjectNode n, String name, List<Double> values) {
        if (values == null) {
            n.putNull(name);
        } else {
            ArrayNode a = n.putArray(name);
            values.forEach(a::add);
        }
    }

    /**
     * Reads a configuration written by {@link #toJson()}. Members that are missing take the
     * {@link #defaults()}; an unknown member is an error (a misspelt field must not pass
     * silently); the values are checked as by the constructor. {@code augmentation} is null or
     * an object whose missing members take {@link Augment.Config#defaults()}'s values (so
     * {@code "augmentation": {}} turns the default augmentation on); unknown members in it are
     * errors too.
     *
     * @throws IllegalArgumentException for malformed JSON, an unknown member, a value of the wrong
     *                                  type, or an invalid configuration
     */
    public static TrainingConfig fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("training configuration is not well-formed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("training configuration must be a JSON object, got " + json);
        }
        checkMembers("training configuration", root, defaults().toJsonNode());
        TrainingConfig d = defaults();
        Reader r = new Reader(root, "");
        return new TrainingConfig(
                r.integer("epochs", d.epochs),
                r.integer("batchSize", d.batchSize),
                r.number("learningRate", d.learningRate),
                r.enumValue("optimizer", OptimizerKind.class, d.optimizer),
                r.optionalNumber("weightDecay", d.weightDecay),
                r.number("momentum", d.momentum),
                r.enumValue("headLoss", LossKind.class, d.headLoss),
                r.list("headWeights", d.headWeights),
                r.list("classWeights", d.classWeights),
                r.integer("patience", d.patience),
                r.number("minDelta", d.minDelta),
                r.longValue("seed", d.seed),
                r.integer("validateEvery", d.validateEvery),
                Path.of(r.text("outputDir", d.outputDir.toString())),
                r.optionalNumber("maxGradNorm", d.maxGradNorm),
                r.bool("restoreBest", d.restoreBest),
                r.bool("quiet", d.quiet),
                r.longValue("progressIntervalMillis", d.progressIntervalMillis),
                r.augmentation("augmentation", d.augmentation));
    }

    /** Throws naming every member of {@code node} that {@code template} lacks. */
    private static void checkMembers(String what, JsonNode node, JsonNode template) {
        Set<String> known = new LinkedHashSet<>();
        template.fieldNames().forEachRemaining(known::add);
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                unknown.add(f);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(what + " has unknown member(s) " + unknown + "; known: " + known);
        }
    }

    /** Typed access to the members of a JSON object, with errors naming the member ({@code prefix} + name). */
    private record Reader(JsonNode root, String prefix) {
        private JsonNode get(String name) {
            JsonNode v = root.get(name);
            return v == null || v.isMissingNode() ? null : v;
        }

        private IllegalArgumentException wrong(String name, String what, JsonNode v) {
            return new IllegalArgumentException("training configuration member '" + prefix + name + "' must be " + what + ", got " + v);
        }

        int integer(String name, int fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw wrong(name, "an integer", v);
            }
            return v.intValue();
        }

        long longValue(String name, long fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw wrong(name, "an integer", v);
            }
            return v.longValue();
        }

        double number(String name, double fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw wrong(name, "a number", v);
            }
            return v.doubleValue();
        }

        Double optionalNumber(String name, Double fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (v.isNull()) {
                return null;
            }
            if (!v.isNumber()) {
                throw wrong(name, "a number or null", v);
            }
            return v.doubleValue();
        }

        boolean bool(String name, boolean fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw wrong(name, "true or false", v);
            }
            return v.booleanValue();
        }

        String text(String name, String fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw wrong(name, "a string", v);
            }
            return v.textValue();
        }

        Augment.Config augmentation(String name, Augment.Config fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                throw wrong(name, "an object or null", v);
            }
            checkMembers("training configuration member '" + name + "'", v, augmentationNode(Augment.Config.defaults()));
            Augment.Config d = Augment.Config.defaults();
            Reader r = new Reader(v, name + ".");
            try {
                return new Augment.Config(
                        r.number("flipHorizontal", d.flipHorizontal()),
                        r.number("flipVertical", d.flipVertical()),
                        r.number("maxRotationDegrees", d.maxRotationDegrees()),
                        r.number("minScale", d.minScale()),
                        r.number("maxScale", d.maxScale()),
                        r.number("maxTranslation", d.maxTranslation()),
                        r.enumValue("padding", Augment.Padding.class, d.padding()));
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("training configuration member")) {
                    throw e;
                }
                throw new IllegalArgumentException("invalid training configuration: " + name + ": " + e.getMessage(), e);
            }
        }

        <E extends Enum<E>> E enumValue(String name, Class<E> type, E fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw wrong(name, "one of " + java.util.Arrays.toString(type.getEnumConstants()), v);
            }
            try {
                return Enum.valueOf(type, v.textValue());
            } catch (IllegalArgumentException e) {
                throw wrong(name, "one of " + java.util.Arrays.toString(type.getEnumConstants()), v);
            }
        }

        List<Double> list(String name, List<Double> fallback) {
            JsonNode v = get(name);
            if (v == null) {
                return fallback;
            }
            if (v.isNull()) {
                return null;
            }
            if (!v.isArray()) {
                throw wrong(name, "an array of numbers or null", v);
            }
            List<Double> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isNumber()) {
                    throw wrong(name, "an array of numbers or null", v);
                }
                out.add(e.doubleValue());
            }
            return out;
        }
    }
}
