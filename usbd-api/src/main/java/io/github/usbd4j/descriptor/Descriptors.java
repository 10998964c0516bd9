package io.github.usbd4j.descriptor;

import static io.github.usbd4j.descriptor.DescriptorReader.requireLength;

import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbStringDescriptor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Strict parsers for the descriptors a device returns, building the configuration tree
 * of {@link io.github.usbd4j.usb} (CE's {@code USB_DEVICE}, {@code USB_CONFIGURATION}, {@code USB_INTERFACE},
 * {@code USB_ENDPOINT}, <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>) and the {@code usb100.h}
 * descriptor records.
 *
 * <p>Input is treated as hostile. Every parser throws only {@link DescriptorException} for bad bytes,
 * naming the offset and the problem; none loops or allocates more than the input's length. A
 * {@code null} array or list is a programming error and gives a {@link NullPointerException}.
 *
 * <p>Every buffer must be exactly one descriptor (or one descriptor set): bytes after {@code bLength}
 * (or after {@code wTotalLength}) are an error, not ignored, so a host that read too much notices.
 */
public final class Descriptors {
    private Descriptors() {}

    /**
     * Parses an 18-byte device descriptor, CE's {@code USB_DEVICE_DESCRIPTOR}.
     *
     * @param bytes what GET_DESCRIPTOR(DEVICE) returned
     * @return the descriptor
     * @throws DescriptorException if the bytes are not one device descriptor of at least 18 bytes
     */
    public static UsbDeviceDescriptor parseDevice(byte[] bytes) throws DescriptorException {
        DescriptorReader r = new DescriptorReader(bytes);
        single(r, Usb100.USB_DEVICE_DESCRIPTOR_TYPE, UsbDeviceDescriptor.LENGTH);
        return new UsbDeviceDescriptor(
                r.u8(0), r.u8(1), r.u16(2), r.u8(4), r.u8(5), r.u8(6), r.u8(7), r.u16(8), r.u16(10), r.u16(12),
                r.u8(14), r.u8(15), r.u8(16), r.u8(17));
    }

    /**
     * Parses a whole configuration descriptor set into CE's {@code USB_CONFIGURATION}
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>).
     *
     * <p>The bytes are cut as CE does: those between the configuration descriptor and the first
     * interface descriptor become the configuration's {@code extended} (e.g. interface association
     * descriptors); each interface descriptor (one {@link UsbInterface} per alternate setting) takes the
     * bytes up to its first endpoint (or the next interface) as {@code extended} (class-specific
     * interface descriptors); each endpoint takes the bytes up to the next endpoint or interface
     * descriptor (SuperSpeed companions 0x30 and 0x31, {@code CS_ENDPOINT} 0x25, ...).
     *
     * <p>Rejected: a buffer whose length is not {@code wTotalLength} (longer buffers are rejected too);
     * any descriptor with {@code bLength} below 2 or running past the end; a first descriptor that is not
     * a configuration; standard descriptors too short for their type (configuration 9, interface 9,
     * endpoint 7, companion 6, SSP companion 8, IAD 8); device, configuration, string, qualifier,
     * other-speed or BOS descriptors inside the set; {@code bNumEndpoints} or {@code bNumInterfaces}
     * disagreeing with what follows; an endpoint before any interface; a duplicate (interface, alternate
     * setting) pair; a duplicate endpoint address in one alternate setting; an address of endpoint 0 or
     * with reserved bits 6:4 set; {@code wMaxPacketSize} bits 12:11 = 3 (reserved); an isochronous
     * {@code bInterval} outside 1..16 or an interrupt {@code bInterval} of 0 (the rules that hold at
     * every speed, <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>); a SuperSpeed companion not directly after
     * an endpoint, with {@code bMaxBurst} above 15 or isochronous Mult 3; an SSP isochronous companion not directly
     * after a companion with bit 7 set, or such a companion without one.
     *
     * @param bytes what GET_DESCRIPTOR(CONFIGURATION) returned for {@code wTotalLength} bytes
     * @return the configuration with every alternate setting and endpoint
     * @throws DescriptorException naming the first offending offset
     */
    public static UsbConfiguration parseConfiguration(byte[] bytes) throws DescriptorException {
        return new ConfigurationParser(bytes).parse();
    }

