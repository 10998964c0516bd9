package io.github.usbd4j.usb;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One alternate setting of an interface: CE's {@code USB_INTERFACE} ({@code usbtypes.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>). A configuration lists one {@code UsbInterface} per
 * alternate setting, as CE does.
 *
 * <p>{@code extended} is CE's {@code lpvExtended}: the class-specific descriptors between this interface
 * descriptor and its first endpoint (for example the UAC or UVC class descriptors), as raw bytes.
 */
public final class UsbInterface {
    private final UsbInterfaceDescriptor descriptor;
    private final byte[] extended;
    private final List<UsbEndpoint> endpoints;

    /**
     * @param descriptor the interface descriptor ({@code Descriptor})
     * @param extended class-specific bytes ({@code lpvExtended}); {@code null} means none
     * @param endpoints the endpoints ({@code lpEndpoints}); must hold {@code bNumEndpoints} entries
     */
    public UsbInterface(UsbInterfaceDescriptor descriptor, byte[] extended, List<UsbEndpoint> endpoints) {
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.extended = Extended.copy(extended);
        this.endpoints = List.copyOf(endpoints);
        if (this.endpoints.size() != descriptor.bNumEndpoints()) {
            throw new IllegalArgumentException("bNumEndpoints is " + descriptor.bNumEndpoints() + " but "
                    + this.endpoints.size() + " endpoints were given");
        }
    }

    /** CE's {@code Descriptor}. */
    public UsbInterfaceDescriptor descriptor() {
        return descriptor;
    }

    /** CE's {@code lpvExtended}: a copy of the bytes, empty where CE has {@code NULL}. */
    public byte[] extended() {
        return extended.clone();
    }

    /** CE's {@code lpEndpoints}, unmodifiable. */
    public List<UsbEndpoint> endpoints() {
        return endpoints;
    }

    /**
     * The endpoint with this address, CE's internal {@code FindEndpoint}.
     *
     * @param bEndpointAddress the address, direction bit included
     * @return the endpoint, or {@code null} if this setting has none with that address
     */
    public UsbEndpoint findEndpoint(int bEndpointAddress) {
        for (UsbEndpoint e : endpoints) {
            if (e.descriptor().bEndpointAddress() == bEndpointAddress) {
                return e;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UsbInterface i
                && descriptor.equals(i.descriptor)
                && Arrays.equals(extended, i.extended)
                && endpoints.equals(i.endpoints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(descriptor, Arrays.hashCode(extended), endpoints);
    }

    @Override
    public String toString() {
        return "UsbInterface[" + descriptor + ", endpoints=" + endpoints
                + (extended.length == 0 ? "" : ", extended=" + Extended.hex(extended)) + "]";
    }
}
