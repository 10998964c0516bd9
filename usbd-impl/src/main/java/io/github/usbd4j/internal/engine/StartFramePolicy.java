package io.github.usbd4j.internal.engine;

/**
 * How an isochronous transfer's start frame is chosen: the one scheduling rule that differs between the
 * personalities, both side by side here. Everything else (packet slots, per-packet results, late packets
 * that report {@code NOT_ACCESSED}) is common to both.
 *
 * <p>A pipe keeps its stream position: {@code nextFrame}, the first frame after everything scheduled so far
 * (the frame it opened at, at first; a transfer the backend refused gives its frames back), and whether a stream has
 * started.
 */
public enum StartFramePolicy {
    /**
     * CE ([§1.8](reference/ce-usbd.html#s1-8), the CE EHCI driver): the earliest acceptable frame is
     * {@code max(nextFrame, now + lead)}; ASAP starts there, an explicit start earlier than it is refused
     * (whole transfer, {@code ERROR_CAN_NOT_COMPLETE}). No CE host controller driver truncates a late
     * transfer.
     */
    CE {
        @Override
        long start(
                long nextFrame,
                boolean streaming,
                long now,
                int lead,
                boolean asap,
                boolean continueOnly,
                int startingFrame) {
            long earliest = Math.max(nextFrame, now + lead);
            long start = asap ? earliest : Frames.widen(startingFrame, now);
            return start < earliest ? CANNOT_MEET : start;
        }
    },

    /**
     * WinUSB and WDM ([§2.3](reference/winusb.html#s2-3), [§3.5](reference/wdm.html#s3-5)): an explicit start must lie
     * within ±1024 frames of now (else the whole request fails); ASAP continues the stream even into the past, where
     * packets fail one by one as late; a stream idle for 1024 frames is forgotten and a new one starts at {@code now +
     * lead}; WinUSB's {@code ContinueStream} fails when the stream cannot continue without a gap.
     */
    DESKTOP {
        @Override
        long start(
                long nextFrame,
                boolean streaming,
                long now,
                int lead,
                boolean asap,
                boolean continueOnly,
                int startingFrame) {
            if (asap) {
                boolean live = streaming && nextFrame + START_FRAME_RANGE > now;
                if (continueOnly && (!live || nextFrame <= now)) {
                    return CANNOT_CONTINUE;
                }
                return live ? nextFrame : now + lead;
            }
            long start = Frames.widen(startingFrame, now);
            return Math.abs(start - now) >= START_FRAME_RANGE ? OUT_OF_WINDOW : start;
        }
    };

    /*
     * The codes for "no start frame" lie at the very bottom of the long range, apart from every frame: a start frame
     * may be negative, when a desktop caller asks for a frame in the past shortly after the bus started at frame 0.
     */

    /** No start frame: CE cannot meet the requested one ([§1.8](reference/ce-usbd.html#s1-8)). */
    public static final long CANNOT_MEET = Long.MIN_VALUE;
    /** No start frame: outside the ±1024-frame window ([§3.5](reference/wdm.html#s3-5)). */
    public static final long OUT_OF_WINDOW = Long.MIN_VALUE + 1;
    /** No start frame: the stream cannot continue without dropping frames ([§2.3](reference/winusb.html#s2-3)). */
    public static final long CANNOT_CONTINUE = Long.MIN_VALUE + 2;

    /** Not an isochronous use, or one whose start was given back ({@link EnginePipe#unschedule}). */
    static final long NOT_SCHEDULED = Long.MIN_VALUE + 3;

    /** The last value kept for codes; the personalities add their own below it. */
    private static final long LAST_CODE = Long.MIN_VALUE + 15;

    /**
     * Whether a start from {@link #start} (or a personality's code beside them) is a frame, not a code for "no start
     * frame".
     *
     * @param start a start frame or a code
     * @return {@code true} for a frame, which may be negative (before the bus's frame 0)
     */
    public static boolean isFrame(long start) {
        return start > LAST_CODE;
    }

    /** The window of [§3.5](reference/wdm.html#s3-5), {@code USBD_ISO_START_FRAME_RANGE}. */
    static final int START_FRAME_RANGE = 1024;

    /**
     * The start frame for a transfer, or a negative refusal.
     *
     * @param nextFrame the pipe's stream position
     * @param streaming whether a stream has started on the pipe
     * @param now the current frame
     * @param lead the minimum lead in frames
     * @param asap the stack chooses the start
     * @param continueOnly with ASAP: only a gap-less continuation will do
     * @param startingFrame the caller's 32-bit start frame (ignored with ASAP)
     */
    abstract long start(
            long nextFrame,
            boolean streaming,
            long now,
            int lead,
            boolean asap,
            boolean continueOnly,
            int startingFrame);
}
