package io.github.usbd4j.host.spi;

import java.util.function.BooleanSupplier;

/**
 * A host controller's bus clock: the frame counter behind CE's {@code GetFrameNumber} and the frame
 * length behind {@code GetFrameLength}/{@code SetFrameLength}
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-9">§1.9</a>).
 *
 * <p>Frames are 1 ms; {@link #currentFrame()} is a 64-bit count whose low 32 bits are CE's frame number.
 * On the simulator the clock is exact and may be virtual: it advances only when a test advances it, or
 * when a caller waits on it through {@link #runUntil}. On real hardware it is derived from the host's
 * monotonic clock.
 */
public interface BusClock {

    /** The current frame (1 ms units), monotonic. */
    long currentFrame();

    /** The current bus interval in 125 µs units: {@code currentFrame() * 8 + microframe}. */
    long currentMicroframe();

    /** {@code true} when time advances only by hand or through {@link #runUntil}. */
    boolean isVirtual();

    /**
     * On a virtual clock: advances the bus, one microframe at a time, until {@code done} is true or
     * {@code maxFrames} frames have passed, running every transfer due meanwhile. On a real-time clock
     * this is never called.
     *
     * @param done checked between microframes
     * @param maxFrames limit in frames
     * @return {@code done.getAsBoolean()} at the end
     */
    boolean runUntil(BooleanSupplier done, long maxFrames);

    /** The SOF period in 12 MHz bit times: 12000 is exactly 1 ms. */
    int frameLength();

    /**
     * Moves the SOF period gradually to {@code target} (CE's {@code SetFrameLength}).
     *
     * @param target the target period in 12 MHz bit times
     * @param reached run once the target is reached; may be {@code null}
     * @return {@code false} when this controller cannot adjust its frame length
     */
    boolean adjustFrameLength(int target, Runnable reached);
}
