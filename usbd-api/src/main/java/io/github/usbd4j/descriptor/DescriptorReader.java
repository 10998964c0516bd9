package io.github.usbd4j.descriptor;

import io.github.usbd4j.usb.Usb100;
import java.util.Arrays;

/**
 * The one place that indexes device bytes: bounds-checked little-endian reads, and a cursor over a
 * sequence of descriptors ({@code bLength}, {@code bDescriptorType}, ...). Every read past the end and
 * every malformed header becomes a {@link DescriptorException}; the cursor always advances by at least
 * two bytes, so a walk ends after at most {@code length / 2} steps.
 */
final class DescriptorReader {
    /** One descriptor found by {@link #next()}: where it starts, its {@code bLength} and its type. */
    record Span(int offset, int length, int type) {
        int end() {
            return offset + length;
        }
    }

    private final byte[] bytes;
    private int position;

    DescriptorReader(byte[] bytes) {
        this.bytes = bytes;
    }

    boolean hasNext() {
        return position < bytes.length;
    }

    /** Length of the whole input. */
    int length() {
        return bytes.length;
    }

    int position() {
        return position;
    }

    /** Reads the header at the cursor, checks that the descriptor fits, and moves past it. */
    Span next() throws DescriptorException {
        int offset = position;
        int left = bytes.length - offset;
        if (left < 2) {
            throw new DescriptorException(offset, "descriptor header needs 2 bytes but " + left + " remain");
        }
        int length = u8(offset);
        int type = u8(offset + 1);
        if (length < 2) {
            // a zero or one bLength would never advance the walk
            throw new DescriptorException(offset, name(type) + " bLength " + length + " is less than 2");
        }
        if (length > left) {
            throw new DescriptorException(
                    offset, name(type) + " bLength " + length + " runs past the end: " + left + " bytes remain");
        }
        position = offset + length;
        return new Span(offset, length, type);
    }

    /** Checks the type of a descriptor the caller expects; the problem is at its type byte. */
    static void expectType(Span d, int type) throws DescriptorException {
        if (d.type() != type) {
            throw new DescriptorException(
                    d.offset() + 1, "bDescriptorType " + hex(d.type()) + " is not " + name(type) + " " + hex(type));
        }
    }

    /** Checks that a standard descriptor is long enough for its fixed fields. */
    static void requireLength(Span d, int minimum) throws DescriptorException {
        if (d.length() < minimum) {
            throw new DescriptorException(
                    d.offset(), name(d.type()) + " bLength " + d.length() + " is less than " + minimum);
        }
    }

    int u8(int offset) throws DescriptorException {
        check(offset, 1);
        return bytes[offset] & 0xFF;
    }

    int u16(int offset) throws DescriptorException {
        check(offset, 2);
        return (bytes[offset] & 0xFF) | (bytes[offset + 1] & 0xFF) << 8;
    }

    long u32(int offset) throws DescriptorException {
        check(offset, 4);
        return (u16(offset) | (long) u16(offset + 2) << 16);
    }

    /** A copy of {@code [from, to)}; never larger than the input. */
    byte[] copy(int from, int to) throws DescriptorException {
        check(from, to - from);
        return Arrays.copyOfRange(bytes, from, to);
    }

    private void check(int offset, int count) throws DescriptorException {
        if (offset < 0 || count < 0 || offset > bytes.length - count) {
            throw new DescriptorException(offset, "read of " + count + " bytes runs past the end at " + bytes.length);
        }
    }

    static String hex(int value) {
        return String.format("0x%02X", value);
    }

    /** A readable name for messages. */
    static String name(int type) {
        return switch (type) {
            case Usb100.USB_DEVICE_DESCRIPTOR_TYPE -> "device descriptor";
            case Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE -> "configuration descriptor";
            case Usb100.USB_STRING_DESCRIPTOR_TYPE -> "string descriptor";
            case Usb100.USB_INTERFACE_DESCRIPTOR_TYPE -> "interface descriptor";
            case Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE -> "endpoint descriptor";
            case Usb100.USB_DEVICE_QUALIFIER_DESCRIPTOR_TYPE -> "device qualifier descriptor";
            case Usb100.USB_OTHER_SPEED_CONFIGURATION_DESCRIPTOR_TYPE -> "other-speed configuration descriptor";
            case Usb100.USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE -> "interface association descriptor";
            case Usb100.USB_BOS_DESCRIPTOR_TYPE -> "BOS descriptor";
            case Usb100.USB_DEVICE_CAPABILITY_DESCRIPTOR_TYPE -> "device capability descriptor";
            case Usb100.USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE -> "SuperSpeed endpoint companion";
            case Usb100.USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE ->
                "SuperSpeedPlus isochronous endpoint companion";
            default -> "descriptor type " + hex(type);
        };
    }
}
