package io.github.usbd4j.internal.engine;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs one pipe's transfer callbacks on the callback executor one at a time, in completion order, so a
 * slow callback delays only its own pipe. Allocation-free: transfers are linked through
 * {@link TransferState#nextInQueue} and the drain task is reused.
 */
final class CallbackQueue implements Runnable {
    private final Executor executor;
    private TransferState head;
    private TransferState tail;
    private boolean draining;
    private Thread runner;

    CallbackQueue(Executor executor) {
        this.executor = executor;
    }

    void enqueue(TransferState t) {
        synchronized (this) {
            t.nextInQueue = null;
            if (tail == null) {
                head = t;
            } else {
                tail.nextInQueue = t;
            }
            tail = t;
            if (draining) {
                return;
            }
            draining = true;
        }
        try {
            executor.execute(this);
        } catch (RejectedExecutionException e) {
            run(); // the executor is shutting down: run the callbacks here rather than lose them
        }
    }

    @Override
    public void run() {
        synchronized (this) {
            runner = Thread.currentThread();
        }
        while (true) {
            TransferState t;
            synchronized (this) {
                t = head;
                if (t == null) {
                    tail = null;
                    draining = false;
                    runner = null;
                    notifyAll();
                    return;
                }
                head = t.nextInQueue;
                if (head == null) {
                    tail = null;
                }
                t.nextInQueue = null;
            }
            t.runCallback();
        }
    }

    /** Waits until every queued callback has run (detach ordering, §1.5), unless called from inside one. */
    synchronized void awaitIdle() {
        boolean interrupted = false;
        while ((draining || head != null) && Thread.currentThread() != runner) {
            try {
                wait(10);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
