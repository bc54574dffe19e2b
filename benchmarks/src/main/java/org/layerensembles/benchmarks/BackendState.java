package org.layerensembles.benchmarks;

import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.memory.MemoryScope;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every kernel benchmark shares: the backend under test ("cpu" = our Java kernels,
 * "nd4j" = ND4J's BLAS GEMM and oneDNN conv on the same memory), a long-lived scope for the
 * inputs, and a scope per invocation so results go back to the pool instead of piling up.
 */
@State(Scope.Thread)
public abstract class BackendState {
    @Param({"cpu", "nd4j"})
    public String backend;

    protected Backend kernels;
    protected MemoryScope inputs;
    private MemoryScope invocation;

    @Setup(Level.Trial)
    public void chooseBackend() {
        kernels = Backends.get(backend);
        inputs = MemoryScope.longLived("benchmark inputs");
    }

    @Setup(Level.Invocation)
    public void openInvocationScope() {
        invocation = MemoryScope.open();
    }

    @TearDown(Level.Invocation)
    public void closeInvocationScope() {
        invocation.close();
    }

    @TearDown(Level.Trial)
    public void freeInputs() {
        inputs.close();
    }
}
