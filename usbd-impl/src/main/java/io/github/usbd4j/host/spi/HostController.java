package io.github.usbd4j.host.spi;

import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * A USB host controller backend (the SPI the runtime drives). Implementations: the simulated host
 * controller and the usb4java backend.
 */
public interface HostController extends AutoCloseable {

    /** A short name for messages, e.g. {@code "sim"} or {@code "libusb"}. */
    String name();

    /**
     * Starts reporting devices: every device already present is reported through
     * {@link HostListener#deviceAttached} before this returns or soon after, then arrivals and
     * departures as they happen. Called once.
     *
     * @param listener the runtime
     */
    void start(HostListener listener);

    /** The bus clock of this controller. */
    BusClock clock();

    /**
     * Whether the current thread is one on which this backend delivers completions (its event thread). A
     * caller there must not block waiting for a completion: it would be waiting for itself. The runtime asks
     * before every blocking wait; a backend whose completions never arrive on a thread that callers use may
     * keep the default.
     *
     * @return {@code true} on a thread that delivers completions
     */
    default boolean isCompletionThread() {
        return false;
    }

    /**
     * Where the runtime runs transfer callbacks by default on this backend, if it has a place of its own:
     * e.g. the event thread that delivers completions, so that a callback follows its completion with no
     * hand-off to another thread. Such an executor must run tasks given on that thread in place, and must
     * let {@link #runCompletionsUntil} run there, so that a synchronous call from a callback can wait.
     * Empty (the default): the runtime's own pool.
     *
     * @return the executor, or empty
     */
    default Optional<Executor> callbackExecutor() {
        return Optional.empty();
    }

    /**
     * Whether {@link #runCompletionsUntil} can run on the current thread: a completion thread that can
     * deliver completions itself while it waits (an event thread outside libusb's event handling).
     *
     * @return {@code true} if the current thread may wait by running completions
     */
    default boolean canRunCompletionsHere() {
        return false;
    }

    /**
     * Delivers completions on the current thread until {@code done} holds or {@code nanos} have passed: how
     * a completion thread waits (a synchronous call from a callback that runs on it). Only where
     * {@link #canRunCompletionsHere()}.
     *
     * @param done the condition to wait for
     * @param nanos the bound
     * @return {@code done}'s value at the end
     */
    default boolean runCompletionsUntil(BooleanSupplier done, long nanos) {
        return done.getAsBoolean();
    }

    /** Stops the controller: devices are reported detached, the event thread ends. */
    @Override
    void close();
}
