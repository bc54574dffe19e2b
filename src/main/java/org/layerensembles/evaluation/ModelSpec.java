package org.layerensembles.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.ensemble.DeepEnsemble;
import org.layerensembles.ensemble.LayerEnsemble;
import org.layerensembles.ensemble.MultiHead;
import org.layerensembles.ensemble.Plain;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.models.UNet;
import org.layerensembles.models.UNetConfig;

/**
 * What is needed to rebuild a trained model before loading its weights: the method (LE, Plain,
 * MH, DE), the U-Net configuration, the image size and the number of heads or members. Written as
 * {@code model.json} beside the checkpoints of a training run.
 *
 * @param method  "LE", "Plain", "MH" or "DE"
 * @param unet    the backbone's configuration (its seed also seeds the heads)
 * @param size    image height and width the model was trained on
 * @param members heads of MH or members of DE (ignored for LE and Plain)
 */
public record ModelSpec(String method, UNetConfig unet, int size, int members) {
    public static final String FILE = "model.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelSpec {
        if (!List.of("LE", "Plain", "MH", "DE").contains(method)) {
            throw new IllegalArgumentException("method must be LE, Plain, MH or DE, got '" + method + "'");
        }
        if (size < 1) {
            throw new IllegalArgumentException("size must be >= 1, got " + size);
        }
        if ((method.equals("MH") || method.equals("DE")) && members < 1) {
            throw new IllegalArgumentException(method + " needs members >= 1, got " + members);
        }
    }

    /** Builds the model with freshly initialised weights (load a checkpoint into it afterwards). */
    public SegmentationModel build() {
        SeededRandom heads = new SeededRandom(unet.seed()).fork(0x4845414453L);
        int[] input = {1, unet.inChannels(), size, size};
        return switch (method) {
            case "LE" -> {
                UNet u = new UNet(unet);
                yield new LayerEnsemble(u, u.layerEnsembleTaps(), unet.classes(), input, heads);
            }
            case "Plain" -> new Plain(new UNet(unet), unet.classes());
            case "MH" -> {
                UNet u = new UNet(unet);
                yield new MultiHead(u, u.featureLayerName(), unet.classes(), input, members, heads);
            }
            default -> new DeepEnsemble(rng -> new Plain(new UNet(unet.withSeed(rng.seed())), unet.classes()), members,
                    heads);
        };
    }

    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("method", method);
        n.put("size", size);
        n.put("members", members);
        ObjectNode u = n.putObject("unet");
        u.put("inChannels", unet.inChannels());
        u.put("classes", unet.classes());
        ArrayNode widths = u.putArray("encoderWidths");
        unet.encoderWidths().forEach(widths::add);
        u.put("bottleneckWidth", unet.bottleneckWidth());
        u.put("upsampling", unet.upsampling().name());
        u.put("seed", unet.seed());
        return n.toPrettyString();
    }

    public static ModelSpec fromJson(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            JsonNode u = n.required("unet");
            List<Integer> widths = new ArrayList<>();
            u.required("encoderWidths").forEach(w -> widths.add(w.asInt()));
            UNetConfig config = new UNetConfig(u.required("inChannels").asInt(), u.required("classes").asInt(), widths,
                    u.required("bottleneckWidth").asInt(), UNetConfig.Upsampling.valueOf(u.required("upsampling").asText()),
                    u.required("seed").asLong());
            return new ModelSpec(n.required("method").asText(), config, n.required("size").asInt(),
                    n.path("members").asInt(0));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid " + FILE + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code model.json} into a folder, atomically. */
    public void write(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path tmp = Files.createTempFile(folder, FILE, ".tmp");
        try {
            Files.writeString(tmp, toJson());
            Files.move(tmp, folder.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads {@code model.json} from a run folder, with an error naming the file. */
    public static ModelSpec read(Path folder) throws IOException {
        Path file = folder.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": not found; a model folder holds " + FILE + " and best.safetensors (le train writes them)");
        }
        try {
            return fromJson(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
