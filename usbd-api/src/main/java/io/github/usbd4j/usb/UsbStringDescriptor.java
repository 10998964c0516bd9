package io.github.usbd4j.usb;

import java.util.Objects;

/**
 * A string descriptor: CE's {@code USB_STRING_DESCRIPTOR} ({@code usb100.h}). The UTF-16LE payload is
 * held as a Java string; string index 0 holds the language IDs instead, as 16-bit code units.
 *
 * @param bLength size of the descriptor in bytes, {@code 2 + 2 * bString.length()}
 * @param bDescriptorType {@link Usb100#USB_STRING_DESCRIPTOR_TYPE}
 * @param bString the text (UTF-16 code units as the device sent them)
 */
public record UsbStringDescriptor(int bLength, int bDescriptorType, String bString) {

    /** Checks the fields and that {@code bLength} agrees with the text. */
    public UsbStringDescriptor {
        Fields.u8("bLength", bLength);
        Fields.u8("bDescriptorType", bDescriptorType);
        Objects.requireNonNull(bString, "bString");
        if (bLength != 2 + 2 * bString.length()) {
            throw new IllegalArgumentException(
                    "bLength " + bLength + " does not match a " + bString.length() + "-character string");
        }
    }

    /**
     * A string descriptor holding {@code text}.
     *
     * @param text at most 126 UTF-16 code units
     * @return the descriptor
     */
    public static UsbStringDescriptor of(String text) {
        return new UsbStringDescriptor(2 + 2 * text.length(), Usb100.USB_STRING_DESCRIPTOR_TYPE, text);
    }

    /**
     * The descriptor's bytes: the 2-byte header, then each UTF-16 code unit of {@link #bString()}
     * little-endian, unchanged (an unpaired surrogate is kept, not replaced as a charset encoder would).
     */
    public byte[] toBytes() {
        byte[] b = new byte[2 + 2 * bString.length()];
        b[0] = (byte) bLength;
        b[1] = (byte) bDescriptorType;
        for (int i = 0; i < bString.length(); i++) {
            char c = bString.charAt(i);
            b[2 + 2 * i] = (byte) c;
            b[3 + 2 * i] = (byte) (c >>> 8);
        }
        return b;
    }
}
