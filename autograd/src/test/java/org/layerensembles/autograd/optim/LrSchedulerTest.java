package org.layerensembles.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.autograd.optim.OptimTesting.named;
import static org.layerensembles.autograd.optim.OptimTesting.param;
import static org.layerensembles.autograd.optim.SGDTest.assertMessage;

import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.autograd.optim.ReduceLROnPlateau.Mode;
import org.layerensembles.autograd.optim.ReduceLROnPlateau.ThresholdMode;

/**
 * Learning-rate schedules: each epoch's rate against values worked out by hand (or PyTorch's
 * closed forms written independently here), relative tolerance 1e-12 (a few double roundings).
 */
class LrSchedulerTest {
    private static final double RTOL = 1e-12;

    private static Optimizer sgd(double lr) {
        return new SGD(named("w", param(1, 3)), SGD.Options.defaults().withLr(lr));
    }

    private static void assertLr(double expected, double actual, String what) {
        assertEquals(expected, actual, RTOL * Math.abs(expected), what);
    }

    @Test
    void stepLrDecaysEveryStepSizeEpochs() {
        Optimizer opt = sgd(0.1);
        StepLR s = new StepLR(opt, 3, 0.1);
        assertEquals(0, s.lastEpoch());
        assertEquals(0.1, opt.lr());
        // By hand: epochs 0-2 0.1, 3-5 0.01, 6-8 0.001, 9-11 1e-4 (closed form 0.1 * 0.1^floor(e / 3)).
        double[] expected = {0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4};
        for (int e = 1; e < expected.length; e++) {
            s.step();
            assertEquals(e, s.lastEpoch());
            assertLr(expected[e], opt.lr(), "epoch " + e);
            assertLr(0.1 * Math.pow(0.1, e / 3), opt.lr(), "closed form, epoch " + e);
        }
    }

