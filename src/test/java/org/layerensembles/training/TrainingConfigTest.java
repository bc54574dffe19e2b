package org.layerensembles.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.optim.Adam;
import org.layerensembles.autograd.optim.AdamW;
import org.layerensembles.autograd.optim.Optimizer;
import org.layerensembles.autograd.optim.SGD;
import org.layerensembles.data.Augment;
import org.layerensembles.training.TrainingConfig.LossKind;
import org.layerensembles.training.TrainingConfig.OptimizerKind;

class TrainingConfigTest {
    @Test
    void defaultsAreTheOriginalSettings() {
        TrainingConfig d = TrainingConfig.defaults();
        assertEquals(1e-4, d.learningRate());
        assertEquals(5, d.batchSize());
        assertEquals(OptimizerKind.ADAM, d.optimizer());
        assertEquals(LossKind.DICE_CE, d.headLoss());
        assertNull(d.headWeights());
        assertEquals(1.0, d.headWeight(7));
        assertEquals(10, d.patience());
        assertEquals(1, d.validateEvery());
        assertNull(d.maxGradNorm());
        assertTrue(d.restoreBest());
        assertEquals(0.0, d.effectiveWeightDecay());
        assertEquals(1e-2, d.withOptimizer(OptimizerKind.ADAMW).effectiveWeightDecay());
        assertEquals(0.5, d.withOptimizer(OptimizerKind.ADAMW).withWeightDecay(0.5).effectiveWeightDecay());
        assertNull(d.augmentation());
    }

