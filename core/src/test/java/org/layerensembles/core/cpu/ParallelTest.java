package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void everyTaskRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            AtomicIntegerArray runs = new AtomicIntegerArray(1000);
            Parallel.forEach(1000, runs::incrementAndGet);
            for (int i = 0; i < 1000; i++) {
                assertEquals(1, runs.get(i), "task " + i + " with " + threads + " threads");
            }
        }
    }

    @Test
    void nestedCallsRunInlineInsteadOfDeadlocking() {
        Parallel.setThreads(2);
        AtomicIntegerArray runs = new AtomicIntegerArray(16);
        Parallel.forEach(4, outer -> Parallel.forEach(4, inner -> runs.incrementAndGet(outer * 4 + inner)));
        for (int i = 0; i < 16; i++) {
            assertEquals(1, runs.get(i));
        }
    }

    @Test
    void aFailingTaskIsRethrownToTheCaller() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forEach(10, i -> {
            if (i == 7) {
                throw new IllegalStateException("task 7 failed");
            }
        }));
        assertEquals("task 7 failed", e.getMessage());
    }

    @Test
    void taskCountCoversTheRange() {
        assertEquals(0, Parallel.taskCount(0, 8));
        assertEquals(1, Parallel.taskCount(8, 8));
        assertEquals(2, Parallel.taskCount(9, 8));
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }
}
