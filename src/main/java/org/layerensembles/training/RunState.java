package org.layerensembles.training;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a run stands after an epoch: everything besides the model and the optimizer that a
 * resumed run needs to continue exactly as an uninterrupted one. It travels in the metadata of
 * {@code last.safetensors} (and {@code best.safetensors}) as strings; doubles are written with
 * {@link Double#toString}, which reads back to the same bits.
 *
 * <p>The shuffling and the augmentation need no saved generator position: epoch e's order and
 * transforms are pure functions of the seed and e ({@link Trainer#epochOrder},
 * {@link Trainer#augmentRandom}), so the next epoch's number is the whole of the random state.
 */
final class RunState {
    static final String EPOCH = "epoch";
    static final String NEXT_EPOCH = "next_epoch";
    static final String BEST_EPOCH = "best_epoch";
    static final String BEST_VAL_LOSS = "best_val_loss";
    static final String BEST_VAL_DICE = "best_val_dice";
    static final String SHUFFLE_SEED = "shuffle_seed";
    static final String SHUFFLE_RULE = "shuffle_rule";
    static final String HISTORY = "history";
    static final String RULE = "epoch e (1-based) visits the training samples in the order of a Fisher-Yates shuffle"
            + " whose k-th draw is SeededRandom.uniform(new SeededRandom(shuffle_seed).fork(e).seed(), k)";

    /** The last epoch completed (0 before the first). */
    int lastEpoch;
    /** The epoch of the best validation loss (0 while none). */
    int bestEpoch;
    double bestLoss = Double.POSITIVE_INFINITY;
    double bestDice = Double.NaN;
    final List<EpochMetrics> history = new ArrayList<>();

    /** Adds an epoch's figures, and makes it the best when {@code improved}. */
    void record(EpochMetrics m, boolean improved) {
        history.add(m);
        lastEpoch = m.epoch();
        if (improved) {
            bestEpoch = m.epoch();
            bestLoss = m.validationLoss();
            bestDice = m.validationDice();
        }
    }

    /** Early stopping: the last epoch was validated and {@code patience} epochs passed since the best. */
    boolean earlyStopped(TrainingConfig config) {
        if (config.patience() == 0 || history.isEmpty() || !history.getLast().validated()) {
            return false;
        }
        return lastEpoch - bestEpoch >= config.patience();
    }

    boolean finished(TrainingConfig config) {
        return lastEpoch >= config.epochs() || earlyStopped(config);
    }

    Map<String, String> toMetadata(long shuffleSeed) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(EPOCH, Integer.toString(lastEpoch));
        m.put(NEXT_EPOCH, Integer.toString(lastEpoch + 1));
        m.put(BEST_EPOCH, Integer.toString(bestEpoch));
        m.put(BEST_VAL_LOSS, Double.toString(bestLoss));
        m.put(BEST_VAL_DICE, Double.toString(bestDice));
        m.put(SHUFFLE_SEED, Long.toString(shuffleSeed));
        m.put(SHUFFLE_RULE, RULE);
        ArrayNode rows = TrainingConfig.JSON.createArrayNode();
        for (EpochMetrics e : history) {
            rows.addArray().add(Integer.toString(e.epoch())).add(Double.toString(e.trainLoss()))
                    .add(Double.toString(e.validationLoss())).add(Double.toString(e.validationDice()))
                    .add(Double.toString(e.learningRate())).add(Double.toString(e.seconds()));
        }
        m.put(HISTORY, rows.toString());
        return m;
    }

    /**
     * Reads a state written by {@link #toMetadata}.
     *
     * @throws IllegalArgumentException naming the file and the entry that is missing or unreadable
     */
    static RunState fromMetadata(Map<String, String> meta, Path file) {
        RunState s = new RunState();
        try {
            s.lastEpoch = Integer.parseInt(required(meta, EPOCH, file));
            s.bestEpoch = Integer.parseInt(required(meta, BEST_EPOCH, file));
            s.bestLoss = Double.parseDouble(required(meta, BEST_VAL_LOSS, file));
            s.bestDice = Double.parseDouble(required(meta, BEST_VAL_DICE, file));
            JsonNode rows = TrainingConfig.JSON.readTree(required(meta, HISTORY, file));
            for (JsonNode r : rows) {
                s.history.add(new EpochMetrics(Integer.parseInt(r.get(0).textValue()),
                        Double.parseDouble(r.get(1).textValue()), Double.parseDouble(r.get(2).textValue()),
                        Double.parseDouble(r.get(3).textValue()), Double.parseDouble(r.get(4).textValue()),
                        Double.parseDouble(r.get(5).textValue())));
            }
        } catch (NumberFormatException | JacksonException | NullPointerException e) {
            throw new IllegalArgumentException(file + ": unreadable training state in the checkpoint metadata: " + e, e);
        }
        if (s.history.size() != s.lastEpoch) {
            throw new IllegalArgumentException(file + ": the checkpoint's history has " + s.history.size()
                    + " epochs but its epoch is " + s.lastEpoch);
        }
        return s;
    }

    private static String required(Map<String, String> meta, String key, Path file) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(file + ": the checkpoint has no '" + key
                    + "' entry; it was not written by Trainer, or not as the last checkpoint of a run");
        }
        return v;
    }
}
