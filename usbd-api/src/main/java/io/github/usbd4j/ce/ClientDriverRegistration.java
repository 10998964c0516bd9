package io.github.usbd4j.ce;

/**
 * A client driver as installed: its unique driver ID, its {@code LoadClients} settings, and a factory for
 * the driver. The Java form of what a CE driver's {@code USBInstallDriver} registers with
 * {@code RegisterClientDriverID} and {@code RegisterClientSettings}
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>).
 *
 * <p>Implementations with a public no-argument constructor can be found by {@link java.util.ServiceLoader}
 * ({@code provides io.github.usbd4j.ce.ClientDriverRegistration with ...} in a module, or a
 * {@code META-INF/services} entry).
 */
public interface ClientDriverRegistration {

    /** The driver's unique ID (CE's {@code szUniqueDriverId}). */
    String uniqueDriverId();

    /** Which devices or interfaces the driver wants. */
    UsbDriverSettings driverSettings();

    /** A new driver instance. */
    UsbClientDriver newDriver();
}
