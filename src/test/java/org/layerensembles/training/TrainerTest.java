package org.layerensembles.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.checkpoint.Checkpoint;
import org.layerensembles.autograd.checkpoint.Provenance;
import org.layerensembles.autograd.checkpoint.Safetensors;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.memory.MemoryPool;
import org.layerensembles.data.Augment;
import org.layerensembles.data.Batches;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.training.TinyFixtures.TinyEnsemble;
import org.layerensembles.training.TinyFixtures.TinyNet;

/**
 * The trainer end to end on 16x16 disc images and tiny conv-BN-ReLU models (TinyFixtures): it
 * learns, it is deterministic, it resumes bit for bit, it stops early, it stops on NaN without
 * writing a broken checkpoint, it writes metrics.csv, honours head weights and trains deep
 * ensembles member by member.
 */
class TrainerTest {
    /** 24 training images (6 batches of 4) and 8 validation images. */
    private static final SegmentationDataset TRAIN = TinyFixtures.discs(24, 200);
    private static final SegmentationDataset VALIDATION = TinyFixtures.discs(8, 300);
    private static final int STEPS = 6;

    @TempDir
    Path dir;

    private TrainingConfig config(String run, int epochs) {
        return TrainingConfig.defaults().withEpochs(epochs).withBatchSize(4).withLearningRate(1e-2).withSeed(5)
                .withOutputDir(dir.resolve(run)).withQuiet(true);
    }

    // ---- learning

    /**
     * Seeded: Adam lr 1e-2, batch 4, two heads. Measured: validation Dice of the combined
     * prediction 0.944-0.969 after 8 epochs over six seeds (0.58-0.89 after the first); the test
     * asks for 0.9.
     */
    @Test
    void learnsToSegmentDiscsAndRestoresTheBestWeights() throws Exception {
        TinyNet model = TinyNet.twoHeads(100);
        TrainingConfig c = config("learn", 8);
        TrainingResult r = new Trainer(c).train(model, TRAIN, VALIDATION);

        assertEquals(StopReason.MAX_EPOCHS, r.stopReason());
        assertEquals(8, r.lastEpoch());
        assertEquals(8, r.history().size());
        assertTrue(r.bestValidationDice() >= 0.9, "validation Dice " + r.bestValidationDice() + " after 8 epochs");
        assertTrue(r.history().getLast().trainLoss() < r.history().getFirst().trainLoss() / 2, "training loss " + r.history());
        assertEquals(STEPS * 8L, r.optimizerSteps());
        EpochMetrics best = r.history().get(r.bestEpoch() - 1);
        assertEquals(r.bestValidationLoss(), best.validationLoss());
        for (EpochMetrics m : r.history()) {
            assertTrue(m.validationLoss() >= r.bestValidationLoss());
        }

        // restoreBest: the model holds the best epoch's weights, so validating again gives the same bits.
        Trainer.Validation again = Trainer.validate(model, VALIDATION, c);
        assertEquals(r.bestValidationLoss(), again.loss());
        assertEquals(r.bestValidationDice(), again.dice());
        assertTrue(model.module().isTraining(), "the model is left in training mode");

        // best.safetensors: loadable into a fresh model, with provenance and run state.
        TinyNet fresh = TinyNet.twoHeads(999);
        Checkpoint.Loaded loaded = Checkpoint.load(r.bestCheckpoint(), fresh.module());
        assertEquals(dir.resolve("learn").resolve(Trainer.BEST), r.bestCheckpoint());
        Provenance p = loaded.provenance();
        assertEquals(c.toJson(), p.configJson());
        assertEquals(5, p.seed());
        assertEquals("cpu", p.backend());
        assertEquals("0.1.0-SNAPSHOT", p.engineVersion());
        assertEquals(Integer.toString(r.bestEpoch()), p.extra().get("epoch"));
        assertEquals("LE", p.extra().get("method"));
        assertFalse(loaded.optimizerState().names().isEmpty(), "optimizer state in best.safetensors");
        assertEquals(STEPS * (long) r.bestEpoch(), loaded.optimizerState().longValue("step"));
        assertStatesEqual(model.module(), fresh.module());

        Provenance last = Provenance.fromMetadata(Safetensors.read(dir.resolve("learn").resolve(Trainer.LAST)).metadata());
        assertEquals("8", last.extra().get("epoch"));
        assertEquals("9", last.extra().get("next_epoch"));
        assertEquals("5", last.extra().get("shuffle_seed"));
    }