    @Test
    void everyInvalidFieldIsReportedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainingConfig(0, 0,
                Double.NaN, null, -1.0, 0.9, null, List.of(-1.0, Double.POSITIVE_INFINITY), List.of(1.0), -1, -0.5, 0, 0,
                null, 0.0, true, false, -1, null));
        String m = e.getMessage();
        for (String field : List.of("epochs", "batchSize", "learningRate", "optimizer", "weightDecay", "headLoss",
                "headWeights[0]", "headWeights[1]", "classWeights", "patience", "minDelta", "validateEvery", "outputDir",
                "maxGradNorm", "progressIntervalMillis")) {
            assertTrue(m.contains(field), field + " not named in: " + m);
        }
        assertTrue(m.startsWith("invalid training configuration (15 problems)"), m);
    }

    @Test
    void specificRulesHaveClearMessages() {
        TrainingConfig d = TrainingConfig.defaults();
        assertMessage(() -> d.withMomentum(0.9), "momentum applies to SGD only");
        assertEquals(0.9, d.withOptimizer(OptimizerKind.SGD).withMomentum(0.9).momentum());
        assertMessage(() -> d.withHeadWeights(List.of(0.0, 0.0)), "at least one weight > 0");
        assertMessage(() -> d.withHeadWeights(List.of()), "headWeights must have at least 1 entry");
        assertMessage(() -> d.withHeadWeights(Arrays.asList(1.0, null)), "headWeights[1] must be finite");
        assertMessage(() -> d.withHeadLoss(LossKind.DICE).withClassWeights(List.of(0.1, 0.9)), "the DICE loss has none");
        assertMessage(() -> d.withLearningRate(Double.POSITIVE_INFINITY), "learningRate");
        assertMessage(() -> d.withMaxGradNorm(Double.NaN), "maxGradNorm");
        assertEquals(List.of(0.5, 2.0), d.withHeadWeights(List.of(0.5, 2.0)).headWeights());
        assertEquals(0, d.withPatience(0).patience());
    }

    @Test
    void jsonRoundTripsEveryFieldAndRejectsUnknownMembers() {
        TrainingConfig c = TrainingConfig.defaults().withEpochs(7).withBatchSize(3).withLearningRate(0.1 + 0.2)
                .withOptimizer(OptimizerKind.SGD).withMomentum(0.9).withWeightDecay(1e-5).withHeadLoss(LossKind.CE)
                .withHeadWeights(List.of(0.25, 1.0, 3.0)).withClassWeights(List.of(0.1, 0.3, 0.3, 0.3)).withPatience(4)
                .withMinDelta(1e-3).withSeed(-42).withValidateEvery(2).withOutputDir(Path.of("a", "b"))
                .withMaxGradNorm(5.0).withRestoreBest(false).withQuiet(true).withProgressIntervalMillis(250)
                .withAugmentation(Augment.Config.defaults());
        assertEquals(c, TrainingConfig.fromJson(c.toJson()));
        TrainingConfig d = TrainingConfig.defaults();
        assertEquals(d, TrainingConfig.fromJson(d.toJson()));
        assertTrue(c.toJson().contains("\"learningRate\" : 0.30000000000000004"), c.toJson());
        assertEquals(d.withEpochs(3), TrainingConfig.fromJson("{\"epochs\": 3}"));
        assertMessage(() -> TrainingConfig.fromJson("{\"epoch\": 3}"), "unknown member(s) [epoch]");
        assertMessage(() -> TrainingConfig.fromJson("{\"optimizer\": \"LBFGS\"}"), "'optimizer' must be one of");
        assertMessage(() -> TrainingConfig.fromJson("{\"epochs\": 2.5}"), "'epochs' must be an integer");
        assertMessage(() -> TrainingConfig.fromJson("{\"batchSize\": 0}"), "batchSize must be >= 1");
        assertMessage(() -> TrainingConfig.fromJson("[1]"), "must be a JSON object");
        assertMessage(() -> TrainingConfig.fromJson("{"), "not well-formed JSON");
    }

    @Test
    void augmentationRoundTripsThroughJsonBitForBitAndIsCheckedMemberByMember() {
        TrainingConfig d = TrainingConfig.defaults();
        assertTrue(d.toJson().contains("\"augmentation\" : null"), d.toJson());
        assertNull(TrainingConfig.fromJson(d.toJson()).augmentation());

        // Awkward doubles (not short decimals) and the other padding come back with the same bits.
        Augment.Config a = new Augment.Config(0.1 + 0.2, 1.0 / 3, 15.000000000000002, Math.nextDown(0.9), Math.nextUp(1.1),
                Math.PI / 100, Augment.Padding.BORDER);
        TrainingConfig c = d.withAugmentation(a);
        assertEquals(a, c.augmentation());
        String json = c.toJson();
        TrainingConfig back = TrainingConfig.fromJson(json);
        assertEquals(c, back);
        assertEquals(Double.doubleToRawLongBits(a.maxScale()), Double.doubleToRawLongBits(back.augmentation().maxScale()));
        assertEquals(json, back.toJson());
        var node = c.toJsonNode().get("augmentation");
        assertEquals(List.of("flipHorizontal", "flipVertical", "maxRotationDegrees", "minScale", "maxScale",
                "maxTranslation", "padding"), iterable(node.fieldNames()));
        assertEquals("BORDER", node.get("padding").textValue());
        assertEquals("augmentation", iterable(c.toJsonNode().fieldNames()).getLast());
        // Every wither keeps it.
        assertEquals(a, c.withEpochs(3).withSeed(9).withQuiet(true).withProgressIntervalMillis(5).augmentation());
        assertNull(c.withAugmentation(null).augmentation());

        // Missing nested members take Augment.Config.defaults(); {} is the default augmentation.
        assertEquals(Augment.Config.defaults(), TrainingConfig.fromJson("{\"augmentation\": {}}").augmentation());
        assertEquals(new Augment.Config(0.5, 0.5, 0, 0.9, 1.1, 0.05, Augment.Padding.ZERO),
                TrainingConfig.fromJson("{\"augmentation\": {\"maxRotationDegrees\": 0}}").augmentation());

        assertMessage(() -> TrainingConfig.fromJson("{\"augmentation\": {\"rotation\": 10}}"),
                "member 'augmentation' has unknown member(s) [rotation]");
        assertMessage(() -> TrainingConfig.fromJson("{\"augmentation\": {\"padding\": \"REFLECT\"}}"),
                "'augmentation.padding' must be one of [ZERO, BORDER]");
        assertMessage(() -> TrainingConfig.fromJson("{\"augmentation\": {\"padding\": null}}"),
                "'augmentation.padding' must be one of");
        assertMessage(() -> TrainingConfig.fromJson("{\"augmentation\": {\"minScale\": \"0.9\"}}"),
                "'augmentation.minScale' must be a number");
        assertMessage(() -> TrainingConfig.fromJson("{\"augmentation\": true}"), "'augmentation' must be an object or null");
        assertMessage(() -> TrainingConfig.fromJson("{\"augmentation\": {\"flipVertical\": 1.5}}"),
                "augmentation: flipVertical must be a probability");
    }

    @Test
    void augmentationChangesWhatIsComputedSoItIsNotAResumableChange() {
        assertFalse(TrainingConfig.RESUMABLE_CHANGES.contains("augmentation"));
        assertTrue(TrainingConfig.defaults().toJsonNode().has("augmentation"));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void theOptimizerFollowsTheConfiguration() {
        var params = TinyFixtures.TinyNet.twoHeads(1).module().namedParameters();
        Optimizer adam = Trainer.newOptimizer(params, TrainingConfig.defaults().withLearningRate(0.02));
        assertEquals(Adam.class, adam.getClass());
        assertEquals(0.02, adam.lr());
        assertEquals(0.0, ((Adam) adam).options().weightDecay());
        Optimizer adamw = Trainer.newOptimizer(params, TrainingConfig.defaults().withOptimizer(OptimizerKind.ADAMW));
        assertEquals(AdamW.class, adamw.getClass());
        assertEquals(1e-2, ((Adam) adamw).options().weightDecay());
        Optimizer sgd = Trainer.newOptimizer(params, TrainingConfig.defaults().withOptimizer(OptimizerKind.SGD)
                .withMomentum(0.8).withWeightDecay(1e-3));
        assertEquals(0.8, ((SGD) sgd).options().momentum());
        assertEquals(1e-3, ((SGD) sgd).options().weightDecay());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), "'" + part + "' not in: " + x.getMessage());
    }
}
