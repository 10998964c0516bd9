package io.github.usbd4j.realkernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A stereo 16-bit test signal that is easy to recognise in QEMU's wav capture, and the bit-exact check
 * of a capture against a sequence of such signals.
 *
 * <p>Frame {@code f} of a pattern is {@code L = (short) (a*f + b)}, {@code R = (short) ((c*f) ^ x)}. The
 * CE scenario uses {@link #CE} (L = 3f+1, R = 7f ^ 0x5a5a); frame 0 is never silent, so the first
 * non-zero frame of a segment is where it starts. QEMU's usb-audio writes exactly what it received (at
 * volume 0x0800 its mixer is unity; it inserts nothing on underrun), so between segments only silence
 * (the zero-filled transfers of the start-frame measurement) may appear.
 *
 * @param a L slope
 * @param b L offset
 * @param c R slope
 * @param x R mask
 */
public record WavPattern(int a, int b, int c, int x) {
    /** The CE iso OUT scenario's pattern. */
    public static final WavPattern CE = new WavPattern(3, 1, 7, 0x5a5a);
    /** The WDM iso OUT scenario's pattern. */
    public static final WavPattern WDM = new WavPattern(5, 2, 11, 0x3c3c);

    /** Left sample of frame {@code f}. */
    public short left(long f) {
        return (short) (a * f + b);
    }

    /** Right sample of frame {@code f}. */
    public short right(long f) {
        return (short) ((c * f) ^ x);
    }

    /** Writes frames {@code first .. first+count-1} little-endian L,R into {@code buf} at its position. */
    public void fill(ByteBuffer buf, long first, int count) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            b.putShort(left(first + i)).putShort(right(first + i));
        }
    }

    /**
     * One pattern run expected in the capture.
     *
     * @param pattern its pattern
     * @param frames how many frames the guest streamed
     */
    public record Segment(WavPattern pattern, long frames) {}

    /**
     * Checks a capture: each segment must appear in order, every frame of it equal to the pattern, with
     * only silent frames before, between and after the segments.
     *
     * @param wav the whole wav file
     * @param segments what was streamed, in order
     * @return one line per segment: where it started in the capture
     * @throws AssertionError at the first difference, naming the frame and both values
     */
    public static List<String> verify(byte[] wav, List<Segment> segments) {
        return verify(wav, segments, 0, 0);
    }

    /**
     * Checks a capture as {@link #verify(byte[], List)} does, allowing up to {@code maxLostPackets} whole
     * packets of {@code framesPerPacket} frames to be missing (packets the bus reported lost never reach
     * QEMU's capture, which closes up behind them): every frame that is in the capture must still be the
     * pattern's, in order, and a gap may only be whole packets, starting at a packet boundary.
     *
     * @param wav the whole wav file
     * @param segments what was streamed, in order
     * @param framesPerPacket audio frames per packet (48 for 1 ms at 48 kHz)
     * @param maxLostPackets packets that may be missing, over all segments (the tool's count of lost ones)
     * @return one line per segment: where it started in the capture and which packets were missing
     * @throws AssertionError at the first difference that is not a whole missing packet
     */
    public static List<String> verify(byte[] wav, List<Segment> segments, int framesPerPacket, long maxLostPackets) {
        ByteBuffer w = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        if (wav.length < 44 || w.getInt(0) != 0x46464952 || w.getInt(8) != 0x45564157) {
            throw new AssertionError("not a RIFF/WAVE file (" + wav.length + " bytes)");
        }
        int pos = 12;
        int dataStart = -1;
        while (pos + 8 <= wav.length) {
            int id = w.getInt(pos);
            int size = w.getInt(pos + 4);
            if (id == 0x20746d66) { // "fmt "
                int format = w.getShort(pos + 8);
                int channels = w.getShort(pos + 10);
                int rate = w.getInt(pos + 12);
                int bits = w.getShort(pos + 22);
                if (format != 1 || channels != 2 || rate != 48000 || bits != 16) {
                    throw new AssertionError("capture format " + format + "/" + channels + " ch/" + rate + " Hz/" + bits
                            + " bit, want PCM 2/48000/16: the wav audiodev needs out.frequency, channels and format");
                }
            } else if (id == 0x61746164) { // "data": QEMU fixes its size only at exit, so use the file length
                dataStart = pos + 8;
                break;
            }
            pos += 8 + size + (size & 1);
        }
        if (dataStart < 0) {
            throw new AssertionError("no data chunk");
        }
        long total = (wav.length - dataStart) / 4L;
        long f = 0;
        long lostPackets = 0;
        List<String> report = new ArrayList<>();
        for (int s = 0; s < segments.size(); s++) {
            Segment seg = segments.get(s);
            long silent = 0;
            while (f < total && w.getInt(dataStart + (int) (f * 4)) == 0) {
                f++;
                silent++;
            }
            long start = f;
            List<Long> missing = new ArrayList<>();
            long i = 0;
            while (i < seg.frames()) {
                boolean present = f < total;
                short l = present ? w.getShort(dataStart + (int) (f * 4)) : 0;
                short r = present ? w.getShort(dataStart + (int) (f * 4) + 2) : 0;
                if (present && l == seg.pattern().left(i) && r == seg.pattern().right(i)) {
                    i++;
                    f++;
                } else if (framesPerPacket > 0 && i % framesPerPacket == 0 && lostPackets < maxLostPackets) {
                    missing.add(i / framesPerPacket); // a whole packet the bus lost: the capture closed up
                    lostPackets++;
                    i += framesPerPacket;
                } else if (!present) {
                    throw new AssertionError("segment " + s + " needs " + (seg.frames() - i) + " more frames from"
                            + " capture frame " + f + " but the capture ends there");
                } else {
                    throw new AssertionError(String.format(
                            "segment %d frame %d (capture frame %d): got L=%d R=%d, want L=%d R=%d",
                            s, i, f, l, r, seg.pattern().left(i), seg.pattern().right(i)));
                }
            }
            report.add("segment " + s + ": " + seg.frames() + " frames bit-exact from capture frame " + start
                    + " after " + silent + " silent frames"
                    + (missing.isEmpty() ? "" : ", but for the lost packets " + missing));
        }
        long trailing = 0;
        for (; f < total; f++) {
            if (w.getInt(dataStart + (int) (f * 4)) != 0) {
                throw new AssertionError("non-silent capture frame " + f + " after the last segment");
            }
            trailing++;
        }
        report.add(trailing + " silent frames after the last segment, " + total + " frames in the capture");
        return report;
    }
}
