package io.github.usbd4j.usb;

import java.util.HexFormat;

/** Helpers for the immutable "extended" byte blocks ({@code lpvExtended}) of the info records. */
final class Extended {
    private static final byte[] NONE = new byte[0];

    private Extended() {}

    static byte[] copy(byte[] extended) {
        return extended == null || extended.length == 0 ? NONE : extended.clone();
    }

    static String hex(byte[] extended) {
        return HexFormat.of().formatHex(extended);
    }
}
