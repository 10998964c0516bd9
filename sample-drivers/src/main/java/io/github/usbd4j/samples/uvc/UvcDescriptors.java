package io.github.usbd4j.samples.uvc;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.RawDescriptor;
import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbInterface;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The USB Video Class class-specific descriptors a driver needs (UVC 1.5 §3.7, UVC 1.5 §3.9; payload formats
 * "Uncompressed" and "MJPEG"): the VideoControl header's {@code bcdUVC} (which sets the probe's length)
 * and the VideoStreaming formats and frames, read from the {@code extended} bytes after the interfaces.
 */
public final class UvcDescriptors {
    /** {@code bInterfaceClass} Video. */
    public static final int VIDEO = 0x0E;
    /** {@code bInterfaceSubClass} VideoControl. */
    public static final int VIDEO_CONTROL = 0x01;
    /** {@code bInterfaceSubClass} VideoStreaming. */
    public static final int VIDEO_STREAMING = 0x02;

    private static final int CS_INTERFACE = 0x24;
    private static final int VS_FORMAT_UNCOMPRESSED = 0x04;
    private static final int VS_FRAME_UNCOMPRESSED = 0x05;
    private static final int VS_FORMAT_MJPEG = 0x06;
    private static final int VS_FRAME_MJPEG = 0x07;

    private UvcDescriptors() {}

    /**
     * A frame descriptor.
     *
     * @param index {@code bFrameIndex}
     * @param width {@code wWidth}
     * @param height {@code wHeight}
     * @param maxFrameBytes {@code dwMaxVideoFrameBufferSize}
     * @param defaultInterval {@code dwDefaultFrameInterval}, 100 ns units
     * @param intervals the discrete intervals, or {min, max, step} of a continuous range
     * @param continuous whether {@code intervals} is a range
     */
    public record Frame(
            int index,
            int width,
            int height,
            long maxFrameBytes,
            long defaultInterval,
            List<Long> intervals,
            boolean continuous) {
        /** Copies the list. */
        public Frame {
            intervals = List.copyOf(intervals);
        }

        /** {@code "160x120 at 30 fps"} (every rate for discrete intervals). */
        public String describe() {
            List<String> fps = new ArrayList<>();
            if (continuous && intervals.size() >= 2) {
                fps.add(fps(intervals.get(1)) + ".." + fps(intervals.get(0)));
            } else {
                intervals.forEach(i -> fps.add(fps(i)));
            }
            return width + "x" + height + " at " + String.join(", ", fps) + " fps";
        }

        private static String fps(long interval) {
            if (interval <= 0) {
                return "?";
            }
            double f = 1e7 / interval;
            return Math.abs(f - Math.rint(f)) < 0.01
                    ? String.valueOf(Math.round(f))
                    : String.format(Locale.ROOT, "%.2f", f);
        }
    }

    /**
     * A format descriptor with its frames.
     *
     * @param index {@code bFormatIndex}
     * @param mjpeg an MJPEG format (else uncompressed)
     * @param fourcc the uncompressed format's GUID as four characters ({@code "YUY2"}, {@code "NV12"}), or
     *     {@code "MJPG"}
     * @param bitsPerPixel {@code bBitsPerPixel} of an uncompressed format, 0 for MJPEG
     * @param frames its frame descriptors
     */
    public record Format(int index, boolean mjpeg, String fourcc, int bitsPerPixel, List<Frame> frames) {
        /** Copies the list. */
        public Format {
            frames = List.copyOf(frames);
        }

        /** The frame with this {@code bFrameIndex}. */
        public Optional<Frame> frame(int frameIndex) {
            return frames.stream().filter(f -> f.index() == frameIndex).findFirst();
        }

        /** {@code "format 1: uncompressed YUY2 (16 bits per pixel)"}. */
        public String describe() {
            return "format " + index + ": "
                    + (mjpeg ? "MJPEG" : "uncompressed " + fourcc + " (" + bitsPerPixel + " bits per pixel)");
        }
    }

    /** Whether this is a VideoStreaming interface. */
    public static boolean isVideoStreaming(UsbInterface i) {
        return i.descriptor().bInterfaceClass() == VIDEO && i.descriptor().bInterfaceSubClass() == VIDEO_STREAMING;
    }

