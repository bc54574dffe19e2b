package org.layerensembles.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ExampleCommandTest {

    @Test
    void theExampleTrainsAndItsLossFalls() {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new Main()).execute("example", "--steps", "15", "--size", "16", "--batch", "4");
        } finally {
            System.setOut(saved);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, "the example exits non-zero when its loss did not fall:\n" + out);
        assertTrue(out.contains("step  15"), out);
    }

    @Test
    void badArgumentsGiveANonZeroExit() {
        assertEquals(2, new CommandLine(new Main()).execute("example", "--size", "7"));
        assertEquals(2, new CommandLine(new Main()).execute("example", "--no-such-option"));
    }
}
