package io.github.usbd4j.libusb;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Linux usbfs limits on isochronous packets (<a href="{@docRoot}/../reference/linux-peers.html#p2">libraries §2</a>):
 * the largest packet the kernel accepts depends on its version. libusb checks this too but answers only {@code
 * LIBUSB_ERROR_INVALID_PARAM}; checking first gives the caller a message that names the limit. Transfers of more than
 * {@link #MAX_PACKETS_PER_URB} packets are split by {@link NativeTransfer}.
 */
final class KernelLimits {
    /**
     * The most isochronous packets libusb puts in one usbfs URB ({@code MAX_ISO_PACKETS_PER_URB}); a
     * larger libusb transfer would be split into several URBs by libusb itself.
     */
    static final int MAX_PACKETS_PER_URB = 128;

    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    private KernelLimits() {}

    /**
     * The largest isochronous packet, in bytes, usbfs accepts on this system.
     *
     * @param osName {@code os.name}
     * @param osVersion {@code os.version}, e.g. {@code "6.1.0-56-amd64"}
     * @return the limit, or {@link Integer#MAX_VALUE} where none is known (not Linux)
     */
    static int maxIsoPacketLength(String osName, String osVersion) {
        if (!"Linux".equals(osName)) {
            return Integer.MAX_VALUE;
        }
        Matcher m = VERSION.matcher(osVersion == null ? "" : osVersion);
        if (!m.find()) {
            return 98_304; // an unreadable version: assume a current kernel, libusb still checks
        }
        int v = Integer.parseInt(m.group(1)) * 1_000_000
                + Integer.parseInt(m.group(2)) * 1_000
                + (m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
        if (v >= 5_002_000) {
            return 98_304;
        }
        if (v >= 3_010_000) {
            return 49_152;
        }
        if (v >= 2_006_018) {
            return 8_192;
        }
        return 1_023;
    }

    /** The limit of the running system. */
    static int maxIsoPacketLength() {
        return maxIsoPacketLength(System.getProperty("os.name"), System.getProperty("os.version"));
    }
}
