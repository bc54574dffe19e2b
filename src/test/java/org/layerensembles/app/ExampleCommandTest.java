package org.layerensembles.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExampleCommandTest {

    @Test
    void theExampleTrainsAndItsLossFalls() {
        CliRun run = CliRun.run("example", "--steps", "15", "--size", "16", "--batch", "4");
        assertEquals(0, run.exit(), "the example exits non-zero when its loss did not fall:\n" + run.out());
        assertTrue(run.out().contains("step  15"), run.out());
    }

    @Test
    void badArgumentsGiveANonZeroExit() {
        assertEquals(2, CliRun.run("example", "--size", "7").exit());
        assertEquals(2, CliRun.run("example", "--no-such-option").exit());
    }
}
