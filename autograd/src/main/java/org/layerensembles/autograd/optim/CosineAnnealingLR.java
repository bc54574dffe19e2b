package org.layerensembles.autograd.optim;

/**
 * Cosine annealing from the base rate down to {@code etaMin} over {@code tMax} epochs: PyTorch's
 * {@code CosineAnnealingLR} in its closed form,
 * <pre>
 *   lr(epoch) = etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2
 * </pre>
 * Past tMax the cosine continues (the rate climbs back towards baseLr over the next tMax epochs),
 * as PyTorch's does. (PyTorch's {@code step()} uses an equivalent recursive form that also follows
 * changes made to the rate by others; this one depends only on the epoch.)
 */
public final class CosineAnnealingLR extends LrScheduler {
    private final long tMax;
    private final double etaMin;

    /**
     * @param tMax   epochs of one half period, >= 1
     * @param etaMin the lowest rate, finite and >= 0 (PyTorch's default 0)
     */
    public CosineAnnealingLR(Optimizer optimizer, long tMax, double etaMin) {
        super(optimizer);
        if (tMax < 1) {
            throw new IllegalArgumentException("CosineAnnealingLR: tMax must be >= 1, got " + tMax);
        }
        if (!(etaMin >= 0) || !Double.isFinite(etaMin)) {
            throw new IllegalArgumentException("CosineAnnealingLR: etaMin must be finite and >= 0, got " + etaMin);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    public long tMax() {
        return tMax;
    }

    public double etaMin() {
        return etaMin;
    }

    @Override
    protected double lrAt(long epoch, double currentLr) {
        return etaMin + (baseLr() - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }
}
