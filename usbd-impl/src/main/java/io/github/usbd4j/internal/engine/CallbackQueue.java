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
    // guarded by this
    private Transfer head;
    private Transfer tail;
    private boolean draining;
    /**
     * The transfer that started the current drain: given to the drain with it rather than queued, so that a
     * callback that finds the pipe idle (a stream's usual case) costs one lock to enqueue and one to find the
     * queue empty afterwards. Written under the lock when the drain starts; read and cleared by the drain (the
     * executor's hand-off orders the two).
     */
    private Transfer first;

    CallbackQueue(Engine engine) {
        this.engine = engine;
    }

    /** Whether the current thread is running a transfer callback (of any pipe). */
    static boolean inCallback() {
        return DEPTH.get()[0] > 0;
    }

    /** The current thread runs client code as a callback does, until {@link #exit()}. */
    static void enter() {
        DEPTH.get()[0]++;
    }

    /** Ends {@link #enter()}. */
    static void exit() {
        DEPTH.get()[0]--;
    }

    void enqueue(Transfer t) {
        synchronized (this) {
            t.nextCallback = null;
            if (draining || head != null) { // head != null only if a hand-off after an Error was refused
                if (tail == null) {
                    head = t;
                } else {
                    tail.nextCallback = t;
                }
                tail = t;
                if (draining) {
                    return;
                }
            } else {
                first = t;
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
        Transfer t = first;
        first = null;
        while (t != null || (t = next()) != null) { // one call site of runCallback: it inlines the same way
            t.runCallback();
            t = null;
        }
    }

    /** The next queued transfer, or {@code null}: then the drain is over. */
    private synchronized Transfer next() {
        Transfer t = head;
        if (t == null) {
            tail = null;
            draining = false;
            return null;
        }
        head = t.nextCallback;
        if (head == null) {
            tail = null;
        }
        t.nextCallback = null;
        return t;
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
