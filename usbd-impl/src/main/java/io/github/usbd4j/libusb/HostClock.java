package io.github.usbd4j.libusb;

import io.github.usbd4j.host.spi.BusClock;
import java.util.function.BooleanSupplier;

/**
 * The bus clock of a real host as seen from user space: Linux usbfs (and libusb on every platform)
 * exposes no bus frame number (<a href="{@docRoot}/../reference/linux-peers.html#p2">libraries §2</a>), so frames are
 * counted from the host's monotonic clock, 1 ms each, from the moment the backend started. Frame numbers are therefore
 * consistent within one backend but are not the controller's SOF counter; the backend turns an explicit start frame
 * into a submission time (see {@link LibusbHostController}).
 */
final class HostClock implements BusClock {
    private static final long NANOS_PER_MICROFRAME = 125_000L;
    private static final int FULL_FRAME = 12_000;

    private final long epochNanos = System.nanoTime();

    @Override
    public long currentFrame() {
        return (System.nanoTime() - epochNanos) / 1_000_000L;
    }

    @Override
    public long currentMicroframe() {
        return (System.nanoTime() - epochNanos) / NANOS_PER_MICROFRAME;
    }

    /** The {@link System#nanoTime()} value at which {@code frame} begins. */
    long nanoTimeOf(long frame) {
        return epochNanos + frame * 1_000_000L;
    }

    @Override
    public boolean isVirtual() {
        return false;
    }

    @Override
    public boolean runUntil(BooleanSupplier done, long maxFrames) {
        throw new UnsupportedOperationException("a real bus clock cannot be advanced by hand");
    }

    @Override
    public int frameLength() {
        return FULL_FRAME;
    }

    /** libusb cannot change a controller's SOF period. */
    @Override
    public boolean adjustFrameLength(int target, Runnable reached) {
        return false;
    }
}
