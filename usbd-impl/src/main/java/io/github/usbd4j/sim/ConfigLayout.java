package io.github.usbd4j.sim;

import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * What the simulator needs from a configuration descriptor: its value, its attributes, and the
 * endpoints of every (interface, alternate setting). A deliberately small walk over the bytes; the
 * full parser lives in {@code io.github.usbd4j.descriptor}.
 */
final class ConfigLayout {

    /** One alternate setting of one interface. */
    record Alt(int interfaceNumber, int alternateSetting, List<UsbEndpointDescriptor> endpoints) {}

    final int configurationValue;
    final int bmAttributes;
    final List<Alt> alts;

    private ConfigLayout(int configurationValue, int bmAttributes, List<Alt> alts) {
        this.configurationValue = configurationValue;
        this.bmAttributes = bmAttributes;
        this.alts = alts;
    }

    static ConfigLayout parse(byte[] b) {
        if (b.length < 9 || (b[1] & 0xFF) != Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE) {
            throw new IllegalArgumentException("not a configuration descriptor");
        }
        List<Alt> alts = new ArrayList<>();
        List<UsbEndpointDescriptor> endpoints = null;
        int pos = 0;
        while (pos + 2 <= b.length) {
            int len = b[pos] & 0xFF;
            int type = b[pos + 1] & 0xFF;
            if (len < 2 || pos + len > b.length) {
                throw new IllegalArgumentException("bad descriptor length " + len + " at offset " + pos);
            }
            if (type == Usb100.USB_INTERFACE_DESCRIPTOR_TYPE && len >= 9) {
                endpoints = new ArrayList<>();
                alts.add(new Alt(b[pos + 2] & 0xFF, b[pos + 3] & 0xFF, endpoints));
            } else if (type == Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE && len >= 7 && endpoints != null) {
                endpoints.add(new UsbEndpointDescriptor(
                        len,
                        type,
                        b[pos + 2] & 0xFF,
                        b[pos + 3] & 0xFF,
                        (b[pos + 4] & 0xFF) | (b[pos + 5] & 0xFF) << 8,
                        b[pos + 6] & 0xFF,
                        len >= 9 ? b[pos + 7] & 0xFF : 0,
                        len >= 9 ? b[pos + 8] & 0xFF : 0));
            }
            pos += len;
        }
        return new ConfigLayout(b[5] & 0xFF, b[7] & 0xFF, List.copyOf(alts));
    }

    Alt alt(int interfaceNumber, int alternateSetting) {
        for (Alt a : alts) {
            if (a.interfaceNumber == interfaceNumber && a.alternateSetting == alternateSetting) {
                return a;
            }
        }
        return null;
    }

    List<Integer> interfaceNumbers() {
        List<Integer> numbers = new ArrayList<>();
        for (Alt a : alts) {
            if (!numbers.contains(a.interfaceNumber)) {
                numbers.add(a.interfaceNumber);
            }
        }
        return numbers;
    }
}
