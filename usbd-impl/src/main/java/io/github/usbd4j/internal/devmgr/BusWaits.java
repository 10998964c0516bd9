package io.github.usbd4j.internal.devmgr;

import java.util.function.BooleanSupplier;

/**
 * How a thread waits for an event ({@code WaitForSingleObject}): where it must make the awaited thing happen itself (a
 * virtual clock, or the backend's thread that delivers completions) it runs the bus while it waits, else it blocks.
 */
public interface BusWaits {
    /** Whether a wait on the current thread runs the bus ({@link #runUntil}) rather than blocks. */
    boolean waitsByRunning();

    /** Whether the current thread may wait at all: not a completion thread that cannot deliver completions. */
    boolean canBlock();

    /**
     * Runs the bus until {@code done} holds or {@code millis} of bus time have passed.
     *
     * @param done the condition
     * @param millis the bound
     * @return whether {@code done} holds
     */
    boolean runUntil(BooleanSupplier done, long millis);

    /** Bus time in milliseconds, for what is left of a wait: the bus clock's current 1 ms frame. */
    long nowMillis();
}