    // ---- determinism and resume

    @Test
    void twoRunsWithTheSameSeedsAreIdenticalBitForBit() throws Exception {
        TinyNet a = TinyNet.twoHeads(100);
        TinyNet b = TinyNet.twoHeads(100);
        TrainingResult ra = new Trainer(config("a", 4).withRestoreBest(false)).train(a, TRAIN, VALIDATION);
        TrainingResult rb = new Trainer(config("b", 4).withRestoreBest(false)).train(b, TRAIN, VALIDATION);
        assertEquals(curves(ra), curves(rb));
        assertStatesEqual(a.module(), b.module());

        // Another shuffling seed gives another curve (the seed is used).
        TrainingResult rc = new Trainer(config("c", 4).withSeed(6)).train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertNotEquals(curves(ra), curves(rc));
    }

    @Test
    void resumingFromLastGivesTheUninterruptedRunBitForBit() throws Exception {
        TinyNet straight = TinyNet.twoHeads(100);
        TrainingResult full = new Trainer(config("straight", 4).withRestoreBest(false)).train(straight, TRAIN, VALIDATION);

        TrainingResult firstHalf = new Trainer(config("split", 2).withRestoreBest(false))
                .train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertEquals(2, firstHalf.lastEpoch());
        // A new trainer and a new model instance (initialised differently: everything comes from the file).
        TinyNet resumed = TinyNet.twoHeads(12345);
        TrainingResult second = new Trainer(config("elsewhere", 4).withRestoreBest(false))
                .resume(dir.resolve("split"), resumed, TRAIN, VALIDATION);

        assertEquals(4, second.lastEpoch());
        assertEquals(curves(full), curves(second));
        assertEquals(full.optimizerSteps(), second.optimizerSteps());
        assertEquals(full.bestEpoch(), second.bestEpoch());
        assertEquals(full.bestValidationLoss(), second.bestValidationLoss());
        assertStatesEqual(straight.module(), resumed.module());
        assertEquals(5, Files.readAllLines(dir.resolve("split").resolve(Trainer.METRICS)).size());
        assertFalse(Files.exists(dir.resolve("elsewhere")), "resume(outFolder, ...) writes into outFolder");

        // Resuming a finished run trains nothing more.
        TrainingResult again = new Trainer(config("split", 4)).resume(TinyNet.twoHeads(1), TRAIN, VALIDATION);
        assertEquals(curves(full), curves(again));
    }

