package io.github.usbd4j.internal.engine;

import java.util.concurrent.RejectedExecutionException;

/**
 * Runs one pipe's transfer callbacks one at a time, in completion order, on the engine's callback executor
 * (a pool of threads; or the completing thread itself, with an executor that runs tasks where they are
 * given), so a slow callback delays only its own pipe. Allocation-free: transfers are linked through
 * {@link Transfer#nextCallback} and the drain task is reused.
 *
 * <p>Nothing the engine does inside a callback waits for another callback: a callback queued behind the
 * running one could never run. {@link #inCallback()} tells the engine when it is on such a thread.
 */
final class CallbackQueue implements Runnable {
    /** How many callback drains the current thread is inside (a drain may run inside another's callback). */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final Engine engine;
    private Transfer head;
    private Transfer tail;
    private boolean draining;

    CallbackQueue(Engine engine) {
        this.engine = engine;
    }

    /** Whether the current thread is running a transfer callback (of any pipe). */
    static boolean inCallback() {
        return DEPTH.get()[0] > 0;
    }

    void enqueue(Transfer t) {
        synchronized (this) {
            t.nextCallback = null;
            if (tail == null) {
                head = t;
            } else {
                tail.nextCallback = t;
            }
            tail = t;
            if (draining) {
                return;
            }
            draining = true;
        }
        try {
            engine.callbackExecutor.execute(this);
        } catch (RejectedExecutionException e) {
            run(); // the executor is shutting down: run the callbacks here rather than lose them
        }
    }

    @Override
    public void run() {
        int[] depth = DEPTH.get();
        depth[0]++;
        boolean finished = false;
        try {
            drain();
            finished = true;
        } finally {
            depth[0]--;
            if (!finished) {
                handOff(); // an Error escaped a callback: the rest still runs, elsewhere
            }
        }
    }

    private void drain() {
        while (true) {
            Transfer t;
            synchronized (this) {
                t = head;
                if (t == null) {
                    tail = null;
                    draining = false;
                    return;
                }
                head = t.nextCallback;
                if (head == null) {
                    tail = null;
                }
                t.nextCallback = null;
            }
            t.runCallback();
        }
    }

    private void handOff() {
        synchronized (this) {
            if (head == null) {
                draining = false;
                return;
            }
        }
        try {
            engine.callbackExecutor.execute(this);
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                draining = false;
            }
        }
    }
}
