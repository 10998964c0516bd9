package io.github.usbd4j.host.spi;

/** Receives device arrivals and departures from a {@link HostController}, on the backend's event thread. */
public interface HostListener {

    /**
     * A device arrived and was enumerated (its descriptors are readable).
     *
     * @param device the device
     */
    void deviceAttached(BackendDevice device);

    /**
     * A device left. Transfers still pending on it are completed by the backend with
     * {@link PacketStatus#DEVICE_GONE} (before or after this call).
     *
     * @param device the device
     */
    void deviceDetached(BackendDevice device);
}
