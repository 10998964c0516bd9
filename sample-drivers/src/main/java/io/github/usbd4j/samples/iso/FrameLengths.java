package io.github.usbd4j.samples.iso;

/**
 * Per-frame lengths for a sample rate that is not a whole number of samples per 1 ms frame.
 *
 * <p>An adaptive or synchronous USB audio sink is sent, frame after frame, either {@code floor(rate/1000)}
 * or {@code ceil(rate/1000)} samples so that the average is exact: at 44.1 kHz that is 44 samples in nine
 * frames and 45 in the tenth (9 × 44 + 45 = 441 samples per 10 ms). {@link #samplesInFrame(long)} spreads
 * the extra samples evenly (a Bresenham accumulator), so any 1000 consecutive frames carry exactly
 * {@code rate} samples.
 */
public final class FrameLengths {
    private final int sampleRate;
    private final int framesPerSecond;

    /**
     * @param sampleRate samples per second, at least 1
     * @param framesPerSecond 1000 at full speed (1 ms frames); 8000 for high-speed microframes
     */
    public FrameLengths(int sampleRate, int framesPerSecond) {
        if (sampleRate < 1 || framesPerSecond < 1) {
            throw new IllegalArgumentException("sample rate and frames per second must be positive");
        }
        this.sampleRate = sampleRate;
        this.framesPerSecond = framesPerSecond;
    }

    /** Full-speed frames (1000 per second). */
    public static FrameLengths perMillisecond(int sampleRate) {
        return new FrameLengths(sampleRate, 1000);
    }

    /**
     * Samples to send in frame {@code n} of the stream (counting from 0): the samples due by the end of
     * frame {@code n} minus those due by its start. For 44100 Hz: 44 for {@code n % 10} in 0..8, 45 for 9.
     *
     * @param n the frame's index in the stream, 0 or more
     * @return the sample count
     */
    public int samplesInFrame(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("frame index must be >= 0, was " + n);
        }
        return (int) (dueBy(n + 1) - dueBy(n));
    }

    /** Samples due in frames 0 to {@code frames - 1}. */
    public long dueBy(long frames) {
        return Math.multiplyHigh(frames, sampleRate) != 0
                ? (long) ((double) frames * sampleRate / framesPerSecond)
                : frames * sampleRate / framesPerSecond;
    }

    /** The largest {@link #samplesInFrame} value: {@code ceil(rate / framesPerSecond)}. */
    public int maxSamplesPerFrame() {
        return (sampleRate + framesPerSecond - 1) / framesPerSecond;
    }

    /** The sample rate. */
    public int sampleRate() {
        return sampleRate;
    }
}