    /**
     * Parses a string descriptor, CE's {@code USB_STRING_DESCRIPTOR}. The UTF-16LE code units are kept
     * as sent (an unpaired surrogate is not replaced), so {@code bLength} still matches.
     *
     * @param bytes exactly one string descriptor
     * @return the descriptor
     * @throws DescriptorException for a wrong type, a {@code bLength} that is not the buffer's length, or
     *     an odd payload
     */
    public static UsbStringDescriptor parseString(byte[] bytes) throws DescriptorException {
        DescriptorReader r = new DescriptorReader(bytes);
        DescriptorReader.Span d = single(r, Usb100.USB_STRING_DESCRIPTOR_TYPE, 2);
        if ((d.length() & 1) != 0) {
            throw new DescriptorException(
                    0, "string descriptor bLength " + d.length() + " leaves an odd payload of " + (d.length() - 2));
        }
        char[] text = new char[(d.length() - 2) / 2];
        for (int i = 0; i < text.length; i++) {
            text[i] = (char) r.u16(2 + 2 * i);
        }
        return new UsbStringDescriptor(d.length(), d.type(), new String(text));
    }

    /**
     * Parses string descriptor 0: the language IDs the device supports ({@code wLANGID[]}).
     *
     * @param bytes string descriptor 0
     * @return the language IDs, e.g. {@code 0x0409}; empty if the device lists none
     * @throws DescriptorException as {@link #parseString}
     */
    public static int[] parseLanguageIds(byte[] bytes) throws DescriptorException {
        return parseString(bytes).bString().chars().toArray();
    }

    /**
     * Parses a BOS descriptor with its device capabilities (USB 3.x;
     * <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>).
     *
     * @param bytes what GET_DESCRIPTOR(BOS) returned for {@code wTotalLength} bytes
     * @return the BOS
     * @throws DescriptorException for a header shorter than 5, a {@code wTotalLength} that is not the
     *     buffer's length, a descriptor that is not a device capability (or shorter than 3, or a USB 2.0
     *     extension shorter than 7, or a SuperSpeed USB capability shorter than 10), or a
     *     {@code bNumDeviceCaps} that disagrees with the capabilities that follow
     */
    public static BosDescriptor parseBos(byte[] bytes) throws DescriptorException {
        DescriptorReader r = new DescriptorReader(bytes);
        DescriptorReader.Span bos = r.next();
        DescriptorReader.expectType(bos, Usb100.USB_BOS_DESCRIPTOR_TYPE);
        requireLength(bos, BosDescriptor.LENGTH);
        checkTotalLength(r, bos, "BOS");
        List<DeviceCapability> capabilities = new ArrayList<>();
        while (r.hasNext()) {
            DescriptorReader.Span d = r.next();
            DescriptorReader.expectType(d, Usb100.USB_DEVICE_CAPABILITY_DESCRIPTOR_TYPE);
            requireLength(d, 3);
            int type = r.u8(d.offset() + 2);
            int minimum = DeviceCapability.minimumLength(type);
            if (d.length() < minimum) {
                throw new DescriptorException(
                        d.offset(),
                        "device capability type " + type + " bLength " + d.length() + " is less than " + minimum);
            }
            capabilities.add(new DeviceCapability(type, r.copy(d.offset() + 3, d.end())));
        }
        int declared = r.u8(4);
        if (declared != capabilities.size()) {
            throw new DescriptorException(
                    4,
                    "bNumDeviceCaps " + declared + " but " + capabilities.size()
                            + " device capability descriptors follow");
        }
        return new BosDescriptor(r.u16(2), capabilities);
    }

    /**
     * Builds CE's {@code USB_DEVICE} (what {@code GetDeviceInfo} returns,
     * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>) from the device descriptor and every configuration
     * descriptor set.
     *
     * @param deviceDescriptor the 18-byte device descriptor
     * @param configurationDescriptors one full configuration descriptor set per configuration, in index
     *     order
     * @param activeConfigurationValue the {@code bConfigurationValue} in use (GET_CONFIGURATION)
     * @return the device
     * @throws DescriptorException if a descriptor is malformed (a configuration's problem is prefixed
     *     with its index, the offset is within that configuration), if {@code bNumConfigurations} is not
     *     the list's size (offset 17), if two configurations share a {@code bConfigurationValue}, or if
     *     no configuration has the active value (offset 5 of the configuration, or 0 when the value is
     *     absent, since it is in no buffer)
     */
    public static UsbDevice parseDevice(
            byte[] deviceDescriptor, List<byte[]> configurationDescriptors, int activeConfigurationValue)
            throws DescriptorException {
        UsbDeviceDescriptor device = parseDevice(deviceDescriptor);
        if (device.bNumConfigurations() != configurationDescriptors.size()) {
            throw new DescriptorException(
                    17,
                    "bNumConfigurations " + device.bNumConfigurations() + " but " + configurationDescriptors.size()
                            + " configuration descriptor sets were given");
        }
        List<UsbConfiguration> configs = new ArrayList<>();
        Set<Integer> values = new HashSet<>();
        UsbConfiguration active = null;
        for (byte[] bytes : configurationDescriptors) {
            UsbConfiguration config;
            try {
                config = parseConfiguration(bytes);
            } catch (DescriptorException e) {
                throw new DescriptorException(e.offset(), "configuration " + configs.size() + ": " + e.problem());
            }
            int value = config.descriptor().bConfigurationValue();
            if (!values.add(value)) {
                throw new DescriptorException(
                        5, "configuration " + configs.size() + ": duplicate bConfigurationValue " + value);
            }
            if (value == activeConfigurationValue) {
                active = config;
            }
            configs.add(config);
        }
        if (active == null) {
            throw new DescriptorException(
                    0, "no configuration has the active bConfigurationValue " + activeConfigurationValue);
        }
        return new UsbDevice(device, configs, active);
    }

