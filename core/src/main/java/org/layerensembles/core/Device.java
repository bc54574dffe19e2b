package org.layerensembles.core;

/**
 * Where an array's memory lives. Only the host exists in the core module; the CUDA backend
 * (cuda-kernels module) adds device arrays.
 *
 * @param kind  "cpu" or "cuda"
 * @param index device ordinal, 0 for the host
 */
public record Device(String kind, int index) {
    public static final Device CPU = new Device("cpu", 0);

    @Override
    public String toString() {
        return kind.equals("cpu") ? "cpu" : kind + ":" + index;
    }
}
