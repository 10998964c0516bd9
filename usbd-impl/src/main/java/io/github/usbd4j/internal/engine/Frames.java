package io.github.usbd4j.internal.engine;

/** Conversions between CE's 32-bit frame numbers and the engine's 64-bit frame count. */
final class Frames {
    private Frames() {}

    /**
     * The 64-bit frame nearest to {@code now} whose low 32 bits are {@code frame32}: CE frame numbers wrap,
     * so a start frame is read relative to the current frame.
     */
    static long widen(int frame32, long now) {
        return now + (frame32 - (int) now);
    }
}
