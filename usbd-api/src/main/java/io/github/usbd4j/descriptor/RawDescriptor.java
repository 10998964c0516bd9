package io.github.usbd4j.descriptor;

import java.util.Arrays;

/**
 * One descriptor of a block, as {@link Descriptors#split} finds it: the generic {@code
 * USB_COMMON_DESCRIPTOR} header ({@code bLength}, {@code bDescriptorType}) with its bytes, for walking
 * class-specific descriptors (usb-iso-apis.md §1.4). Immutable: the array is copied in and out.
 *
 * @param offset where the descriptor starts in the block
 * @param bDescriptorType its type, e.g. {@code 0x24} for {@code CS_INTERFACE}
 * @param bytes the whole descriptor, header included ({@code bytes.length == bLength})
 */
@SuppressWarnings("ArrayRecordComponent") // the bytes as the device sent them; equality is not used
public record RawDescriptor(int offset, int bDescriptorType, byte[] bytes) {

    /** Copies the bytes. */
    public RawDescriptor {
        bytes = bytes.clone();
    }

    /** A copy of the whole descriptor, header included. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The descriptor's {@code bLength}. */
    public int bLength() {
        return bytes.length;
    }

    /**
     * The {@code bDescriptorSubtype} of a class-specific descriptor: byte 2, or -1 if the descriptor is
     * only a header.
     */
    public int bDescriptorSubtype() {
        return bytes.length > 2 ? bytes[2] & 0xFF : -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawDescriptor d
                && offset == d.offset
                && bDescriptorType == d.bDescriptorType
                && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return (31 * offset + bDescriptorType) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "RawDescriptor[offset=" + offset + ", bDescriptorType=" + DescriptorReader.hex(bDescriptorType)
                + ", bytes=" + java.util.HexFormat.of().formatHex(bytes) + "]";
    }
}
