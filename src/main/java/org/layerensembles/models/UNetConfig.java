package org.layerensembles.models;

import java.util.List;
import java.util.Objects;

/**
 * The shape of a classic U-Net ({@link UNet}): every hyper-parameter a typed, validated field.
 *
 * <p>With K = {@code encoderWidths.size()} (the depth):
 * <ul>
 *   <li>encoder stage {@code enc1..encK}: a {@link DoubleConv} to {@code encoderWidths[i]}
 *       channels; a 2x2 max-pool (stride 2) follows each stage, so the input's height and width
 *       must be multiples of 2^K;</li>
 *   <li>{@code bottleneck}: a DoubleConv from {@code encoderWidths[K-1]} to
 *       {@code bottleneckWidth} channels at 1/2^K of the input size;</li>
 *   <li>decoder block {@code dec1..decK} (dec1 the deepest): up-sample x2 the previous output
 *       (the bottleneck's for dec1), which keeps its channel count in both {@link Upsampling}
 *       modes, concatenate the skip of the encoder stage at that size (up-sampled first, skip
 *       second), then a DoubleConv to that stage's width. So decJ maps
 *       {@code prev + encoderWidths[K-J]} channels to {@code encoderWidths[K-J]}, where
 *       {@code prev} is {@code bottleneckWidth} for dec1 and {@code encoderWidths[K-J+1]}
 *       otherwise;</li>
 *   <li>{@code final}: a 1x1 convolution with bias from {@code encoderWidths[0]} to
 *       {@code classes} logits.</li>
 * </ul>
 *
 * @param inChannels      channels of the input images, >= 1 (1 for grey-scale)
 * @param classes         output logits per pixel, >= 1; this project's convention is softmax
 *                        over classes, so binary segmentation uses 2 (background, foreground)
 * @param encoderWidths   output channels of the encoder stages, shallow to deep (e.g. 16, 32, 64,
 *                        128); at least one stage and at most {@value #MAX_DEPTH}, each >= 1
 * @param bottleneckWidth output channels of the bottleneck block, >= 1
 * @param upsampling      how the decoder doubles the spatial size
 * @param seed            seed of the initial weights: the same seed gives the same weights
 */
public record UNetConfig(int inChannels, int classes, List<Integer> encoderWidths, int bottleneckWidth,
                         Upsampling upsampling, long seed) {
    /** The most encoder stages a config may have (2^depth must stay a sane image size). */
    public static final int MAX_DEPTH = 12;

    /** How a decoder block doubles the height and width of the deeper block's output. */
    public enum Upsampling {
        /**
         * Bilinear interpolation x2 with align_corners = true (no parameters); the channel count
         * is kept.
         */
        BILINEAR,
        /**
         * A learned transposed convolution, kernel 2x2, stride 2, with bias, mapping C channels to
         * C (not C/2 as in the original U-Net paper), so the decoder's input widths are the same
         * as with {@link #BILINEAR}; adds 4*C*C + C parameters per decoder block.
         */
        TRANSPOSED
    }

    public UNetConfig {
        if (inChannels < 1) {
            throw new IllegalArgumentException("UNetConfig: inChannels must be >= 1, got " + inChannels);
        }
        if (classes < 1) {
            throw new IllegalArgumentException("UNetConfig: classes must be >= 1, got " + classes
                    + " (binary segmentation uses 2: background and foreground)");
        }
        Objects.requireNonNull(encoderWidths, "UNetConfig: encoderWidths");
        if (encoderWidths.isEmpty() || encoderWidths.size() > MAX_DEPTH) {
            throw new IllegalArgumentException("UNetConfig: encoderWidths needs 1 to " + MAX_DEPTH
                    + " stages, got " + encoderWidths.size());
        }
        for (Integer w : encoderWidths) {
            if (w == null || w < 1) {
                throw new IllegalArgumentException("UNetConfig: every encoder width must be >= 1, got "
                        + encoderWidths);
            }
        }
        encoderWidths = List.copyOf(encoderWidths);
        if (bottleneckWidth < 1) {
            throw new IllegalArgumentException("UNetConfig: bottleneckWidth must be >= 1, got " + bottleneckWidth);
        }
        Objects.requireNonNull(upsampling, "UNetConfig: upsampling");
    }

    /**
     * "unet-small": 1 input channel, encoder widths 16/32/64/128, bottleneck 256, bilinear
     * up-sampling, seed 0. Decoder blocks 384->128, 192->64, 96->32, 48->16; final conv 16 ->
     * classes.
     */
    public static UNetConfig unetSmall(int classes) {
        return new UNetConfig(1, classes, List.of(16, 32, 64, 128), 256, Upsampling.BILINEAR, 0);
    }

    /** Number of encoder stages (and of decoder blocks and max-pools), K. */
    public int depth() {
        return encoderWidths.size();
    }

    /** The input's height and width must be multiples of this: 2^depth. */
    public int sizeMultiple() {
        return 1 << depth();
    }

    /** Output channels of encoder stage {@code stage} (1-based: enc1 .. encK). */
    public int encoderWidth(int stage) {
        checkStage(stage);
        return encoderWidths.get(stage - 1);
    }

    /** Input channels of encoder stage {@code stage} (1-based): inChannels, then the previous width. */
    public int encoderInput(int stage) {
        checkStage(stage);
        return stage == 1 ? inChannels : encoderWidths.get(stage - 2);
    }

    /** Channels that decoder block {@code block} (1-based, dec1 deepest) up-samples: the deeper block's output. */
    public int decoderUpsampled(int block) {
        checkStage(block);
        return block == 1 ? bottleneckWidth : decoderOutput(block - 1);
    }

    /** Input channels of decoder block {@code block}: the up-sampled channels plus the skip's. */
    public int decoderInput(int block) {
        return decoderUpsampled(block) + decoderOutput(block);
    }

    /** Output channels of decoder block {@code block}: the width of the encoder stage it joins. */
    public int decoderOutput(int block) {
        checkStage(block);
        return encoderWidths.get(depth() - block);
    }

    private void checkStage(int stage) {
        if (stage < 1 || stage > depth()) {
            throw new IndexOutOfBoundsException("stage/block numbers run from 1 to " + depth() + ", got " + stage);
        }
    }

    public UNetConfig withInChannels(int value) {
        return new UNetConfig(value, classes, encoderWidths, bottleneckWidth, upsampling, seed);
    }

    public UNetConfig withClasses(int value) {
        return new UNetConfig(inChannels, value, encoderWidths, bottleneckWidth, upsampling, seed);
    }

    public UNetConfig withWidths(List<Integer> encoder, int bottleneck) {
        return new UNetConfig(inChannels, classes, encoder, bottleneck, upsampling, seed);
    }

    public UNetConfig withUpsampling(Upsampling value) {
        return new UNetConfig(inChannels, classes, encoderWidths, bottleneckWidth, value, seed);
    }

    public UNetConfig withSeed(long value) {
        return new UNetConfig(inChannels, classes, encoderWidths, bottleneckWidth, upsampling, value);
    }
}
