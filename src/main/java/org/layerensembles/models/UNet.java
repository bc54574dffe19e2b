package org.layerensembles.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ConvTranspose2d;
import org.layerensembles.autograd.nn.layers.MaxPool2d;
import org.layerensembles.autograd.nn.layers.Upsample;
import org.layerensembles.autograd.ops.ShapeOps;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.Shapes;

/**
 * The classic U-Net (Ronneberger et al. 2015, with batch norm and same-size padding), shaped by a
 * {@link UNetConfig}: [N, inChannels, H, W] to logits [N, classes, H, W], with H and W multiples
 * of 2^depth.
 *
 * <p>Children, in registration order (so {@link #namedModules()} and {@link #namedParameters()}
 * follow it), for depth K:
 * <pre>
 *   enc1, pool1, enc2, pool2, ..., encK, poolK,   DoubleConv stages, each followed by MaxPool2d(2)
 *   bottleneck,                                   DoubleConv at 1/2^K of the input size
 *   up1, dec1, up2, dec2, ..., upK, decK,          up-sample x2 (Upsample or ConvTranspose2d), then
 *                                                  DoubleConv on concat(up, skip) along channels
 *   final                                         Conv2d 1x1 with bias, to the class logits
 * </pre>
 * {@code dec1} is the deepest decoder block (it joins {@code encK}'s skip) and {@code decK} the
 * shallowest (it joins {@code enc1}'s and works at full size). Channel counts are
 * {@link UNetConfig}'s.
 *
 * <p>Layer Ensembles taps ({@link #layerEnsembleTaps()}) are the outputs of the DoubleConv blocks,
 * shallow to deep: {@code enc1..encK, bottleneck, dec1..decK}; forward hooks on them fire in that
 * order during {@link #forward}. {@link #features} returns the last decoder block's output (the
 * input of {@code final}), where a multi-head baseline puts its heads.
 *
 * <p>Initial weights are seeded by path: the convolutions of block {@code b} draw from
 * {@code SeedStreams.fork(SeedStreams.fork(new SeededRandom(seed), b), "conv1")} (and
 * {@code "conv2"}); {@code upJ} and {@code final} from {@code SeedStreams.fork(root, name)}.
 * The same config gives the same weights, and one block's weights do not depend on the others.
 * Parameters live in the memory scope current at construction (with none open, the garbage
 * collector frees them).
 */
public final class UNet extends Module {
    /** Name of the output layer (the 1x1 convolution to the class logits). */
    public static final String FINAL = "final";
    /** Name of the block between the encoder and the decoder. */
    public static final String BOTTLENECK = "bottleneck";

    private final UNetConfig config;
    private final List<DoubleConv> encoders = new ArrayList<>();
    private final List<MaxPool2d> pools = new ArrayList<>();
    private final DoubleConv bottleneck;
    private final List<Module> ups = new ArrayList<>();
    private final List<DoubleConv> decoders = new ArrayList<>();
    private final Conv2d finalConv;

    public UNet(UNetConfig config) {
        this.config = config;
        SeededRandom root = new SeededRandom(config.seed());
        int depth = config.depth();
        for (int s = 1; s <= depth; s++) {
            String name = "enc" + s;
            encoders.add(register(name, new DoubleConv(config.encoderInput(s), config.encoderWidth(s),
                    SeedStreams.fork(root, name))));
            pools.add(register("pool" + s, new MaxPool2d(2)));
        }
        this.bottleneck = register(BOTTLENECK, new DoubleConv(config.encoderWidth(depth), config.bottleneckWidth(),
                SeedStreams.fork(root, BOTTLENECK)));
        for (int b = 1; b <= depth; b++) {
            int c = config.decoderUpsampled(b);
            String upName = "up" + b;
            Module up = switch (config.upsampling()) {
                case BILINEAR -> Upsample.bilinear(2, true);
                case TRANSPOSED -> ConvTranspose2d.upsampling(c, c, 2, SeedStreams.fork(root, upName));
            };
            ups.add(register(upName, up));
            String name = "dec" + b;
            decoders.add(register(name, new DoubleConv(config.decoderInput(b), config.decoderOutput(b),
                    SeedStreams.fork(root, name))));
        }
        this.finalConv = register(FINAL, new Conv2d(config.encoderWidth(1), config.classes(), 1, 1, 0, 1, true,
                SeedStreams.fork(root, FINAL)));
    }