    @Test
    void cosineAnnealingFollowsTheClosedForm() {
        Optimizer opt = sgd(0.1);
        CosineAnnealingLR s = new CosineAnnealingLR(opt, 10, 0.001);
        double cosPiOver10 = Math.sqrt((5 + Math.sqrt(5)) / 8);   // cos(18 degrees)
        double mid = 0.001 + (0.1 - 0.001) / 2;
        for (int e = 1; e <= 25; e++) {
            s.step();
            double expected = 0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * e / 10)) / 2;
            assertLr(expected, opt.lr(), "epoch " + e);
            switch (e) {
                case 1 -> assertLr(0.001 + 0.099 * (1 + cosPiOver10) / 2, opt.lr(), "epoch 1 by hand");
                case 5, 15 -> assertLr(mid, opt.lr(), "half way, epoch " + e);
                case 9 -> assertLr(0.001 + 0.099 * (1 - cosPiOver10) / 2, opt.lr(), "epoch 9 by hand");
                case 10 -> assertLr(0.001, opt.lr(), "the minimum at tMax");
                case 20 -> assertLr(0.1, opt.lr(), "back at the base rate after 2 tMax");
                default -> {
                }
            }
        }
    }

    @Test
    void schedulesRoundTripTheirState() {
        Optimizer opt = sgd(0.2);
        CosineAnnealingLR s = new CosineAnnealingLR(opt, 7, 0.0);
        for (int e = 0; e < 4; e++) {
            s.step();
        }
        StateDict sd = s.stateDict();
        StateDict optState = opt.stateDict();
        double[] lrs = new double[5];
        for (int e = 0; e < 5; e++) {
            s.step();
            lrs[e] = opt.lr();
        }
        // A new optimizer at another rate and a new schedule: the state brings back base and epoch.
        Optimizer opt2 = sgd(0.5);
        opt2.loadStateDict(optState);
        CosineAnnealingLR s2 = new CosineAnnealingLR(opt2, 7, 0.0);
        s2.loadStateDict(sd);
        assertEquals(4, s2.lastEpoch());
        assertEquals(0.2, s2.baseLr());
        for (int e = 0; e < 5; e++) {
            s2.step();
            assertEquals(lrs[e], opt2.lr(), "epoch " + (5 + e));
        }
        StateDict bad = new StateDict().putLong("last_epoch", 3).putLong("best.f64bits", 0);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> s2.loadStateDict(bad));
        assertTrue(x.getMessage().contains("unexpected entry 'best.f64bits'")
                && x.getMessage().contains("missing entry 'base_lr.f64bits'"), x.getMessage());
    }

    @Test
    void plateauInModeMinWithPatienceCooldownAndMinLr() {
        Optimizer opt = sgd(0.1);
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt, ReduceLROnPlateau.Options.defaults().withFactor(0.5)
                .withPatience(2).withThreshold(0.1, ThresholdMode.REL).withCooldown(1).withMinLr(0.02));
        // Worked by hand ("better" = below best * 0.9):
        // e1 1.0 best; e2 0.95, e3 0.91 bad 1, 2; e4 0.89 best; e5-e6 bad 1, 2; e7 bad 3 > 2:
        // lr 0.05, cooldown 1; e8 cooldown (bad reset); e9-e10 bad 1, 2; e11 lr 0.025; e12 cooldown;
        // e13-e14 bad 1, 2; e15 lr max(0.0125, 0.02) = 0.02; later reductions change nothing.
        double[] metrics = {1.0, 0.95, 0.91, 0.89, 0.89, 0.88, 0.88, 0.88, 0.88, 0.88, 0.88, 0.88, 0.88, 0.88, 0.88,
            0.88, 0.88, 0.88, 0.88, 0.88};
        double[] expected = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02,
            0.02, 0.02, 0.02, 0.02, 0.02};
        for (int e = 0; e < metrics.length; e++) {
            s.step(metrics[e]);
            assertLr(expected[e], opt.lr(), "epoch " + (e + 1));
        }
        assertEquals(0.89, s.best());
        assertEquals(metrics.length, s.lastEpoch());
    }

    @Test
    void plateauInModeMaxWithAnAbsoluteThreshold() {
        Optimizer opt = sgd(1.0);
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt, ReduceLROnPlateau.Options.defaults().withMode(Mode.MAX)
                .withPatience(1).withThreshold(0.05, ThresholdMode.ABS));
        // "better" = above best + 0.05. e1 0.5 best; e2 0.52 bad 1; e3 0.6 best; e4 0.62 bad 1;
        // e5 0.64 bad 2 > 1: lr 0.1; e6 0.7 best; e7 NaN bad 1; e8 0.7 bad 2: lr 0.01.
        double[] metrics = {0.5, 0.52, 0.6, 0.62, 0.64, 0.7, Double.NaN, 0.7};
        double[] expected = {1, 1, 1, 1, 0.1, 0.1, 0.1, 0.01};
        for (int e = 0; e < metrics.length; e++) {
            s.step(metrics[e]);
            assertLr(expected[e], opt.lr(), "epoch " + (e + 1));
        }
    }

    @Test
    void plateauSkipsReductionsSmallerThanEps() {
        Optimizer opt = sgd(1e-9);
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt, ReduceLROnPlateau.Options.defaults().withPatience(0));
        s.step(1);
        s.step(1);   // bad epoch 1 > 0: 1e-9 - 1e-10 = 9e-10 < eps 1e-8, so unchanged
        assertEquals(1e-9, opt.lr());
        assertEquals(0, s.numBadEpochs());
    }

    @Test
    void plateauRoundTripsItsState() {
        ReduceLROnPlateau.Options o = ReduceLROnPlateau.Options.defaults().withPatience(1).withCooldown(2);
        Optimizer opt = sgd(0.1);
        ReduceLROnPlateau s = new ReduceLROnPlateau(opt, o);
        double[] metrics = {3, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
        for (int e = 0; e < 5; e++) {
            s.step(metrics[e]);
        }
        StateDict sd = s.stateDict();
        StateDict optState = opt.stateDict();
        double[] lrs = new double[metrics.length - 5];
        for (int e = 5; e < metrics.length; e++) {
            s.step(metrics[e]);
            lrs[e - 5] = opt.lr();
        }
        Optimizer opt2 = sgd(0.3);
        opt2.loadStateDict(optState);
        ReduceLROnPlateau s2 = new ReduceLROnPlateau(opt2, o);
        s2.loadStateDict(sd);
        for (int e = 5; e < metrics.length; e++) {
            s2.step(metrics[e]);
            assertEquals(lrs[e - 5], opt2.lr(), "epoch " + (e + 1));
        }
        assertEquals(s.best(), s2.best());
        assertEquals(s.numBadEpochs(), s2.numBadEpochs());
        assertEquals(s.cooldownCounter(), s2.cooldownCounter());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> s2.loadStateDict(new StateDict().putLong("last_epoch", 1)));
        assertTrue(x.getMessage().contains("3 mismatches"), x.getMessage());
    }

    @Test
    void invalidSettingsAreRejected() {
        Optimizer opt = sgd(0.1);
        assertMessage("stepSize", () -> new StepLR(opt, 0, 0.1));
        assertMessage("gamma", () -> new StepLR(opt, 1, -0.5));
        assertMessage("tMax", () -> new CosineAnnealingLR(opt, 0, 0));
        assertMessage("etaMin", () -> new CosineAnnealingLR(opt, 5, -1e-3));
        ReduceLROnPlateau.Options d = ReduceLROnPlateau.Options.defaults();
        assertMessage("factor", () -> d.withFactor(1.0));
        assertMessage("factor", () -> d.withFactor(-0.1));
        assertMessage("patience", () -> d.withPatience(-1));
        assertMessage("cooldown", () -> d.withCooldown(-1));
        assertMessage("threshold", () -> d.withThreshold(-1e-4, ThresholdMode.REL));
        assertMessage("minLr", () -> d.withMinLr(Double.NaN));
        assertMessage("mode", () -> d.withMode(null));
    }
}
