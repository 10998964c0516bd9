package io.github.usbd4j.descriptor;

import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbConfigurationDescriptor;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterfaceDescriptor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Writes a configuration descriptor set (the bytes GET_DESCRIPTOR(CONFIGURATION) returns), computing
 * {@code wTotalLength}, {@code bNumInterfaces} and each interface's {@code bNumEndpoints}. Descriptors
 * are written in call order, so {@code classSpecific} bytes land where they are added. Used by simulated
 * devices and tests:
 *
 * <pre>{@code
 * byte[] config = ConfigurationBuilder.configuration(1, 0x80, 50)
 *         .iface(0, 0, 0xFF, 0x00, 0x00)
 *         .endpoint(0x81, 0x05, 1024, 1).ssCompanion(0, 0, 1024)
 *         .build();
 * }</pre>
 *
 * <p>Field values out of range throw {@link IllegalArgumentException}; {@link #build()} parses the
 * result with {@link Descriptors#parseConfiguration} and throws {@link IllegalStateException} if it is
 * not valid, so whatever it returns is a valid configuration.
 */
public final class ConfigurationBuilder {
    private final int bConfigurationValue;
    private final int bmAttributes;
    private final int maxPower;
    private int iConfiguration;
    private byte[] body = new byte[64];
    private int size;
    private int currentInterface = -1; // offset in body of the last interface descriptor
    private final Set<Integer> interfaceNumbers = new HashSet<>();

    private ConfigurationBuilder(int bConfigurationValue, int bmAttributes, int maxPower) {
        this.bConfigurationValue = bConfigurationValue;
        this.bmAttributes = bmAttributes;
        this.maxPower = maxPower;
        header(0, 0); // range-check the fields now, not at build()
    }

    /**
     * Starts a configuration ({@code USB_CONFIGURATION_DESCRIPTOR}).
     *
     * @param bConfigurationValue value for SET_CONFIGURATION
     * @param bmAttributes e.g. {@code 0x80} bus-powered, {@code 0xC0} self-powered
     * @param maxPower {@code MaxPower} in 2 mA units (8 mA at SuperSpeed)
     * @return the builder
     */
    public static ConfigurationBuilder configuration(int bConfigurationValue, int bmAttributes, int maxPower) {
        return new ConfigurationBuilder(bConfigurationValue, bmAttributes, maxPower);
    }

    /**
     * Sets the configuration's string index.
     *
     * @param index {@code iConfiguration}
     * @return this builder
     */
    public ConfigurationBuilder iConfiguration(int index) {
        iConfiguration = index;
        header(0, 0);
        return this;
    }

    /**
     * Adds an interface association descriptor (8 bytes, type {@code 0x0B}).
     *
     * @param bFirstInterface first interface of the function
     * @param bInterfaceCount number of interfaces
     * @param bFunctionClass function class
     * @param bFunctionSubClass function subclass
     * @param bFunctionProtocol function protocol
     * @param iFunction string index
     * @return this builder
     */
    public ConfigurationBuilder iad(
            int bFirstInterface,
            int bInterfaceCount,
            int bFunctionClass,
            int bFunctionSubClass,
            int bFunctionProtocol,
            int iFunction) {
        return append(bytes(
                8,
                Usb100.USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE,
                bFirstInterface,
                bInterfaceCount,
                bFunctionClass,
                bFunctionSubClass,
                bFunctionProtocol,
                iFunction));
    }

    /**
     * Adds an interface descriptor (one alternate setting) with no string.
     *
     * @param bInterfaceNumber interface number
     * @param bAlternateSetting alternate setting
     * @param bInterfaceClass class
     * @param bInterfaceSubClass subclass
     * @param bInterfaceProtocol protocol
     * @return this builder
     */
    public ConfigurationBuilder iface(
            int bInterfaceNumber,
            int bAlternateSetting,
            int bInterfaceClass,
            int bInterfaceSubClass,
            int bInterfaceProtocol) {
        return iface(bInterfaceNumber, bAlternateSetting, bInterfaceClass, bInterfaceSubClass, bInterfaceProtocol, 0);
    }

    /**
     * Adds an interface descriptor (one alternate setting); its {@code bNumEndpoints} counts the
     * endpoints added after it.
     *
     * @param bInterfaceNumber interface number
     * @param bAlternateSetting alternate setting
     * @param bInterfaceClass class
     * @param bInterfaceSubClass subclass
     * @param bInterfaceProtocol protocol
     * @param iInterface string index
     * @return this builder
     */
    public ConfigurationBuilder iface(
            int bInterfaceNumber,
            int bAlternateSetting,
            int bInterfaceClass,
            int bInterfaceSubClass,
            int bInterfaceProtocol,
            int iInterface) {
        byte[] d = new UsbInterfaceDescriptor(
                        UsbInterfaceDescriptor.LENGTH,
                        Usb100.USB_INTERFACE_DESCRIPTOR_TYPE,
                        bInterfaceNumber,
                        bAlternateSetting,
                        0,
                        bInterfaceClass,
                        bInterfaceSubClass,
                        bInterfaceProtocol,
                        iInterface)
                .toBytes();
        currentInterface = size;
        interfaceNumbers.add(bInterfaceNumber);
        return append(d);
    }

    /**
     * Adds raw descriptors (class- or vendor-specific) at the current position.
     *
     * @param descriptors one or more whole descriptors
     * @return this builder
     */
    public ConfigurationBuilder classSpecific(byte[] descriptors) {
        return append(descriptors.clone());
    }

    /**
     * Adds raw descriptors given as unsigned byte values, which reads better than {@code (byte)} casts.
     *
     * @param unsignedBytes one or more whole descriptors, each value 0..255
     * @return this builder
     */
    public ConfigurationBuilder classSpecific(int... unsignedBytes) {
        return append(bytes(unsignedBytes));
    }

    /**
     * Adds a 7-byte endpoint descriptor to the current interface.
     *
     * @param bEndpointAddress address, bit 7 set for IN
     * @param bmAttributes transfer type, sync and usage type
     * @param wMaxPacketSize raw field, bits 12:11 included
     * @param bInterval polling interval
     * @return this builder
     */
    public ConfigurationBuilder endpoint(int bEndpointAddress, int bmAttributes, int wMaxPacketSize, int bInterval) {
        return endpoint(UsbEndpointDescriptor.of(bEndpointAddress, bmAttributes, wMaxPacketSize, bInterval));
    }

    /**
     * Adds a 9-byte USB Audio 1.0 endpoint descriptor to the current interface.
     *
     * @param bEndpointAddress address, bit 7 set for IN
     * @param bmAttributes transfer type, sync and usage type
     * @param wMaxPacketSize raw field
     * @param bInterval polling interval
     * @param bRefresh feedback refresh rate
     * @param bSynchAddress address of the synch endpoint, 0 if none
     * @return this builder
     */
    public ConfigurationBuilder audioEndpoint(
            int bEndpointAddress,
            int bmAttributes,
            int wMaxPacketSize,
            int bInterval,
            int bRefresh,
            int bSynchAddress) {
        return endpoint(new UsbEndpointDescriptor(
                UsbEndpointDescriptor.AUDIO_LENGTH,
                Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE,
                bEndpointAddress,
                bmAttributes,
                wMaxPacketSize,
                bInterval,
                bRefresh,
                bSynchAddress));
    }

    private ConfigurationBuilder endpoint(UsbEndpointDescriptor d) {
        if (currentInterface < 0) {
            throw new IllegalStateException("endpoint before any interface");
        }
        body[currentInterface + 4]++; // bNumEndpoints; the parse in build() catches more than 255
        return append(d.toBytes());
    }

    /**
     * Adds a SuperSpeed endpoint companion (6 bytes) after the endpoint just added.
     *
     * @param bMaxBurst packets per burst minus one
     * @param bmAttributes MaxStreams (bulk) or Mult and bit 7 (isochronous)
     * @param wBytesPerInterval bytes per service interval
     * @return this builder
     */
    public ConfigurationBuilder ssCompanion(int bMaxBurst, int bmAttributes, int wBytesPerInterval) {
        checkU16(wBytesPerInterval);
        return append(bytes(
                6,
                Usb100.USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE,
                bMaxBurst,
                bmAttributes,
                wBytesPerInterval & 0xFF,
                wBytesPerInterval >>> 8));
    }

    /**
     * Adds a SuperSpeedPlus isochronous endpoint companion (8 bytes) after the companion just added.
     *
     * @param dwBytesPerInterval bytes per service interval, non-negative
     * @return this builder
     */
    public ConfigurationBuilder sspIsochCompanion(int dwBytesPerInterval) {
        if (dwBytesPerInterval < 0) {
            throw new IllegalArgumentException("dwBytesPerInterval must be non-negative, was " + dwBytesPerInterval);
        }
        int v = dwBytesPerInterval;
        return append(bytes(
                8,
                Usb100.USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE,
                0,
                0,
                v & 0xFF,
                (v >>> 8) & 0xFF,
                (v >>> 16) & 0xFF,
                v >>> 24));
    }

    /**
     * The configuration descriptor set.
     *
     * @return the bytes, {@code wTotalLength} long
     * @throws IllegalStateException if the result is longer than 65535 bytes or is not a valid
     *     configuration (the parser's message says why)
     */
    public byte[] build() {
        int total = UsbConfigurationDescriptor.LENGTH + size;
        if (total > 0xFFFF) {
            throw new IllegalStateException("wTotalLength " + total + " exceeds 65535");
        }
        byte[] out = Arrays.copyOf(header(total, interfaceNumbers.size()), total);
        System.arraycopy(body, 0, out, UsbConfigurationDescriptor.LENGTH, size);
        try {
            Descriptors.parseConfiguration(out);
        } catch (DescriptorException e) {
            throw new IllegalStateException("not a valid configuration: " + e.getMessage(), e);
        }
        return out;
    }

    private byte[] header(int total, int numInterfaces) {
        return new UsbConfigurationDescriptor(
                        UsbConfigurationDescriptor.LENGTH,
                        Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE,
                        total,
                        Math.min(numInterfaces, 0xFF),
                        bConfigurationValue,
                        iConfiguration,
                        bmAttributes,
                        maxPower)
                .toBytes();
    }

    private ConfigurationBuilder append(byte[] bytes) {
        if (body.length - size < bytes.length) {
            body = Arrays.copyOf(body, Math.max(body.length * 2, size + bytes.length));
        }
        System.arraycopy(bytes, 0, body, size, bytes.length);
        size += bytes.length;
        return this;
    }

    private static void checkU16(int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("value must be 0..65535, was " + value);
        }
    }

    /** Unsigned byte values to bytes, each checked to be 0..255. */
    static byte[] bytes(int... unsignedBytes) {
        byte[] b = new byte[unsignedBytes.length];
        for (int i = 0; i < b.length; i++) {
            if ((unsignedBytes[i] & ~0xFF) != 0) {
                throw new IllegalArgumentException("byte " + i + " must be 0..255, was " + unsignedBytes[i]);
            }
            b[i] = (byte) unsignedBytes[i];
        }
        return b;
    }
}
