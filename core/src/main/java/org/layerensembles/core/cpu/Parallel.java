package org.layerensembles.core.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The one fixed worker pool of the CPU backend, sized to the cores (system property
 * {@code le.threads} overrides it).
 *
 * <p>Determinism rule: callers split work into tasks whose boundaries depend only on the
 * problem size, never on {@link #threads()}, and combine per-task partial results in task
 * order. Then the same inputs give bit-identical outputs on any number of threads.
 */
public final class Parallel {
    private static volatile Pool pool = new Pool(defaultThreads());

    private Parallel() {
    }

    private static int defaultThreads() {
        return Math.max(1, Integer.getInteger("le.threads", Runtime.getRuntime().availableProcessors()));
    }

    public static int threads() {
        return pool.threads;
    }

    /** Replaces the worker pool (tests use it to compare 1 and 2 threads). */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        Pool old = pool;
        pool = new Pool(threads);
        old.shutdown();
    }

    /**
     * Runs {@code task.accept(i)} for every i in [0, count), spread over the workers; the calling
     * thread takes part. Returns when all are done; rethrows the first failure.
     */
    public static void forEach(int count, IntConsumer task) {
        Pool p = pool;
        if (count <= 0) {
            return;
        }
        if (count == 1 || p.threads == 1 || Thread.currentThread() instanceof Worker) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
            return;
        }
        p.run(count, task);
    }

    /** Number of tasks of {@code grain} items (the last may be shorter) covering n items. */
    public static int taskCount(long n, long grain) {
        return (int) ((n + grain - 1) / grain);
    }

    private static final class Worker extends Thread {
        Worker(Runnable r, int index) {
            super(r, "le-worker-" + index);
            setDaemon(true);
        }
    }

    private static final class Pool {
        final int threads;
        final ExecutorService executor;

        Pool(int threads) {
            this.threads = threads;
            AtomicInteger index = new AtomicInteger();
            this.executor = threads == 1 ? null
                    : Executors.newFixedThreadPool(threads - 1, r -> new Worker(r, index.incrementAndGet()));
        }

        void run(int count, IntConsumer task) {
            AtomicInteger next = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Runnable drain = () -> {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < count) {
                    try {
                        task.accept(i);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
            };
            int helpers = Math.min(threads - 1, count - 1);
            CountDownLatch done = new CountDownLatch(helpers);
            for (int h = 0; h < helpers; h++) {
                executor.execute(() -> {
                    try {
                        drain.run();
                    } finally {
                        done.countDown();
                    }
                });
            }
            drain.run();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for CPU workers", e);
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }

        void shutdown() {
            if (executor != null) {
                executor.shutdown();
            }
        }
    }
}
