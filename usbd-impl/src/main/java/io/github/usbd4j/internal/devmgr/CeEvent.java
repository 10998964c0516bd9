package io.github.usbd4j.internal.devmgr;

import io.github.usbd4j.ce.devmgr.EventHandle;

/** A {@code CreateEvent} event: a signalled flag, reset by the wait it ends unless manual-reset. */
final class CeEvent implements EventHandle {
    final CeDeviceManager manager;
    private final boolean manualReset;

    // guarded by this
    private boolean signalled;

    CeEvent(CeDeviceManager manager, boolean manualReset, boolean signalled) {
        this.manager = manager;
        this.manualReset = manualReset;
        this.signalled = signalled;
    }

    synchronized void set() {
        signalled = true;
        notifyAll();
    }

    synchronized void reset() {
        signalled = false;
    }

    synchronized boolean isSignalled() {
        return signalled;
    }

    /** Ends a wait if signalled: {@code true}, and an auto-reset event is reset. */
    synchronized boolean take() {
        if (!signalled) {
            return false;
        }
        if (!manualReset) {
            signalled = false;
        }
        return true;
    }

    /** Blocks until {@link #take()} succeeds or {@code nanos} have passed ({@code Long.MAX_VALUE}: no limit). */
    synchronized boolean await(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (!take()) {
            if (nanos == Long.MAX_VALUE) {
                wait();
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(left / 1_000_000, (int) (left % 1_000_000));
        }
        return true;
    }
}
