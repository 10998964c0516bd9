package io.github.usbd4j.sim;

import io.github.usbd4j.ce.Usb100;
import io.github.usbd4j.ce.UsbConfigurationDescriptor;
import io.github.usbd4j.ce.UsbEndpointDescriptor;
import io.github.usbd4j.ce.UsbInterfaceDescriptor;
import java.io.ByteArrayOutputStream;
import java.util.HashSet;
import java.util.Set;

/**
 * Writes a whole configuration descriptor (header, interfaces, endpoints, class-specific descriptors)
 * for the built-in device models. Stand-in for {@code io.github.usbd4j.descriptor.ConfigurationBuilder};
 * its calls map one to one, so swapping it later touches only the models' descriptor methods.
 */
final class ConfigBytes {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final Set<Integer> interfaceNumbers = new HashSet<>();
    private final int configurationValue;
    private final int bmAttributes;
    private final int maxPower;

    private ConfigBytes(int configurationValue, int bmAttributes, int maxPower) {
        this.configurationValue = configurationValue;
        this.bmAttributes = bmAttributes;
        this.maxPower = maxPower;
    }

    /** A bus-powered configuration drawing 100 mA. */
    static ConfigBytes configuration(int configurationValue) {
        return new ConfigBytes(configurationValue, 0x80, 50);
    }

    ConfigBytes interfaceAssociation(int firstInterface, int count, int cls, int subClass, int protocol) {
        return raw(
                8, Usb100.USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE, firstInterface, count, cls, subClass, protocol, 0);
    }

    ConfigBytes interfaceAlt(int number, int alternateSetting, int endpoints, int cls, int subClass, int protocol) {
        interfaceNumbers.add(number);
        return raw(new UsbInterfaceDescriptor(
                        UsbInterfaceDescriptor.LENGTH,
                        Usb100.USB_INTERFACE_DESCRIPTOR_TYPE,
                        number,
                        alternateSetting,
                        endpoints,
                        cls,
                        subClass,
                        protocol,
                        0)
                .toBytes());
    }

    ConfigBytes endpoint(UsbEndpointDescriptor endpoint) {
        return raw(endpoint.toBytes());
    }

    ConfigBytes endpoint(int address, int attributes, int wMaxPacketSize, int bInterval) {
        return endpoint(UsbEndpointDescriptor.of(address, attributes, wMaxPacketSize, bInterval));
    }

    /** A class-specific descriptor given byte by byte (values are truncated to 8 bits). */
    ConfigBytes raw(int... bytes) {
        for (int b : bytes) {
            body.write(b);
        }
        return this;
    }

    ConfigBytes raw(byte[] bytes) {
        body.writeBytes(bytes);
        return this;
    }

    byte[] build() {
        byte[] rest = body.toByteArray();
        byte[] header = new UsbConfigurationDescriptor(
                        UsbConfigurationDescriptor.LENGTH,
                        Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE,
                        UsbConfigurationDescriptor.LENGTH + rest.length,
                        interfaceNumbers.size(),
                        configurationValue,
                        0,
                        bmAttributes,
                        maxPower)
                .toBytes();
        byte[] all = new byte[header.length + rest.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(rest, 0, all, header.length, rest.length);
        return all;
    }
}
