package org.layerensembles.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end at a tiny size: demo, train, evaluate and predict produce their
 * files; bad arguments print one clear line naming the problem and exit with 2.
 */
class CommandLineTest {

    @Test
    void demoTrainEvaluateAndPredictWriteTheirFiles(@TempDir Path dir) throws Exception {
        CliRun demo = CliRun.run("demo", "--out", dir.resolve("demo").toString(), "--size", "32", "--train", "12", "--val", "4",
                "--test", "6", "--epochs", "1", "--width", "4", "--quiet");
        assertEquals(0, demo.exit(), demo.err());
        assertTrue(demo.out().contains("Spearman(AULA, DSC)"), demo.out());
        for (String f : new String[] {"summary.md", "per_image.csv", "qc_curves.png", "heatmaps.png"}) {
            assertTrue(Files.isRegularFile(dir.resolve("demo/report").resolve(f)), f + " missing");
        }
        assertTrue(Files.readString(dir.resolve("demo/report/summary.md")).contains("| LE |"));

        Path model = dir.resolve("model");
        CliRun train = CliRun.run("train", "--synthetic", "10", "--size", "32", "--epochs", "1", "--width", "4", "--depth", "2",
                "--method", "mh", "--members", "2", "--out", model.toString());
        assertEquals(0, train.exit(), train.err());
        assertTrue(Files.isRegularFile(model.resolve("model.json")));
        assertTrue(Files.isRegularFile(model.resolve("best.safetensors")));

        assertError(CliRun.run("evaluate", "--model", model.toString(), "--synthetic", "4", "--skip", "2", "--out",
                dir.resolve("r2").toString()), "leaves none");
        CliRun evaluate = CliRun.run("evaluate", "--model", model.toString(), "--synthetic", "4", "--skip", "1", "--combine", "vote",
                "--out", dir.resolve("report").toString());
        assertEquals(0, evaluate.exit(), evaluate.err());
        assertTrue(Files.readString(dir.resolve("report/summary.md")).contains("| MH |"));

        Path image = dir.resolve("demo/data/test/images/mass_00000.png");
        CliRun predict = CliRun.run("predict", "--model", dir.resolve("demo/LE").toString(), "--image", image.toString(), "--out",
                dir.resolve("predict").toString());
        assertEquals(0, predict.exit(), predict.err());
        assertTrue(predict.out().contains("AULA"), predict.out());
        BufferedImage mask = ImageIO.read(dir.resolve("predict/mask.png").toFile());
        assertNotNull(mask);
        assertEquals(32, mask.getWidth());
        assertNotNull(ImageIO.read(dir.resolve("predict/uncertainty.png").toFile()));
    }

    @Test
    void badArgumentsAreOneClearLineAndExitTwo(@TempDir Path dir) {
        assertError(CliRun.run("train", "--epochs", "1"), "--data FOLDER or --synthetic N");
        assertError(CliRun.run("train", "--synthetic", "4", "--method", "xyz"), "--method must be");
        assertError(CliRun.run("train", "--synthetic", "4", "--size", "40"), "multiple of 2^depth");
        assertError(CliRun.run("train", "--data", dir.resolve("none").toString()), "none");
        assertError(CliRun.run("evaluate", "--model", dir.resolve("missing").toString(), "--synthetic", "4"), "model.json");
        assertError(CliRun.run("evaluate", "--model", dir.toString(), "--combine", "bogus"), "--combine must be");
        assertError(CliRun.run("predict", "--model", dir.resolve("missing").toString(), "--image", "x.png"), "model.json");
        assertError(CliRun.run("demo", "--test", "1"), "--test >= 3");
        assertEquals(2, CliRun.run("predict").exit(), "missing required options");
        assertEquals(2, CliRun.run("evaluate", "--model", "m", "--no-such-option").exit());
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"demo", "train", "evaluate", "predict", "example", "info"}) {
            CliRun help = CliRun.run(command, "--help");
            assertEquals(0, help.exit(), command);
            assertTrue(help.out().contains("Usage: le " + command), help.out());
        }
    }

    private static void assertError(CliRun run, String expected) {
        assertEquals(2, run.exit(), "exit code; stderr: " + run.err());
        assertTrue(run.err().contains(expected), "stderr should mention '" + expected + "': " + run.err());
    }
}
