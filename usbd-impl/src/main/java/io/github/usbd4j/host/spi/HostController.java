package io.github.usbd4j.host.spi;

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

    /** Stops the controller: devices are reported detached, the event thread ends. */
    @Override
    void close();
}
