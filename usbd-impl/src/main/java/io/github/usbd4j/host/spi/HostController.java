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

    /** Stops the controller: devices are reported detached, the event thread ends. */
    @Override
    void close();
}
