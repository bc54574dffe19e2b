package org.layerensembles.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class QualityControlTest {

    /** dice (0.9, 0.5, 0.99, 0.7) with τ = 0.8: images 1 and 3 are poor. */
    private static final double[] DICE = {0.9, 0.5, 0.99, 0.7};

    /** Expected curve: flagged k = floor(4 i / 49) -> k = 0 (i ≤ 12), 1 (13..24), 2 (25..36), 3 (37..48), 4. */
    private static double[] expected(double[] byFlagged) {
        double[] y = new double[50];
        for (int i = 0; i < 50; i++) {
            y[i] = byFlagged[4 * i / 49];
        }
        return y;
    }

    @Test
    void perfectOrderHandExample() {
        // Most uncertain first: 1 (poor), 3 (poor), 0, 2.
        QcCurve c = QualityControl.curve(new double[] {1, 4, 0, 3}, DICE, 0.8);
        assertEquals(50, c.fractions().length);
        assertEquals(0.0, c.fractions()[0]);
        assertEquals(1.0, c.fractions()[49]);
        assertEquals(1.0 / 49, c.fractions()[1], 1e-15);
        double[] y = expected(new double[] {0.5, 0.25, 0, 0, 0});
        assertArrayEquals(y, c.remainingPoor(), 1e-15);
        // 12 intervals at 0.5, one (0.5 + 0.25)/2, 11 at 0.25, one 0.125.
        assertEquals(9.25 / 49, c.area(), 1e-12);
        assertArrayEquals(y, c.ideal(), 1e-15);
        assertEquals(9.25 / 49, c.idealArea(), 1e-12);
        for (int i = 0; i < 50; i++) {
            assertEquals((1 - i / 49.0) * 0.5, c.random()[i], 1e-12);
        }
        assertEquals(0.25, c.randomArea(), 1e-12); // linear: trapezoid exact, 0.5 · 0.5
    }

    @Test
    void worstOrderHandExample() {
        // Most uncertain first: 2, 0 (good), 3, 1 (poor): poor flagged last.
        QcCurve c = QualityControl.curve(new double[] {3, 0, 4, 1}, DICE, 0.8);
        assertArrayEquals(expected(new double[] {0.5, 0.5, 0.5, 0.25, 0}), c.remainingPoor(), 1e-15);
        // 36 intervals at 0.5, 0.375, 11 at 0.25, 0.125.
        assertEquals(21.25 / 49, c.area(), 1e-12);
        assertEquals(9.25 / 49, c.idealArea(), 1e-12);
        assertEquals(0.25, c.randomArea(), 1e-12);
    }

    @Test
    void aulaIsPassedNegatedAndNaNsAreDropped() {
        double[] aula = {7.9, 6.0, 8.0, 6.5}; // higher = more certain
        double[] negated = new double[4];
        for (int i = 0; i < 4; i++) {
            negated[i] = -aula[i];
        }
        QcCurve c = QualityControl.curve(negated, DICE, 0.8);
        assertEquals(9.25 / 49, c.area(), 1e-12);
        QcCurve withNaN = QualityControl.curve(new double[] {1, Double.NaN, 4, 0, 3, 2},
                new double[] {0.9, 0.1, 0.5, 0.99, 0.7, Double.NaN}, 0.8);
        assertArrayEquals(c.remainingPoor(), withNaN.remainingPoor(), 1e-15);
        assertEquals(c.area(), withNaN.area(), 1e-15);
    }

    @Test
    void tiesKeepInputOrderAndEdgeCases() {
        // All uncertainties equal: input order, images 1 and 3 poor -> remaining after k flagged.
        QcCurve c = QualityControl.curve(new double[4], DICE, 0.8);
        assertArrayEquals(expected(new double[] {0.5, 0.5, 0.25, 0.25, 0}), c.remainingPoor(), 1e-15);
        // No poor image: everything zero.
        QcCurve none = QualityControl.curve(new double[] {1, 2}, new double[] {0.99, 0.98}, 0.9);
        assertEquals(0.0, none.area());
        assertEquals(0.0, none.randomArea());
        assertEquals(0.0, none.idealArea());
        // All poor, one image: only f = 1 flags it.
        QcCurve one = QualityControl.curve(new double[] {1}, new double[] {0.1}, 0.9);
        assertEquals(1.0, one.remainingPoor()[48]);
        assertEquals(0.0, one.remainingPoor()[49]);
        assertEquals((48 + 0.5) / 49, one.area(), 1e-12);
        assertEquals(0.5, one.randomArea(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> QualityControl.curve(new double[] {1}, new double[] {1, 2}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> QualityControl.curve(new double[] {Double.NaN}, new double[] {1}, 0.5));
    }
}
