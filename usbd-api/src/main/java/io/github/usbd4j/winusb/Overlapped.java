package io.github.usbd4j.winusb;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@code OVERLAPPED}: the completion of one asynchronous WinUSB call, as a Java future and an optional
 * callback (in place of {@code hEvent}). Pass a fresh or completed one to each call; read the outcome with
 * {@link WinUsb#getOverlappedResult} or from {@link #completion()}.
 *
 * <p>An I/O allocates nothing here unless its future is asked for: {@link #completion()} makes it on first
 * call (already completed if the I/O is done), so a stream that waits with
 * {@link WinUsb#getOverlappedResult} or a callback reuses one {@code Overlapped} without garbage.
 */
public final class Overlapped {
    private final Consumer<Overlapped> callback;
    /** The current I/O's future, made when {@link #completion()} first asks for it (guarded by this). */
    private CompletableFuture<Overlapped> completion;
    /** The current I/O has been signalled (guarded by this); cleared by {@link #begin()}. */
    private boolean signalled;

    private volatile int internal;
    private volatile boolean inUse;

    /** An OVERLAPPED without a callback: wait on {@link #completion()} or {@link WinUsb#getOverlappedResult}. */
    public Overlapped() {
        this(null);
    }

    /**
     * An OVERLAPPED whose callback runs when the I/O completes, on the runtime's callback executor, after the
     * OVERLAPPED was signalled: by then {@link #hasOverlappedIoCompleted()} is {@code true}, so a callback may wait
     * for another I/O.
     *
     * @param callback called once per I/O; may be {@code null}
     */
    public Overlapped(Consumer<Overlapped> callback) {
        this.callback = callback;
    }

    /**
     * Completes when the current I/O is done (before any I/O: when the first one is); never exceptionally.
     * The same future until the next I/O begins. It completes as {@code hEvent} is set, on the thread that completes
     * the I/O, before the callback runs: chain long work with the {@code ...Async} methods.
     */
    public synchronized CompletableFuture<Overlapped> completion() {
        CompletableFuture<Overlapped> c = completion;
        if (c == null) {
            c = new CompletableFuture<>();
            if (signalled) {
                c.complete(this);
            }
            completion = c;
        }
        return c;
    }

    /** {@code HasOverlappedIoCompleted}. */
    public boolean hasOverlappedIoCompleted() {
        return !inUse;
    }

    /** The I/O's Win32 result ({@code OVERLAPPED.Internal}): {@code ERROR_SUCCESS} or the failure. */
    public int internal() {
        return internal;
    }

    /**
     * Claims this OVERLAPPED for a new I/O. The runtime calls this when an overlapped call is accepted.
     *
     * @return {@code false} if an I/O is still pending on it
     */
    public synchronized boolean begin() {
        if (inUse) {
            return false;
        }
        inUse = true;
        internal = 0;
        signalled = false;
        if (completion != null && completion.isDone()) {
            completion = null; // the new I/O's future is made if someone asks for it
        }
        return true;
    }

    /**
     * The call that {@link #begin() claimed} this OVERLAPPED failed at once (it did not answer {@code
     * ERROR_IO_PENDING}), so no I/O was started: the OVERLAPPED is free again, nothing is signalled and the callback
     * does not run, as Windows queues no completion for a call that fails synchronously. The runtime calls this;
     * applications do not.
     *
     * @param win32Error the call's error, kept in {@link #internal()}
     */
    public synchronized void refuse(int win32Error) {
        internal = win32Error;
        inUse = false;
    }

    /**
     * Records the I/O's result and signals it, as the system writes {@code OVERLAPPED.Internal} and sets
     * {@code hEvent}: {@link #hasOverlappedIoCompleted()} turns {@code true}. The runtime calls this on the thread that
     * completes the I/O, then completes the returned future (whose dependents run there), then {@link #runCallback()}
     * on its callback executor; applications do not.
     *
     * @param win32Error {@code ERROR_SUCCESS} or the failure
     * @return the I/O's {@link #completion()} future if one was asked for, else {@code null}: the caller completes it
     *     with this OVERLAPPED
     */
    public CompletableFuture<Overlapped> complete(int win32Error) {
        synchronized (this) {
            internal = win32Error;
            inUse = false;
            signalled = true;
            return completion;
        }
    }

    /**
     * Runs the callback, if there is one, for the I/O {@link #complete(int) completed} last. The runtime calls this;
     * applications do not.
     */
    public void runCallback() {
        if (callback != null) {
            callback.accept(this);
        }
    }
}
