package io.github.usbd4j.descriptor;

import java.util.List;
import java.util.Optional;

/**
 * A binary device object store (BOS) with its device capabilities: the USB 3.x {@code
 * USB_BOS_DESCRIPTOR} of {@code usbspec.h} (<a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>). Parse one with
 * {@link Descriptors#parseBos}.
 *
 * @param wTotalLength length of the BOS and all its capabilities
 * @param capabilities the device capability descriptors in order ({@code bNumDeviceCaps} entries)
 */
public record BosDescriptor(int wTotalLength, List<DeviceCapability> capabilities) {
    /** Size in bytes of the BOS header. */
    public static final int LENGTH = 5;

    /** Copies the list. */
    public BosDescriptor {
        capabilities = List.copyOf(capabilities);
    }

    /** The USB 2.0 extension capability (type 2), if the device lists one. */
    public Optional<DeviceCapability.Usb20Extension> usb20Extension() {
        return capabilities.stream().flatMap(c -> c.usb20Extension().stream()).findFirst();
    }

    /** The SuperSpeed USB capability (type 3), if the device lists one. */
    public Optional<DeviceCapability.SuperSpeedUsb> superSpeedUsb() {
        return capabilities.stream().flatMap(c -> c.superSpeedUsb().stream()).findFirst();
    }
}