    /** A U-Net of the given shape (shorthand for the constructor). */
    public static UNet of(UNetConfig config) {
        return new UNet(config);
    }

    /** Logits [N, classes, H, W]: {@code final} applied to {@link #features}. */
    @Override
    protected Tensor compute(Tensor input) {
        return finalConv.forward(features(input));
    }

    /**
     * The last decoder block's output [N, encoderWidths[0], H, W]: everything but {@code final}.
     * The children's forward hooks fire as in {@link #forward}; this module's own hooks do not.
     *
     * @throws IllegalArgumentException when the input is not [N, inChannels, H, W] with H and W
     *                                  positive multiples of 2^depth
     */
    public Tensor features(Tensor input) {
        checkInput(input);
        int depth = config.depth();
        List<Tensor> skips = new ArrayList<>(depth);
        Tensor x = input;
        for (int s = 0; s < depth; s++) {
            x = encoders.get(s).forward(x);
            skips.add(x);
            x = pools.get(s).forward(x);
        }
        x = bottleneck.forward(x);
        for (int b = 0; b < depth; b++) {
            Tensor up = ups.get(b).forward(x);
            Tensor skip = skips.get(depth - 1 - b);
            x = decoders.get(b).forward(ShapeOps.concat(List.of(up, skip), 1));
        }
        return x;
    }

    private void checkInput(Tensor input) {
        int[] shape = input.shape();
        if (shape.length != 4 || shape[1] != config.inChannels()) {
            throw new IllegalArgumentException("UNet: input must be [N, " + config.inChannels() + ", H, W], got "
                    + Shapes.str(shape));
        }
        int multiple = config.sizeMultiple();
        int h = shape[2];
        int w = shape[3];
        if (shape[0] < 1 || h < 1 || w < 1 || h % multiple != 0 || w % multiple != 0) {
            throw new IllegalArgumentException("UNet: input " + Shapes.str(shape) + " has height " + h + " and width "
                    + w + "; both must be positive multiples of " + multiple + " (2^" + config.depth()
                    + ": each of the " + config.depth() + " max-pools halves them); pad or crop the image");
        }
    }

    public UNetConfig config() {
        return config;
    }

    public int depth() {
        return config.depth();
    }

    /**
     * The default Layer Ensembles taps, shallow to deep: {@code enc1..encK, bottleneck,
     * dec1..decK} (2K + 1 names; 9 for unet-small).
     */
    public List<String> layerEnsembleTaps() {
        return defaultTaps(config.depth());
    }

