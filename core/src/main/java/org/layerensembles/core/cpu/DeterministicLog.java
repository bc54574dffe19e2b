package org.layerensembles.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend's float32 natural logarithm ({@link ExpLog}) for Vector API kernels outside this
 * package (the fused uncertainty kernel): the same bits in every JIT tier, in a vector lane or in
 * the scalar twin, unlike {@code lanewise(VectorOperators.LOG)}. Within about 2 ulp of the exact
 * result; log(0) = -inf, log of a negative number or NaN = NaN, log(+inf) = +inf.
 *
 * <p>Vectors must be of {@link #SPECIES}. The methods are a single call each, so the JIT inlines
 * them (and ExpLog's parts) into the caller's loop.
 */
public final class DeterministicLog {
    /** The species {@link #log(FloatVector)} works on (the machine's preferred float species). */
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private DeterministicLog() {
    }

    /** ln(x) in every lane. */
    public static FloatVector log(FloatVector x) {
        return ExpLog.log(x);
    }

    /** ln(x), the same bits as a lane of {@link #log(FloatVector)}. */
    public static float log(float x) {
        return ExpLog.log(x);
    }
}
