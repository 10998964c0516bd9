package io.github.usbd4j.usb;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One configuration: CE's {@code USB_CONFIGURATION} ({@code usbtypes.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>).
 *
 * <p>{@link #interfaces()} is CE's {@code lpInterfaces}: one entry per alternate setting, so its size is
 * CE's {@code dwNumInterfaces}. {@code extended} is CE's {@code lpvExtended}: descriptors between the
 * configuration descriptor and the first interface (for example an interface association descriptor).
 */
public final class UsbConfiguration {
    private final UsbConfigurationDescriptor descriptor;
    private final byte[] extended;
    private final List<UsbInterface> interfaces;

    /**
     * @param descriptor the configuration descriptor ({@code Descriptor})
     * @param extended bytes before the first interface ({@code lpvExtended}); {@code null} means none
     * @param interfaces every alternate setting of every interface ({@code lpInterfaces})
     */
    public UsbConfiguration(UsbConfigurationDescriptor descriptor, byte[] extended, List<UsbInterface> interfaces) {
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.extended = Extended.copy(extended);
        this.interfaces = List.copyOf(interfaces);
    }

    /** CE's {@code Descriptor}. */
    public UsbConfigurationDescriptor descriptor() {
        return descriptor;
    }

    /** CE's {@code lpvExtended}: a copy of the bytes, empty where CE has {@code NULL}. */
    public byte[] extended() {
        return extended.clone();
    }

    /** CE's {@code lpInterfaces}: every alternate setting, unmodifiable. */
    public List<UsbInterface> interfaces() {
        return interfaces;
    }

    /** CE's {@code dwNumInterfaces}: the number of entries in {@link #interfaces()}, alternate settings included. */
    public int numInterfaces() {
        return interfaces.size();
    }

    /**
     * The alternate setting with these numbers, as CE's {@code FindInterface} scans for it
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>).
     *
     * @param bInterfaceNumber interface number
     * @param bAlternateSetting alternate setting
     * @return the interface, or {@code null} if there is none
     */
    public UsbInterface findInterface(int bInterfaceNumber, int bAlternateSetting) {
        for (UsbInterface i : interfaces) {
            if (i.descriptor().bInterfaceNumber() == bInterfaceNumber
                    && i.descriptor().bAlternateSetting() == bAlternateSetting) {
                return i;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UsbConfiguration c
                && descriptor.equals(c.descriptor)
                && Arrays.equals(extended, c.extended)
                && interfaces.equals(c.interfaces);
    }

    @Override
    public int hashCode() {
        return Objects.hash(descriptor, Arrays.hashCode(extended), interfaces);
    }

    @Override
    public String toString() {
        return "UsbConfiguration[" + descriptor + ", interfaces=" + interfaces + "]";
    }
}
