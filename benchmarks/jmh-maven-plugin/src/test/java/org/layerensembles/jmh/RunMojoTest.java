package org.layerensembles.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class RunMojoTest {

    @Test
    void noPropertiesGiveNoArguments() {
        assertEquals(List.of(), RunMojo.jmhArgs(null, false, null, null));
        assertEquals(List.of(), RunMojo.jmhArgs(" ", false, "", "  "));
    }

    @Test
    void quickJsonExtraThenInclude() {
        assertEquals(List.of("-f", "1", "-wi", "1", "-w", "1s", "-i", "2", "-r", "1s",
                        "-rf", "json", "-rff", "out.json", "-p", "n=256", "-p", "backend=cpu", "Gemm.*"),
                RunMojo.jmhArgs("Gemm.*", true, "out.json", "-p n=256  -p backend=cpu"));
    }

    @Test
    void quotesGroupWords() {
        assertEquals(List.of("-jvmArgs", "-Xmx2g -Xss4m", "x", ""),
                RunMojo.split(" -jvmArgs '-Xmx2g -Xss4m' \"x\" ''"));
    }
}
