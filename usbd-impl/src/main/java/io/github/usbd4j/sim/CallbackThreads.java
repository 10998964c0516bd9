package io.github.usbd4j.sim;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real-time simulated host controller's callback threads, {@code usbd-sim-callback-N}, started on first use:
 * they run the callbacks the clock thread does not run itself, those of transfers completed on other threads
 * (a cancellation, a detach, the controller's close) and those that waited behind a callback that stalled the
 * clock. They take tasks from a ring under one lock and park when there is none; a task wakes one parked
 * thread with {@link LockSupport#unpark}.
 *
 * <p>Why not a {@link java.util.concurrent.ThreadPoolExecutor}: its queue allocates a node per task and its
 * idle workers a condition node per wait. Here nothing is allocated once the ring has grown to the most tasks
 * ever waiting at once (at most one per pipe: the engine gives a pipe's callback queue to the executor only
 * when it is not already draining).
 *
 * <p>{@link #close} lets the threads run the tasks already given, then ends them; afterwards {@link
 * #execute} refuses (the engine then runs the callbacks on the completing thread).
 */
final class CallbackThreads implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(CallbackThreads.class);

    private final String namePrefix;
    private final Thread[] threads;
    /** Per thread: parked (or about to park) waiting for a task; guarded by this. */
    private final boolean[] parked;

    // guarded by this
    private Runnable[] ring = new Runnable[16];
    private int head;
    private int size;
    private boolean started;
    private boolean closed;

    /**
     * @param namePrefix thread names are this plus 1, 2, ...
     * @param count how many threads
     */
    CallbackThreads(String namePrefix, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count " + count);
        }
        this.namePrefix = namePrefix;
        this.threads = new Thread[count];
        this.parked = new boolean[count];
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        Thread wake = null;
        synchronized (this) {
            if (closed) {
                throw new RejectedExecutionException("the simulated host controller is closed");
            }
            if (!started) {
                startLocked();
            }
            if (size == ring.length) {
                growLocked();
            }
            ring[(head + size) & (ring.length - 1)] = task;
            size++;
            for (int i = 0; i < parked.length; i++) {
                if (parked[i]) {
                    parked[i] = false;
                    wake = threads[i];
                    break;
                }
            }
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
    }

    /**
     * Ends the threads once they have run every task already given, waiting for them up to {@code millis}
     * (not for the calling thread, when a callback closes the controller). Idempotent.
     *
     * @param millis the bound of the wait
     * @return {@code true} if no thread is left running
     */
    boolean close(long millis) {
        Thread[] all;
        synchronized (this) {
            closed = true;
            all = threads.clone();
        }
        for (Thread t : all) {
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean ended = true;
        for (Thread t : all) {
            if (t == null || t == Thread.currentThread()) {
                continue;
            }
            try {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0) {
                    t.join(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended &= !t.isAlive();
        }
        return ended;
    }

    private void startLocked() {
        started = true;
        for (int i = 0; i < threads.length; i++) {
            int index = i;
            Thread t = new Thread(() -> work(index), namePrefix + (i + 1));
            t.setDaemon(true);
            threads[i] = t;
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    private void growLocked() {
        Runnable[] bigger = new Runnable[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }

    private void work(int index) {
        while (true) {
            Runnable task;
            synchronized (this) {
                if (size == 0) {
                    if (closed) {
                        return;
                    }
                    parked[index] = true; // execute() clears it when it wakes this thread
                    task = null;
                } else {
                    task = ring[head];
                    ring[head] = null;
                    head = (head + 1) & (ring.length - 1);
                    size--;
                    parked[index] = false;
                }
            }
            if (task == null) {
                LockSupport.park(this); // a wake-up without a task (or a spurious one) just looks again
                continue;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // the engine counts and reports a client callback's failures; this is the engine's own
                LOG.error("a callback task failed on {}", Thread.currentThread().getName(), e);
            }
        }
    }
}