    /** Whether this is a VideoControl interface. */
    public static boolean isVideoControl(UsbInterface i) {
        return i.descriptor().bInterfaceClass() == VIDEO && i.descriptor().bInterfaceSubClass() == VIDEO_CONTROL;
    }

    /** The VideoControl header's {@code bcdUVC} in a configuration, 0x0100 if none is found. */
    public static int bcdUvc(UsbConfiguration config) {
        for (UsbInterface i : config.interfaces()) {
            if (isVideoControl(i)) {
                for (RawDescriptor d : split(i.extended())) {
                    byte[] b = d.bytes();
                    if (d.bDescriptorType() == CS_INTERFACE && d.bDescriptorSubtype() == 1 && b.length >= 5) {
                        return u16(b, 3);
                    }
                }
            }
        }
        return 0x0100;
    }

    /** The probe and commit controls' length for a {@code bcdUVC}: 26 (1.0), 34 (1.1), 48 (1.5). */
    public static int probeLength(int bcdUvc) {
        return bcdUvc >= 0x0150 ? 48 : bcdUvc >= 0x0110 ? 34 : 26;
    }

    /**
     * The formats of a VideoStreaming interface, in descriptor order.
     *
     * @param vsAlt0 alternate setting 0 of the VideoStreaming interface (its class-specific descriptors
     *     follow it)
     * @return the uncompressed and MJPEG formats; other kinds are skipped
     */
    public static List<Format> formats(UsbInterface vsAlt0) {
        List<Format> out = new ArrayList<>();
        Format current = null;
        List<Frame> frames = new ArrayList<>();
        for (RawDescriptor d : split(vsAlt0.extended())) {
            byte[] b = d.bytes();
            if (d.bDescriptorType() != CS_INTERFACE || b.length < 4) {
                continue;
            }
            int subtype = d.bDescriptorSubtype();
            if (subtype == VS_FORMAT_UNCOMPRESSED || subtype == VS_FORMAT_MJPEG) {
                if (current != null) {
                    out.add(new Format(
                            current.index(), current.mjpeg(), current.fourcc(), current.bitsPerPixel(), frames));
                }
                frames = new ArrayList<>();
                boolean mjpeg = subtype == VS_FORMAT_MJPEG;
                String fourcc = mjpeg || b.length < 9 ? "MJPG" : fourcc(b, 5);
                int bpp = !mjpeg && b.length >= 22 ? u8(b, 21) : 0;
                current = new Format(u8(b, 3), mjpeg, fourcc, bpp, List.of());
            } else if ((subtype == VS_FRAME_UNCOMPRESSED || subtype == VS_FRAME_MJPEG)
                    && current != null
                    && b.length >= 26) {
                int type = u8(b, 25);
                List<Long> intervals = new ArrayList<>();
                int count = type == 0 ? 3 : type;
                for (int k = 0; k < count && 26 + 4 * k + 4 <= b.length; k++) {
                    intervals.add(u32(b, 26 + 4 * k));
                }
                frames.add(new Frame(u8(b, 3), u16(b, 5), u16(b, 7), u32(b, 17), u32(b, 21), intervals, type == 0));
            }
        }
        if (current != null) {
            out.add(new Format(current.index(), current.mjpeg(), current.fourcc(), current.bitsPerPixel(), frames));
        }
        return out;
    }

    /** The four printable characters at the start of a GUID, or the GUID's first bytes in hex. */
    private static String fourcc(byte[] b, int at) {
        for (int k = 0; k < 4; k++) {
            if (b[at + k] < 0x20 || b[at + k] > 0x7E) {
                return String.format(Locale.ROOT, "%02X%02X%02X%02X", b[at], b[at + 1], b[at + 2], b[at + 3]);
            }
        }
        return new String(b, at, 4, StandardCharsets.US_ASCII);
    }

    static List<RawDescriptor> split(byte[] extended) {
        try {
            return Descriptors.split(extended);
        } catch (DescriptorException e) {
            return List.of(); // only a hand-built record can hold malformed bytes
        }
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static int u16(byte[] b, int i) {
        return u8(b, i) | u8(b, i + 1) << 8;
    }

    private static long u32(byte[] b, int i) {
        return (u16(b, i) | (long) u16(b, i + 2) << 16) & 0xFFFF_FFFFL;
    }
}
