package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** build-kernels.sh without nvcc, and what the Maven build packaged. */
class BuildKernelsScriptTest {

    @Test
    void withoutNvccTheScriptSucceedsAndWritesTheReason(@TempDir Path out) throws IOException, InterruptedException {
        Files.writeString(out.resolve("stale.ptx"), "from an earlier build");
        ProcessBuilder pb = new ProcessBuilder("bash", "build-kernels.sh", "src/main/cuda", out.toString())
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("PATH", "/usr/bin:/bin"); // no nvcc there (it lives in /usr/local)
        env.put("CUDA_HOME", out.resolve("no-cuda-here").toString());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        Path marker = out.resolve("NO_KERNELS");
        assertTrue(Files.exists(marker), log);
        assertTrue(Files.readString(marker).contains("nvcc was not found"), Files.readString(marker));
        assertFalse(Files.exists(out.resolve("stale.ptx")), "kernels of an earlier build are removed");
        assertTrue(log.contains("NO_KERNELS"), log);
    }

    @Test
    void theBuildPackagedTheSmokeKernelOrSaidWhyNot() {
        boolean kernels = CudaModule.class.getResource(KernelImage.ptx("smoke")) != null
                && CudaModule.class.getResource(KernelImage.cubin("smoke", 90)) != null;
        boolean noKernels = CudaModule.class.getResource(KernelImage.NO_KERNELS) != null;
        assertTrue(kernels != noKernels, "either smoke.ptx and smoke.sm_90.cubin, or NO_KERNELS");
    }
}