    /** The default taps of a U-Net of depth K: {@code enc1..encK, bottleneck, dec1..decK}. */
    public static List<String> defaultTaps(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be >= 1, got " + depth);
        }
        List<String> taps = new ArrayList<>(2 * depth + 1);
        for (int s = 1; s <= depth; s++) {
            taps.add("enc" + s);
        }
        taps.add(BOTTLENECK);
        for (int b = 1; b <= depth; b++) {
            taps.add("dec" + b);
        }
        return Collections.unmodifiableList(taps);
    }

    /**
     * Output channels of each default tap, in {@link #layerEnsembleTaps()}'s order (heads can also
     * find them with one dummy forward pass).
     */
    public Map<String, Integer> tapChannels() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int s = 1; s <= depth(); s++) {
            out.put("enc" + s, config.encoderWidth(s));
        }
        out.put(BOTTLENECK, config.bottleneckWidth());
        for (int b = 1; b <= depth(); b++) {
            out.put("dec" + b, config.decoderOutput(b));
        }
        return Collections.unmodifiableMap(out);
    }

    /** The name of the output layer, {@value #FINAL}: an output in Plain mode, unused by Layer Ensembles. */
    public String finalLayerName() {
        return FINAL;
    }

    /** The output layer (1x1 convolution with bias, encoderWidths[0] -> classes). */
    public Conv2d finalLayer() {
        return finalConv;
    }

    /** Name of the block whose output {@link #features} returns: {@code decK}. */
    public String featureLayerName() {
        return "dec" + depth();
    }

    /** Channels of {@link #features}' output: encoderWidths[0]. */
    public int featureChannels() {
        return config.encoderWidth(1);
    }

    public int classes() {
        return config.classes();
    }

    /** Learned values in the network (what {@code parameters()} holds), for reports. */
    public long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    // ---- FLOPs

    /**
     * Forward FLOPs of the network's convolutions for a batch of {@code batch} images of
     * {@code height} x {@code width}, counted as 2 x multiply-adds (one MAC = 2 FLOP):
     * <ul>
     *   <li>Conv2d: N * Cout * OH * OW * Cin * KH * KW MACs (the 3x3 convolutions of every
     *       DoubleConv and the 1x1 {@code final});</li>
     *   <li>ConvTranspose2d (TRANSPOSED up-sampling only): N * Cin * Cout * KH * KW * H_in *
     *       W_in MACs (every input pixel meets every kernel tap once).</li>
     * </ul>
     * Not counted: bias additions, batch norm, ReLU, max-pooling, bilinear up-sampling and
     * concatenation (element-wise work, a few FLOP per activation), nor the backward pass (about
     * twice the forward). unet-small with 2 classes at batch 8, 128x128: 13,937,672,192 FLOP.
     *
     * @return the sum of {@link #convFlops}
     */
    public static long forwardFlops(UNetConfig config, int batch, int height, int width) {
        long total = 0;
        for (long f : convFlops(config, batch, height, width).values()) {
            total = Math.addExact(total, f);
        }
        return total;
    }

    /**
     * The forward FLOPs of each convolution (as {@link #forwardFlops} counts them) by module path
     * ({@code enc1.conv1}, ..., {@code up1}, ..., {@code final}), in forward order.
     */
    public static Map<String, Long> convFlops(UNetConfig config, int batch, int height, int width) {
        int multiple = config.sizeMultiple();
        if (batch < 1 || height < 1 || width < 1 || height % multiple != 0 || width % multiple != 0) {
            throw new IllegalArgumentException("UNet FLOPs: batch " + batch + " of " + height + "x" + width
                    + ": need batch >= 1 and height and width positive multiples of " + multiple);
        }
        int depth = config.depth();
        Map<String, Long> out = new LinkedHashMap<>();
        for (int s = 1; s <= depth; s++) {
            long pixels = pixelsAt(batch, height, width, s - 1);
            doubleConv(out, "enc" + s, config.encoderInput(s), config.encoderWidth(s), pixels);
        }
        doubleConv(out, BOTTLENECK, config.encoderWidth(depth), config.bottleneckWidth(),
                pixelsAt(batch, height, width, depth));
        for (int b = 1; b <= depth; b++) {
            long pixels = pixelsAt(batch, height, width, depth - b);
            if (config.upsampling() == UNetConfig.Upsampling.TRANSPOSED) {
                long c = config.decoderUpsampled(b);
                long inputPixels = pixelsAt(batch, height, width, depth - b + 1);
                out.put("up" + b, 2 * c * c * 4 * inputPixels);
            }
            doubleConv(out, "dec" + b, config.decoderInput(b), config.decoderOutput(b), pixels);
        }
        out.put(FINAL, 2L * config.encoderWidth(1) * config.classes() * pixelsAt(batch, height, width, 0));
        return Collections.unmodifiableMap(out);
    }

    /** N * H * W at the level after {@code halvings} max-pools. */
    private static long pixelsAt(int batch, int height, int width, int halvings) {
        return (long) batch * (height >> halvings) * (width >> halvings);
    }

    private static void doubleConv(Map<String, Long> out, String block, long in, long width, long pixels) {
        out.put(block + ".conv1", Math.multiplyExact(2 * 9 * in * width, pixels));
        out.put(block + ".conv2", Math.multiplyExact(2 * 9 * width * width, pixels));
    }

    @Override
    public String toString() {
        return "UNet(" + config + ")";
    }
}
