package io.github.usbd4j.internal.engine;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.usb.UsbDevice;

/**
 * What the driver model does when devices come and go: CE's driver loading, matching and
 * {@code USB_CLOSE_DEVICE} notifications live behind this, outside the engine. The engine calls it on its
 * attach executor.
 */
public interface DeviceLifecycle {

    /**
     * Creates the device object every personality will know the device by (a subclass may carry the
     * driver model's own per-device state).
     *
     * @param engine the engine
     * @param backend the backend's device, open
     * @param info its parsed descriptors
     * @return the device
     */
    EngineDevice newDevice(Engine engine, BackendDevice backend, UsbDevice info);

    /**
     * A device is attached and ready for transfers: offer it to drivers.
     *
     * @param device the device
     */
    void attached(EngineDevice device);

    /**
     * A device left and is quiet: every pipe is closed, every transfer has completed (cancelled) and its
     * callback has run (usb-iso-apis.md §1.5). Tell the drivers; the device becomes invalid right after.
     *
     * @param device the device
     */
    void detached(EngineDevice device);
}
