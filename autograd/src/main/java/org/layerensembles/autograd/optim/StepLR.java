package org.layerensembles.autograd.optim;

/**
 * Multiplies the learning rate by {@code gamma} every {@code stepSize} epochs: PyTorch's
 * {@code StepLR}. Like PyTorch's {@code step()} it works on the current rate (at epochs that are
 * multiples of stepSize, {@code lr = lr * gamma}; otherwise unchanged), which equals the closed
 * form {@code baseLr * gamma^floor(epoch / stepSize)} up to rounding when nothing else changes
 * the rate.
 */
public final class StepLR extends LrScheduler {
    private final int stepSize;
    private final double gamma;

    /**
     * @param stepSize epochs between decays, >= 1
     * @param gamma    multiplicative factor, finite and >= 0 (PyTorch's default 0.1)
     */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) {
            throw new IllegalArgumentException("StepLR: stepSize must be >= 1, got " + stepSize);
        }
        if (!(gamma >= 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("StepLR: gamma must be finite and >= 0, got " + gamma);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
    }

    public int stepSize() {
        return stepSize;
    }

    public double gamma() {
        return gamma;
    }

    @Override
    protected double lrAt(long epoch, double currentLr) {
        return epoch % stepSize == 0 ? currentLr * gamma : currentLr;
    }
}
