package org.layerensembles.core.backend;

/** A backend found at run time (e.g. cuda), registered in META-INF/services. */
public interface BackendProvider {
    String name();

    /** Creates the backend; throws with a clear message when it cannot run here (no driver). */
    Backend create();
}