    @Test
    void resumeRefusesAConfigurationThatChangesTheComputationAndTrainRefusesAUsedFolder() throws Exception {
        new Trainer(config("run", 1)).train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(config("run", 3).withLearningRate(1e-3).withBatchSize(3)).resume(TinyNet.twoHeads(1), TRAIN,
                        VALIDATION));
        assertTrue(e.getMessage().contains("learningRate") && e.getMessage().contains("batchSize"), e.getMessage());
        IllegalStateException used = assertThrows(IllegalStateException.class, () ->
                new Trainer(config("run", 3)).train(TinyNet.twoHeads(100), TRAIN, VALIDATION));
        assertTrue(used.getMessage().contains("already holds a training run"), used.getMessage());
        IllegalStateException none = assertThrows(IllegalStateException.class, () ->
                new Trainer(config("nothing", 3)).resume(TinyNet.twoHeads(100), TRAIN, VALIDATION));
        assertTrue(none.getMessage().contains("nothing to resume"), none.getMessage());
        // A checkpoint of another architecture is refused, naming the file.
        IllegalArgumentException arch = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(config("run", 3)).resume(new TinyNet(2, 4, true, 2, 1), TRAIN, VALIDATION));
        assertTrue(arch.getMessage().contains(Trainer.LAST), arch.getMessage());
    }

    // ---- early stopping

    @Test
    void earlyStoppingTriggersAfterPatienceEpochsWithoutImprovement() throws Exception {
        // Learning rate 0 and no batch norm: the validation loss cannot change after epoch 1.
        TrainingConfig c = config("patience", 20).withLearningRate(0).withPatience(3);
        TrainingResult r = new Trainer(c).train(new TinyNet(2, 8, false, 2, 100), TRAIN, VALIDATION);
        assertEquals(StopReason.EARLY_STOPPING, r.stopReason());
        assertEquals(4, r.lastEpoch());
        assertEquals(1, r.bestEpoch());
        for (EpochMetrics m : r.history()) {
            assertEquals(r.bestValidationLoss(), m.validationLoss());
        }
        // patience 0: early stopping off.
        TrainingResult off = new Trainer(config("nopatience", 5).withLearningRate(0).withPatience(0))
                .train(new TinyNet(2, 8, false, 2, 100), TRAIN, VALIDATION);
        assertEquals(StopReason.MAX_EPOCHS, off.stopReason());
        assertEquals(5, off.lastEpoch());
        // minDelta: improvements smaller than it do not count.
        TrainingResult delta = new Trainer(config("delta", 20).withPatience(2).withMinDelta(10))
                .train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertEquals(StopReason.EARLY_STOPPING, delta.stopReason());
        assertEquals(3, delta.lastEpoch());
    }

    // ---- divergence

    @Test
    void aNanLossStopsTrainingNamingEpochAndStepAndKeepsTheLastGoodCheckpoints() throws Exception {
        TinyNet model = TinyNet.twoHeads(100);
        model.nanAtCall = STEPS + 2;  // epoch 2, step 2
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () ->
                new Trainer(config("nan", 5)).train(model, TRAIN, VALIDATION));
        assertEquals(TrainingDivergedException.Phase.TRAINING_LOSS, e.phase());
        assertEquals(2, e.epoch());
        assertEquals(2, e.step());
        assertTrue(Double.isNaN(e.value()));
        assertTrue(e.getMessage().contains("epoch 2, step 2 of 6"), e.getMessage());
        Path run = dir.resolve("nan");
        assertEquals(run.resolve(Trainer.BEST), e.bestCheckpoint());

        TinyNet fresh = TinyNet.twoHeads(1);
        Checkpoint.Loaded best = Checkpoint.load(run.resolve(Trainer.BEST), fresh.module());
        assertEquals("1", best.provenance().extra().get("epoch"));
        assertTrue(Trainer.weightsFinite(fresh.module()));
        assertEquals("1", Provenance.fromMetadata(Safetensors.read(run.resolve(Trainer.LAST)).metadata()).extra().get("epoch"));
        assertEquals(2, Files.readAllLines(run.resolve(Trainer.METRICS)).size());
    }

    /**
     * A weight turned NaN in epoch 2 is caught where it first shows: in the gradient norm (when
     * clipping), in the validation loss, or, for a head left out of both (weight 0), by the check
     * before the checkpoint. Each time epoch 1's checkpoints stay, finite.
     */
    @Test
    void nonFiniteGradientsValidationLossesAndWeightsStopTrainingWithoutWritingThem() throws Exception {
        record Case(String run, String poison, int atCall, TrainingConfig config, TrainingDivergedException.Phase phase,
                    int step) {
        }
        List<Case> cases = List.of(
                new Case("grad", "block1.0.weight", STEPS + 3, config("grad", 5).withMaxGradNorm(1.0),
                        TrainingDivergedException.Phase.GRADIENT_NORM, 3),
                new Case("val", "block0.0.weight", 2 * STEPS, config("val", 5),
                        TrainingDivergedException.Phase.VALIDATION_LOSS, 0),
                new Case("weights", "head1.weight", 2 * STEPS, config("weights", 5).withHeadWeights(List.of(1.0, 0.0)),
                        TrainingDivergedException.Phase.WEIGHTS, 0));
        for (Case k : cases) {
            TinyNet model = TinyNet.twoHeads(100);
            model.poisonName = k.poison();
            model.poisonAtCall = k.atCall();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () ->
                    new Trainer(k.config()).train(model, TRAIN, VALIDATION), k.run());
            assertEquals(k.phase(), e.phase(), k.run());
            assertEquals(2, e.epoch(), k.run());
            assertEquals(k.step(), e.step(), k.run());
            assertTrue(e.getMessage().contains(k.step() > 0 ? "epoch 2, step " + k.step() : "epoch 2"), e.getMessage());
            for (String f : List.of(Trainer.BEST, Trainer.LAST)) {
                TinyNet fresh = TinyNet.twoHeads(1);
                Checkpoint.Loaded c = Checkpoint.load(dir.resolve(k.run()).resolve(f), fresh.module());
                assertEquals("1", c.provenance().extra().get("epoch"), k.run() + " " + f);
                assertTrue(Trainer.weightsFinite(fresh.module()), k.run() + " " + f);
            }
        }
    }

    @Test
    void anExplodingLearningRateStopsAtTheFirstNonFiniteLoss() throws Exception {
        TrainingConfig c = config("explode", 10).withOptimizer(TrainingConfig.OptimizerKind.SGD).withLearningRate(1e30);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () ->
                new Trainer(c).train(new TinyNet(2, 8, false, 2, 100), TRAIN, VALIDATION));
        // Measured: the first step's update overflows, the second step's loss is not finite.
        assertEquals(TrainingDivergedException.Phase.TRAINING_LOSS, e.phase());
        assertEquals(1, e.epoch());
        assertEquals(2, e.step());
        assertNull(e.bestCheckpoint());
        assertTrue(e.getMessage().contains("no best checkpoint had been written yet"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("explode").resolve(Trainer.LAST)));
    }

    // ---- files and progress

    @Test
    void metricsCsvHasAHeaderAndOneRowPerEpochAndProgressGoesToTheStream() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TrainingConfig c = config("metrics", 3).withValidateEvery(2).withQuiet(false).withProgressIntervalMillis(0);
        TrainingResult r = new Trainer(c, new PrintStream(bytes, true, StandardCharsets.UTF_8))
                .train(TinyNet.twoHeads(100), TRAIN, VALIDATION);

        List<String> lines = Files.readAllLines(dir.resolve("metrics").resolve(Trainer.METRICS));
        assertEquals("epoch,train_loss,val_loss,val_dice,lr,seconds", lines.get(0));
        assertEquals(4, lines.size());
        for (int i = 1; i <= 3; i++) {
            String[] f = lines.get(i).split(",", -1);
            assertEquals(6, f.length, lines.get(i));
            EpochMetrics m = r.history().get(i - 1);
            assertEquals(i, Integer.parseInt(f[0]));
            assertEquals(m.trainLoss(), Double.parseDouble(f[1]));
            assertEquals(0.01, Double.parseDouble(f[4]));
            assertTrue(Double.parseDouble(f[5]) >= 0);
            if (i == 1) {  // validated at epochs 2 and 3 (the last) only
                assertEquals("", f[2]);
                assertEquals("", f[3]);
                assertFalse(m.validated());
            } else {
                assertEquals(m.validationLoss(), Double.parseDouble(f[2]));
                assertEquals(m.validationDice(), Double.parseDouble(f[3]));
            }
        }
        assertTrue(r.bestEpoch() == 2 || r.bestEpoch() == 3, "best epoch " + r.bestEpoch() + " was not validated");
        try (var files = Files.list(dir.resolve("metrics"))) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "a temporary file was left behind");
        }

        String progress = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(progress.contains("epoch 1/3 [####"), progress);
        assertTrue(progress.contains("] 6/6 loss "), progress);
        assertTrue(progress.contains(" left "), progress);
        assertTrue(progress.contains("epoch 3/3 train "), progress);

        ByteArrayOutputStream silent = new ByteArrayOutputStream();
        new Trainer(config("quiet", 1), new PrintStream(silent, true, StandardCharsets.UTF_8))
                .train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertEquals(0, silent.size());
    }

    // ---- head weights

    @Test
    void aHeadOfWeightZeroGetsNoGradientAndItsWeightsStayAsTheyWere() throws Exception {
        TinyNet model = TinyNet.twoHeads(100);
        Map<String, float[]> before = parameters(model.module());
        TrainingConfig c = config("weights", 2).withHeadWeights(List.of(1.0, 0.0)).withRestoreBest(false);
        new Trainer(c).train(model, TRAIN, VALIDATION);
        Map<String, float[]> after = parameters(model.module());
        for (String name : before.keySet()) {
            if (name.startsWith("head1.") || name.startsWith("block1.")) {
                // head1 and block1, which feeds only head1: no gradient, no change
                assertArrayEquals(before.get(name), after.get(name), name + " changed");
                NDArray g = model.module().namedParameters().get(name).grad();
                assertNull(g, name + " got a gradient");
            } else {
                assertFalse(java.util.Arrays.equals(before.get(name), after.get(name)), name + " did not change");
            }
        }
        // A weight of 2 is twice the loss of that head.
        TinyNet m2 = TinyNet.twoHeads(100);
        Tensor images;
        Tensor masks;
        Batches.Batch b = Batches.of(TRAIN, new int[] {0, 1, 2, 3});
        images = b.images();
        masks = b.masks();
        var heads = m2.heads(images);
        double one = Trainer.totalLoss(m2, heads, masks, c.withHeadWeights(List.of(0.0, 1.0))).item();
        double two = Trainer.totalLoss(m2, heads, masks, c.withHeadWeights(List.of(0.0, 2.0))).item();
        assertEquals(2 * one, two, 1e-6 * two);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(config("count", 1).withHeadWeights(List.of(1.0, 1.0, 1.0))).train(TinyNet.twoHeads(1), TRAIN,
                        VALIDATION));
        assertTrue(e.getMessage().contains("3 head weights") && e.getMessage().contains("2 heads"), e.getMessage());
    }

    // ---- deep ensembles

    @Test
    void aMemberwiseModelIsTrainedMemberByMemberAndResumesMemberByMember() throws Exception {
        TinyEnsemble ensemble = new TinyEnsemble(2, 100);
        TrainingResult r = new Trainer(config("de", 3)).train(ensemble, TRAIN, VALIDATION);
        assertEquals(StopReason.MEMBERS_TRAINED, r.stopReason());
        assertEquals(2, r.members().size());
        assertEquals(2L * 3 * STEPS, r.optimizerSteps());
        for (int m = 0; m < 2; m++) {
            Path member = dir.resolve("de").resolve("member-" + m);
            assertEquals(member, r.members().get(m).outputDir());
            assertEquals(3, r.members().get(m).history().size());
            for (String f : List.of(Trainer.BEST, Trainer.LAST, Trainer.METRICS)) {
                assertTrue(Files.exists(member.resolve(f)), member.resolve(f) + " missing");
            }
            // Each member has its own optimizer over its own parameters only.
            Checkpoint.Loaded c = Checkpoint.load(member.resolve(Trainer.LAST), ensemble.members().get(m).module());
            assertEquals(3L * STEPS, c.optimizerState().longValue("step"));
            assertEquals(Long.toString(Trainer.memberSeed(5, m)), c.provenance().extra().get("shuffle_seed"));
            assertEquals(Integer.toString(m), c.provenance().extra().get("member"));
        }
        assertNotEquals(curves(r.members().get(0)), curves(r.members().get(1)));
        assertTrue(r.bestValidationDice() > 0.8, "ensemble Dice " + r.bestValidationDice());
        Trainer.Validation v = Trainer.validate(ensemble, VALIDATION, config("de", 3));
        assertEquals(r.bestValidationLoss(), v.loss());

        // The whole ensemble's best.safetensors loads into a fresh ensemble.
        TinyEnsemble fresh = new TinyEnsemble(2, 7);
        Checkpoint.Loaded whole = Checkpoint.load(dir.resolve("de").resolve(Trainer.BEST), fresh.module());
        assertEquals("DE", whole.provenance().extra().get("method"));
        assertStatesEqual(ensemble.module(), fresh.module());

        // Interrupted after 2 epochs per member, resumed to 3: the same members, bit for bit.
        new Trainer(config("de-split", 2)).train(new TinyEnsemble(2, 100), TRAIN, VALIDATION);
        TrainingResult resumed = new Trainer(config("de-split", 3)).resume(new TinyEnsemble(2, 55), TRAIN, VALIDATION);
        for (int m = 0; m < 2; m++) {
            assertEquals(curves(r.members().get(m)), curves(resumed.members().get(m)));
        }
        assertEquals(r.bestValidationLoss(), resumed.bestValidationLoss());
    }

    // ---- augmentation

    /** Flips, rotation, scale and translation on the training batches; the last epoch's weights kept. */
    private TrainingConfig augmented(String run, int epochs) {
        return config(run, epochs).withAugmentation(Augment.Config.defaults()).withRestoreBest(false);
    }

    @Test
    void augmentedRunsAreDeterministicResumeBitForBitAndDifferFromUnaugmentedOnes() throws Exception {
        TinyNet a = TinyNet.twoHeads(100);
        TrainingResult ra = new Trainer(augmented("aug-a", 4)).train(a, TRAIN, VALIDATION);
        TinyNet b = TinyNet.twoHeads(100);
        TrainingResult rb = new Trainer(augmented("aug-b", 4)).train(b, TRAIN, VALIDATION);
        assertEquals(curves(ra), curves(rb));
        assertStatesEqual(a.module(), b.module());

        // 2 epochs, then resumed to 4 by a new trainer into a differently initialised model: the same bits.
        TrainingResult half = new Trainer(augmented("aug-split", 2)).train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        TinyNet resumed = TinyNet.twoHeads(777);
        TrainingResult second = new Trainer(augmented("aug-split", 4)).resume(resumed, TRAIN, VALIDATION);
        assertEquals(4, second.lastEpoch());
        assertEquals(curves(ra), curves(second));
        assertEquals(ra.optimizerSteps(), second.optimizerSteps());
        assertStatesEqual(a.module(), resumed.module());

        // The same seeds without augmentation: another run from the first epoch's training loss on.
        TrainingResult plain = new Trainer(config("plain", 2).withRestoreBest(false))
                .train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertNotEquals(half.history().getFirst().trainLoss(), plain.history().getFirst().trainLoss());
        assertNotEquals(curves(half), curves(plain));

        // Validation is never augmented: validating the final weights with or without the setting
        // gives the figures the augmented run recorded for its last epoch.
        EpochMetrics last = ra.history().getLast();
        for (TrainingConfig c : List.of(config("v", 1), augmented("v", 1))) {
            Trainer.Validation v = Trainer.validate(a, VALIDATION, c);
            assertEquals(last.validationLoss(), v.loss());
            assertEquals(last.validationDice(), v.dice());
        }

        // Switching augmentation off (or changing it) is not a resumable change.
        for (TrainingConfig c : List.of(config("aug-split", 5),
                augmented("aug-split", 5).withAugmentation(Augment.Config.flipsOnly()))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    new Trainer(c.withRestoreBest(false)).resume(TinyNet.twoHeads(1), TRAIN, VALIDATION));
            assertTrue(e.getMessage().contains("augmentation: checkpoint"), e.getMessage());
        }
    }

    /**
     * What the model sees, caught by a forward hook on its first block: in training, exactly
     * {@code Batches.of(train, chunk, augment, Trainer.augmentRandom(seed, epoch))} for each chunk
     * of the epoch's order (the member's own seed for a deep ensemble member); in validation, the
     * plain samples.
     */
    @Test
    void trainingBatchesAreAugmentedWithTheEpochsGeneratorAndValidationBatchesAreNot() throws Exception {
        TinyNet model = TinyNet.twoHeads(100);
        List<float[]> training = new ArrayList<>();
        List<float[]> validating = new ArrayList<>();
        model.module().registerForwardHook("block0", (m, in, out) ->
                (m.isTraining() ? training : validating).add(in.data().toFloatArray()));
        TrainingConfig c = augmented("seen", 2).withValidateEvery(2);
        new Trainer(c).train(model, TRAIN, VALIDATION);

        Augment augment = new Augment(c.augmentation());
        List<float[]> expected = new ArrayList<>();
        List<float[]> unaugmented = new ArrayList<>();
        for (int epoch = 1; epoch <= 2; epoch++) {
            SeededRandom rng = Trainer.augmentRandom(c.seed(), epoch);
            for (int[] chunk : Batches.chunks(Trainer.epochOrder(TRAIN.size(), c.seed(), epoch), 4, false)) {
                expected.add(Batches.of(TRAIN, chunk, augment, rng).images().data().toFloatArray());
                unaugmented.add(Batches.of(TRAIN, chunk).images().data().toFloatArray());
            }
        }
        assertEquals(expected.size(), training.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), training.get(i), "training batch " + i);
            assertFalse(java.util.Arrays.equals(unaugmented.get(i), training.get(i)), "training batch " + i + " not augmented");
        }
        // One validation (epoch 2), in batches of 4 of the plain validation samples.
        assertEquals(2, validating.size());
        assertArrayEquals(Batches.of(VALIDATION, new int[] {0, 1, 2, 3}).images().data().toFloatArray(), validating.get(0));
        assertArrayEquals(Batches.of(VALIDATION, new int[] {4, 5, 6, 7}).images().data().toFloatArray(), validating.get(1));

        // A deep ensemble's member i is augmented with its own seed, Trainer.memberSeed(seed, i).
        TinyEnsemble ensemble = new TinyEnsemble(2, 100);
        List<float[]> member1 = new ArrayList<>();
        ensemble.members().get(1).module().registerForwardHook("block0", (m, in, out) -> {
            if (m.isTraining()) {
                member1.add(in.data().toFloatArray());
            }
        });
        new Trainer(augmented("seen-de", 1)).train(ensemble, TRAIN, VALIDATION);
        long seed1 = Trainer.memberSeed(c.seed(), 1);
        List<int[]> chunks = Batches.chunks(Trainer.epochOrder(TRAIN.size(), seed1, 1), 4, false);
        assertEquals(chunks.size(), member1.size());
        for (int i = 0; i < chunks.size(); i++) {
            assertArrayEquals(Batches.of(TRAIN, chunks.get(i), augment, Trainer.augmentRandom(seed1, 1)).images().data()
                    .toFloatArray(), member1.get(i), "member 1 batch " + i);
        }
    }

    @Test
    void theAugmentationGeneratorDependsOnlyOnSeedAndEpochAndIsApartFromTheShuffling() {
        long s = Trainer.augmentRandom(5, 3).seed();
        assertEquals(s, Trainer.augmentRandom(5, 3).seed());
        assertNotEquals(s, Trainer.augmentRandom(5, 4).seed());
        assertNotEquals(s, Trainer.augmentRandom(6, 3).seed());
        assertNotEquals(s, new SeededRandom(5).fork(3).seed(), "the same stream as epoch 3's shuffle");
    }

    // ---- memory

    @Test
    void trainingStepsGiveEveryTemporaryBackAndReuseThePoolsMemory() throws Exception {
        MemoryPool pool = MemoryPool.global();
        long inUse = pool.inUseBytes();
        new Trainer(config("warm", 1)).train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertEquals(inUse, pool.inUseBytes(), "native memory still in use after training");
        long reserved = pool.reservedBytes();
        new Trainer(config("steady", 4)).train(TinyNet.twoHeads(100), TRAIN, VALIDATION);
        assertEquals(inUse, pool.inUseBytes(), "native memory still in use after training");
        assertEquals(reserved, pool.reservedBytes(), "later epochs reserved more native memory");
    }

    // ---- small parts

    @Test
    void epochOrdersArePermutationsThatDependOnlyOnSeedAndEpoch() {
        int[] a = Trainer.epochOrder(50, 9, 3);
        assertArrayEquals(a, Trainer.epochOrder(50, 9, 3));
        assertFalse(java.util.Arrays.equals(a, Trainer.epochOrder(50, 9, 4)));
        assertFalse(java.util.Arrays.equals(a, Trainer.epochOrder(50, 10, 3)));
        int[] sorted = a.clone();
        java.util.Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(new int[] {0}, Trainer.epochOrder(1, 9, 1));
    }

    @Test
    void diceIsForegroundDiceForBinaryMasksAndTheForegroundMeanOtherwise() {
        // binary: prediction {1,1,0,0}, truth {1,0,0,0}: 2*1/(2+1)
        assertEquals(2.0 / 3, Trainer.diceSum(new int[] {1, 1, 0, 0}, new int[] {1, 0, 0, 0}, 1, 2), 1e-15);
        // both empty: 1; two images summed
        assertEquals(1.0 + 2.0 / 3, Trainer.diceSum(new int[] {0, 0, 0, 0, 1, 1, 0, 0},
                new int[] {0, 0, 0, 0, 1, 0, 0, 0}, 2, 2), 1e-15);
        // three classes: class 1 perfect (1), class 2 predicted where absent (0) -> mean 0.5
        assertEquals(0.5, Trainer.diceSum(new int[] {1, 2, 0, 0}, new int[] {1, 0, 0, 0}, 1, 3), 1e-15);
        // three classes, class 2 absent from both: 1 for it
        assertEquals(1.0, Trainer.diceSum(new int[] {1, 0, 0, 0}, new int[] {1, 0, 0, 0}, 1, 3), 1e-15);
    }

    @Test
    void batchesStackImagesAndMasksAndRejectMismatchedSamples() {
        Batches.Batch b = Batches.of(TRAIN, new int[] {3, 1});
        assertArrayEquals(new int[] {2, 1, 16, 16}, b.images().shape());
        assertArrayEquals(new int[] {2, 16, 16}, b.masks().shape());
        assertEquals(DType.INT32, b.masks().dtype());
        assertArrayEquals(TRAIN.get(1).image().toFloatArray(),
                java.util.Arrays.copyOfRange(b.images().data().toFloatArray(), 256, 512));
        assertArrayEquals(TRAIN.get(3).mask().toIntArray(),
                java.util.Arrays.copyOfRange(b.masks().data().toIntArray(), 0, 256));
        SegmentationDataset odd = new SegmentationDataset() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public org.layerensembles.data.Sample get(int index) {
                return index == 0 ? TRAIN.get(0) : new org.layerensembles.data.Sample("small",
                        org.layerensembles.core.NDArrays.zeros(1, 8, 8),
                        org.layerensembles.core.NDArrays.zeros(DType.INT32, 8, 8), Double.NaN);
            }

            @Override
            public int classes() {
                return 2;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Batches.of(odd, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("first sample has"), e.getMessage());
    }

    // ---- helpers

    /** Every epoch's training loss, validation loss and Dice as raw bits. */
    private static List<Long> curves(TrainingResult r) {
        List<Long> bits = new ArrayList<>();
        for (EpochMetrics m : r.history()) {
            bits.add(Double.doubleToRawLongBits(m.trainLoss()));
            bits.add(Double.doubleToRawLongBits(m.validationLoss()));
            bits.add(Double.doubleToRawLongBits(m.validationDice()));
        }
        return bits;
    }

    private static Map<String, float[]> parameters(Module module) {
        Map<String, float[]> out = new LinkedHashMap<>();
        module.namedParameters().forEach((name, p) -> out.put(name, p.data().toFloatArray()));
        return out;
    }

    /** Parameters, buffers and counters equal bit for bit. */
    private static void assertStatesEqual(Module expected, Module actual) {
        var a = expected.stateDict();
        var b = actual.stateDict();
        assertEquals(a.names(), b.names());
        for (String name : a.names()) {
            if (a.array(name) != null) {
                assertArrayEquals(a.array(name).toFloatArray(), b.array(name).toFloatArray(), name);
            } else {
                assertEquals(a.longValue(name), b.longValue(name), name);
            }
        }
        assertNotNull(a);
    }
}
