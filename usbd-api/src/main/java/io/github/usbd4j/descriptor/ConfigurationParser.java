package io.github.usbd4j.descriptor;

import static io.github.usbd4j.descriptor.DescriptorReader.hex;
import static io.github.usbd4j.descriptor.DescriptorReader.requireLength;
import static io.github.usbd4j.usb.Usb100.USB_BOS_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_DEVICE_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_DEVICE_QUALIFIER_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_INTERFACE_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_OTHER_SPEED_CONFIGURATION_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_STRING_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE;
import static io.github.usbd4j.usb.Usb100.USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE;

import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbConfigurationDescriptor;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbInterfaceDescriptor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One walk over a configuration descriptor set, cutting it into CE's {@code USB_CONFIGURATION},
 * {@code USB_INTERFACE} and {@code USB_ENDPOINT} records with their {@code lpvExtended} blocks
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>) and checking the rules listed on {@link
 * Descriptors#parseConfiguration}. Single use.
 */
final class ConfigurationParser {
    static final int IAD_LENGTH = 8;
    static final int COMPANION_LENGTH = 6;
    static final int SSP_COMPANION_LENGTH = 8;

    private final DescriptorReader reader;
    private final List<UsbInterface> interfaces = new ArrayList<>();
    private final Set<Integer> settings = new HashSet<>();
    private final Set<Integer> interfaceNumbers = new HashSet<>();
    private int firstInterface = -1;

    // the alternate setting being read
    private DescriptorReader.Span iface;
    private UsbInterfaceDescriptor ifaceDescriptor;
    private int firstEndpoint;
    private List<UsbEndpoint> endpoints;
    private Set<Integer> addresses;

    // the endpoint being read, and the descriptor just before the current one
    private DescriptorReader.Span endpoint;
    private UsbEndpointDescriptor endpointDescriptor;
    private DescriptorReader.Span previous;
    // offset of a companion whose bit 7 promises an SSP isochronous companion next, else -1
    private int sspPromised = -1;

    ConfigurationParser(byte[] bytes) {
        this.reader = new DescriptorReader(bytes);
    }

    UsbConfiguration parse() throws DescriptorException {
        DescriptorReader.Span config = reader.next();
        DescriptorReader.expectType(config, USB_CONFIGURATION_DESCRIPTOR_TYPE);
        requireLength(config, UsbConfigurationDescriptor.LENGTH);
        Descriptors.checkTotalLength(reader, config, "configuration");
        UsbConfigurationDescriptor descriptor = new UsbConfigurationDescriptor(
                config.length(),
                config.type(),
                reader.u16(2),
                reader.u8(4),
                reader.u8(5),
                reader.u8(6),
                reader.u8(7),
                reader.u8(8));
        previous = config;
        while (reader.hasNext()) {
            DescriptorReader.Span d = reader.next();
            if (sspPromised >= 0 && d.type() != USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE) {
                throw sspMissing();
            }
            switch (d.type()) {
                case USB_INTERFACE_DESCRIPTOR_TYPE -> startInterface(d);
                case USB_ENDPOINT_DESCRIPTOR_TYPE -> startEndpoint(d);
                case USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE -> companion(d);
                case USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE -> sspCompanion(d);
                case USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE -> requireLength(d, IAD_LENGTH);
                case USB_DEVICE_DESCRIPTOR_TYPE,
                        USB_CONFIGURATION_DESCRIPTOR_TYPE,
                        USB_STRING_DESCRIPTOR_TYPE,
                        USB_DEVICE_QUALIFIER_DESCRIPTOR_TYPE,
                        USB_OTHER_SPEED_CONFIGURATION_DESCRIPTOR_TYPE,
                        USB_BOS_DESCRIPTOR_TYPE ->
                    throw new DescriptorException(
                            d.offset(), DescriptorReader.name(d.type()) + " is not allowed inside a configuration");
                default -> {
                    // class- or vendor-specific: it belongs to the current extended block
                }
            }
            previous = d;
        }
        if (sspPromised >= 0) {
            throw sspMissing();
        }
        int end = reader.position();
        finishInterface(end);
        if (interfaceNumbers.size() != descriptor.bNumInterfaces()) {
            throw new DescriptorException(
                    4,
                    "bNumInterfaces " + descriptor.bNumInterfaces() + " but " + interfaceNumbers.size()
                            + " distinct interface numbers follow");
        }
        byte[] extended = reader.copy(config.end(), firstInterface < 0 ? end : firstInterface);
        return new UsbConfiguration(descriptor, extended, interfaces);
    }

    private void startInterface(DescriptorReader.Span d) throws DescriptorException {
        finishInterface(d.offset());
        requireLength(d, UsbInterfaceDescriptor.LENGTH);
        int o = d.offset();
        UsbInterfaceDescriptor id = new UsbInterfaceDescriptor(
                d.length(),
                d.type(),
                reader.u8(o + 2),
                reader.u8(o + 3),
                reader.u8(o + 4),
                reader.u8(o + 5),
                reader.u8(o + 6),
                reader.u8(o + 7),
                reader.u8(o + 8));
        if (!settings.add(id.bInterfaceNumber() << 8 | id.bAlternateSetting())) {
            throw new DescriptorException(
                    o + 2,
                    "duplicate interface " + id.bInterfaceNumber() + " alternate setting " + id.bAlternateSetting());
        }
        interfaceNumbers.add(id.bInterfaceNumber());
        if (firstInterface < 0) {
            firstInterface = o;
        }
        iface = d;
        ifaceDescriptor = id;
        firstEndpoint = -1;
        endpoints = new ArrayList<>();
        addresses = new HashSet<>();
    }

    private void startEndpoint(DescriptorReader.Span d) throws DescriptorException {
        int o = d.offset();
        if (iface == null) {
            throw new DescriptorException(o, "endpoint descriptor before any interface descriptor");
        }
        finishEndpoint(o);
        requireLength(d, UsbEndpointDescriptor.LENGTH);
        if (endpoints.size() == ifaceDescriptor.bNumEndpoints()) {
            throw new DescriptorException(
                    o,
                    "endpoint descriptor beyond bNumEndpoints " + ifaceDescriptor.bNumEndpoints() + " of " + setting());
        }
        boolean audio = d.length() >= UsbEndpointDescriptor.AUDIO_LENGTH;
        UsbEndpointDescriptor ed = new UsbEndpointDescriptor(
                d.length(),
                d.type(),
                reader.u8(o + 2),
                reader.u8(o + 3),
                reader.u16(o + 4),
                reader.u8(o + 6),
                audio ? reader.u8(o + 7) : 0,
                audio ? reader.u8(o + 8) : 0);
        checkEndpoint(o, ed);
        if (firstEndpoint < 0) {
            firstEndpoint = o;
        }
        endpoint = d;
        endpointDescriptor = ed;
    }

    /** The speed-independent part of {@link Endpoints}' rule, and no duplicate address in a setting. */
    private void checkEndpoint(int o, UsbEndpointDescriptor ed) throws DescriptorException {
        String p = Endpoints.addressProblem(ed);
        if (p != null) {
            throw new DescriptorException(o + 2, p);
        }
        if (!addresses.add(ed.bEndpointAddress())) {
            throw new DescriptorException(
                    o + 2, "duplicate endpoint address " + hex(ed.bEndpointAddress()) + " in " + setting());
        }
        p = Endpoints.attributesProblem(ed);
        if (p != null) {
            throw new DescriptorException(o + 3, p);
        }
        p = Endpoints.packetSizeProblem(ed);
        if (p != null) {
            throw new DescriptorException(o + 4, p);
        }
        p = Endpoints.intervalProblem(ed, null);
        if (p != null) {
            throw new DescriptorException(o + 6, p);
        }
    }

    private void companion(DescriptorReader.Span d) throws DescriptorException {
        if (previous.type() != USB_ENDPOINT_DESCRIPTOR_TYPE || endpoint == null) {
            throw new DescriptorException(d.offset(), "SuperSpeed endpoint companion not directly after an endpoint");
        }
        requireLength(d, COMPANION_LENGTH);
        int o = d.offset();
        if (reader.u8(o + 2) > 15) {
            throw new DescriptorException(o + 2, "bMaxBurst " + reader.u8(o + 2) + " is not 0..15");
        }
        int attributes = reader.u8(o + 3);
        if (endpointDescriptor.isIsochronous()) {
            if ((attributes & 0x3) == 3) {
                throw new DescriptorException(o + 3, "isochronous Mult 3 in bmAttributes " + hex(attributes));
            }
            if ((attributes & 0x80) != 0) {
                sspPromised = o;
            }
        }
    }

    private void sspCompanion(DescriptorReader.Span d) throws DescriptorException {
        if (sspPromised < 0) {
            throw new DescriptorException(
                    d.offset(),
                    "SuperSpeedPlus isochronous endpoint companion not directly after a SuperSpeed endpoint"
                            + " companion with bmAttributes bit 7 set");
        }
        sspPromised = -1;
        requireLength(d, SSP_COMPANION_LENGTH);
        if (reader.u32(d.offset() + 4) > Integer.MAX_VALUE) {
            // kept as an int; no bus carries 2 GB per 125 µs
            throw new DescriptorException(d.offset() + 4, "dwBytesPerInterval is larger than 2^31-1");
        }
    }

    private DescriptorException sspMissing() {
        return new DescriptorException(
                sspPromised,
                "SuperSpeed endpoint companion sets bmAttributes bit 7 but no SuperSpeedPlus isochronous"
                        + " endpoint companion follows");
    }

    private void finishEndpoint(int end) throws DescriptorException {
        if (endpoint != null) {
            endpoints.add(new UsbEndpoint(endpointDescriptor, reader.copy(endpoint.end(), end)));
            endpoint = null;
        }
    }

    private void finishInterface(int end) throws DescriptorException {
        if (iface == null) {
            return;
        }
        finishEndpoint(end);
        if (endpoints.size() != ifaceDescriptor.bNumEndpoints()) {
            throw new DescriptorException(
                    iface.offset() + 4,
                    setting() + " has bNumEndpoints " + ifaceDescriptor.bNumEndpoints() + " but " + endpoints.size()
                            + " endpoint descriptors follow");
        }
        byte[] extended = reader.copy(iface.end(), firstEndpoint < 0 ? end : firstEndpoint);
        interfaces.add(new UsbInterface(ifaceDescriptor, extended, endpoints));
        iface = null;
    }

    private String setting() {
        return "interface " + ifaceDescriptor.bInterfaceNumber() + " alternate setting "
                + ifaceDescriptor.bAlternateSetting();
    }
}
