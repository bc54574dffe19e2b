package org.layerensembles.ensemble;

import java.util.List;
import java.util.Objects;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.Shapes;

/**
 * The Plain baseline (METHOD.md §7): a network whose own forward already gives the logits
 * [N, classes, H, W] at the input's height and width (for a U-Net, its final conv), as a model
 * with one head, named {@code "final"} unless another name is given.
 *
 * <p>{@link #module()} is the network itself (parameter names are the network's own). The
 * output's shape is checked on every call.
 */
public final class Plain implements SegmentationModel {
    /** The head's name when none is given. */
    public static final String DEFAULT_HEAD_NAME = "final";
    private final Module network;
    private final int classes;
    private final String headName;

    public Plain(Module network, int classes) {
        this(network, classes, DEFAULT_HEAD_NAME);
    }

    /**
     * @param network  a module mapping images [N, C, H, W] to logits [N, classes, H, W]
     * @param classes  logits per pixel (>= 2; binary tasks use 2)
     * @param headName the one head's name in {@link HeadOutputs}
     */
    public Plain(Module network, int classes, String headName) {
        this.network = Objects.requireNonNull(network, "Plain: network is null");
        TappedHeads.checkClasses("Plain", classes);
        this.headName = Objects.requireNonNull(headName, "Plain: head name is null");
        this.classes = classes;
    }

    @Override
    public HeadOutputs heads(Tensor images) {
        Objects.requireNonNull(images, "Plain: images are null");
        if (images.rank() != 4) {
            throw new IllegalArgumentException("Plain: images must be [N, C, H, W], got " + Shapes.str(images.shape()));
        }
        Tensor logits = network.forward(images);
        int[] s = logits.shape();
        if (s.length != 4 || s[0] != images.size(0) || s[1] != classes || s[2] != images.size(2)
                || s[3] != images.size(3)) {
            throw new IllegalStateException("Plain: the network must output logits [" + images.size(0) + ", " + classes
                    + ", " + images.size(2) + ", " + images.size(3) + "] for images " + Shapes.str(images.shape())
                    + ", got " + Shapes.str(s));
        }
        return new HeadOutputs(List.of(new HeadOutput(headName, logits)));
    }

    @Override
    public Module module() {
        return network;
    }

    @Override
    public String method() {
        return "Plain";
    }

    @Override
    public int classes() {
        return classes;
    }

    public String headName() {
        return headName;
    }

    @Override
    public String toString() {
        return "Plain(" + network.getClass().getSimpleName() + ", " + classes + " classes)";
    }
}
