package org.layerensembles.autograd.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.layerensembles.autograd.nn.StateDict;

/**
 * Doubles and plain int64 entries in a {@link StateDict}, for optimizers and schedules. The dict
 * has no float64 type, so a double is kept exactly as its IEEE-754 bits in an int64 entry whose
 * name ends in {@value #F64_SUFFIX} (e.g. {@code lr.f64bits}).
 */
final class StateEntries {
    static final String F64_SUFFIX = ".f64bits";

    private StateEntries() {
    }

    static void putDouble(StateDict sd, String name, double value) {
        sd.putLong(name + F64_SUFFIX, Double.doubleToRawLongBits(value));
    }

    static double getDouble(StateDict sd, String name) {
        return Double.longBitsToDouble(sd.longValue(name + F64_SUFFIX));
    }

    /**
     * Checks that a small state dict holds exactly these int64 entries and nothing else, and
     * throws one exception listing every mismatch.
     */
    static void requireExactly(String owner, StateDict sd, Set<String> longNames) {
        List<String> errors = new ArrayList<>();
        for (String name : sd.arrays().keySet()) {
            errors.add(longNames.contains(name) ? "'" + name + "' is an array, expected an int64 scalar"
                    : "unexpected entry '" + name + "'");
        }
        for (String name : sd.longs().keySet()) {
            if (!longNames.contains(name)) {
                errors.add("unexpected entry '" + name + "'");
            }
        }
        for (String name : longNames) {
            if (sd.array(name) == null && sd.longValue(name) == null) {
                errors.add("missing entry '" + name + "'");
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(owner + ".loadStateDict: " + errors.size() + " mismatch"
                    + (errors.size() == 1 ? "" : "es") + ":\n  " + String.join("\n  ", errors));
        }
    }
}
