package io.github.usbd4j.usb;

import java.util.Arrays;
import java.util.Objects;

/**
 * One endpoint of an alternate setting: CE's {@code USB_ENDPOINT} ({@code usbtypes.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>).
 *
 * <p>{@code extended} is CE's {@code lpvExtended}: the class- or vendor-specific descriptors that follow
 * the endpoint descriptor in the configuration, as raw bytes, including a SuperSpeed endpoint companion
 * (and a SuperSpeedPlus isochronous companion) when the device has one. It is empty where CE passes
 * {@code NULL}. The record is immutable: the array is copied in and out.
 */
public final class UsbEndpoint {
    private final UsbEndpointDescriptor descriptor;
    private final byte[] extended;

    /**
     * @param descriptor the endpoint descriptor ({@code Descriptor})
     * @param extended the descriptors that follow it ({@code lpvExtended}); {@code null} means none
     */
    public UsbEndpoint(UsbEndpointDescriptor descriptor, byte[] extended) {
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.extended = Extended.copy(extended);
    }

    /** CE's {@code Descriptor}. */
    public UsbEndpointDescriptor descriptor() {
        return descriptor;
    }

    /** CE's {@code lpvExtended}: a copy of the bytes, empty where CE has {@code NULL}. */
    public byte[] extended() {
        return extended.clone();
    }

    /** The length of {@link #extended()} without copying it. */
    public int extendedLength() {
        return extended.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UsbEndpoint e && descriptor.equals(e.descriptor) && Arrays.equals(extended, e.extended);
    }

    @Override
    public int hashCode() {
        return 31 * descriptor.hashCode() + Arrays.hashCode(extended);
    }

    @Override
    public String toString() {
        return "UsbEndpoint[" + descriptor + (extended.length == 0 ? "" : ", extended=" + Extended.hex(extended)) + "]";
    }
}
