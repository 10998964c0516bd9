package io.github.usbd4j.descriptor;

/**
 * The speed a device runs at, which decides how {@code bInterval} and {@code wMaxPacketSize} are read
 * (<a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>).
 */
public enum UsbSpeed {
    /** Low speed, 1.5 Mbit/s, 1 ms frames. */
    LOW(false),
    /** Full speed, 12 Mbit/s, 1 ms frames. */
    FULL(false),
    /** High speed, 480 Mbit/s, 125 µs microframes. */
    HIGH(true),
    /** SuperSpeed, 5 Gbit/s, 125 µs bus intervals. */
    SUPER(true),
    /** SuperSpeedPlus, 10 Gbit/s and up, 125 µs bus intervals. */
    SUPER_PLUS(true);

    private final boolean microframes;

    UsbSpeed(boolean microframes) {
        this.microframes = microframes;
    }

    /** {@code true} when the bus is scheduled in 125 µs (micro)frames rather than 1 ms frames. */
    public boolean usesMicroframes() {
        return microframes;
    }

    /** Bus intervals per 1 ms frame: 8 with microframes, else 1. */
    public int intervalsPerFrame() {
        return microframes ? 8 : 1;
    }
}