    /**
     * Splits a block of descriptors, such as an {@code extended} block of the CE records, into its
     * descriptors, for walking class-specific (UAC, UVC ...) descriptors.
     *
     * @param extendedBytes zero or more whole descriptors
     * @return the descriptors in order, offsets relative to the block
     * @throws DescriptorException if a descriptor has {@code bLength} below 2 or runs past the end
     */
    public static List<RawDescriptor> split(byte[] extendedBytes) throws DescriptorException {
        DescriptorReader r = new DescriptorReader(extendedBytes);
        List<RawDescriptor> out = new ArrayList<>();
        while (r.hasNext()) {
            DescriptorReader.Span d = r.next();
            out.add(new RawDescriptor(d.offset(), d.type(), r.copy(d.offset(), d.end())));
        }
        return out;
    }

    /**
     * Every interface association descriptor of a configuration, in descriptor order. An IAD sits in
     * whichever {@code extended} block precedes the interfaces it groups: the configuration's for the
     * first function, usually an endpoint's (or an interface's) for later ones, so all are searched.
     *
     * @param configuration a configuration, normally from {@link #parseConfiguration}
     * @return the IADs
     * @throws DescriptorException if an extended block is malformed or an IAD is shorter than 8 bytes;
     *     impossible for a configuration from {@link #parseConfiguration}, possible for a hand-built one
     *     (offsets are then relative to the offending block)
     */
    public static List<InterfaceAssociation> interfaceAssociations(UsbConfiguration configuration)
            throws DescriptorException {
        List<InterfaceAssociation> out = new ArrayList<>();
        addAssociations(configuration.extended(), out);
        for (UsbInterface i : configuration.interfaces()) {
            addAssociations(i.extended(), out);
            for (UsbEndpoint e : i.endpoints()) {
                addAssociations(e.extended(), out);
            }
        }
        return out;
    }

    private static void addAssociations(byte[] block, List<InterfaceAssociation> out) throws DescriptorException {
        DescriptorReader r = new DescriptorReader(block);
        while (r.hasNext()) {
            DescriptorReader.Span d = r.next();
            if (d.type() == Usb100.USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE) {
                requireLength(d, ConfigurationParser.IAD_LENGTH);
                int o = d.offset();
                out.add(new InterfaceAssociation(
                        r.u8(o + 2), r.u8(o + 3), r.u8(o + 4), r.u8(o + 5), r.u8(o + 6), r.u8(o + 7)));
            }
        }
    }

    /** Reads the one descriptor that must fill the whole buffer. */
    private static DescriptorReader.Span single(DescriptorReader r, int type, int minimum) throws DescriptorException {
        DescriptorReader.Span d = r.next();
        DescriptorReader.expectType(d, type);
        requireLength(d, minimum);
        if (r.hasNext()) {
            throw new DescriptorException(
                    d.end(), DescriptorReader.name(type) + " bLength " + d.length() + " does not cover the buffer");
        }
        return d;
    }

    /** The buffer must be exactly {@code wTotalLength} (at offset 2) long, and at least the header. */
    static void checkTotalLength(DescriptorReader r, DescriptorReader.Span header, String what)
            throws DescriptorException {
        int total = r.u16(2);
        if (total < header.length()) {
            throw new DescriptorException(
                    2,
                    "wTotalLength " + total + " is less than the " + what + " descriptor's bLength " + header.length());
        }
        int actual = r.length();
        if (total != actual) {
            throw new DescriptorException(
                    2, "wTotalLength " + total + " but the " + what + " has " + actual + " bytes");
        }
    }
}
