package io.github.usbd4j.usb;

/** Range checks for the unsigned C fields that the info records carry as {@code int}. */
final class Fields {
    private Fields() {}

    /** Checks a {@code UCHAR}/{@code BYTE} field: 0..255. */
    static int u8(String name, int value) {
        if ((value & ~0xFF) != 0) {
            throw new IllegalArgumentException(name + " must be 0..255 (UCHAR), was " + value);
        }
        return value;
    }

    /** Checks a {@code USHORT}/{@code WORD} field: 0..65535. */
    static int u16(String name, int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(name + " must be 0..65535 (USHORT), was " + value);
        }
        return value;
    }
}
