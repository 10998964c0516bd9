package io.github.usbd4j.samples.loopback;

import static io.github.usbd4j.ce.UsbTypes.USB_NOT_ACCESSED_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbInterface;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * An isochronous loopback test in the spirit of Linux {@code usbtest}'s iso cases and CE's
 * {@code usbtest}: writes a known pattern on the iso OUT endpoint, reads the iso IN endpoint, checks
 * every byte that comes back and reports each damaged frame.
 *
 * <p>It drives the usbd4j loopback device (1209:0001, interface 0), whose rule is: each OUT packet that
 * reaches the device is queued whole; each IN packet returns the oldest queued packet. So the n-th packet
 * read must equal the n-th packet that reached the device (OUT frames reported
 * {@code USB_NOT_ACCESSED_ERROR} never did). The IN stream starts {@link #inLagFrames()} frames after
 * the OUT stream, so the device always has data queued.
 *
 * <p>Hooks: {@link #packetLength(long, int)} and {@link #patternByte(long, int)} define packet {@code n};
 * {@link #onMismatch} sees every packet that did not come back as sent. Plus the hooks of
 * {@link IsochStreamingDriver}.
 */
public class LoopbackTestDriver extends IsochStreamingDriver {
    /** The loopback device. */
    public static final int VENDOR_ID = 0x1209;
    /** The loopback device. */
    public static final int PRODUCT_ID = 0x0001;
    /** The loopback device's streaming interface. */
    public static final int INTERFACE = 0;

    /** The settings to register it under: the loopback device. */
    public static UsbDriverSettings settings() {
        return UsbDriverSettings.forVendor(VENDOR_ID, PRODUCT_ID);
    }

    /**
     * A frame whose data did not come back as sent.
     *
     * @param packet the OUT packet expected (-1: nothing was expected)
     * @param busFrame the bus frame the IN packet was read in
     * @param usbError the IN frame's {@code USB_ERROR}
     * @param description what differed
     */
    public record Mismatch(long packet, long busFrame, int usbError, String description) {}

    /**
     * One IN frame that reported an error.
     *
     * @param busFrame the bus frame
     * @param endpoint the endpoint address
     * @param usbError the {@code USB_ERROR}
     */
    public record FrameError(long busFrame, int endpoint, int usbError) {
        @Override
        public String toString() {
            return String.format("frame %d ep 0x%02X %s", busFrame, endpoint, UsbTypes.errorName(usbError));
        }
    }

    private final int alternate;
    private final long frames;

    // guarded by ledger
    private final Object ledger = new Object();
    private final ArrayDeque<Long> delivered = new ArrayDeque<>();
    private final ArrayDeque<byte[]> received = new ArrayDeque<>();
    private final ArrayDeque<long[]> receivedAt = new ArrayDeque<>();
    private long verifiedPackets;
    private long verifiedBytes;
    private long mismatchCount;
    private final List<Mismatch> mismatches = new ArrayList<>();
    private final List<FrameError> frameErrors = new ArrayList<>();

    /**
     * @param alternateSetting the alternate setting of interface 0 (1: every frame)
     * @param frames frames to stream per direction
     */
    public LoopbackTestDriver(int alternateSetting, long frames) {
        this.alternate = alternateSetting;
        this.frames = frames;
    }

    /** Alternate setting 1, 10 000 frames (10 s at full speed). */
    public LoopbackTestDriver() {
        this(1, 10_000);
    }

    // ---- hooks of this driver ----------------------------------------------------------------------------

    /** Length of OUT packet {@code n}: varies from 1 to the maximum so short frames are exercised. */
    protected int packetLength(long n, int maxLength) {
        return 1 + (int) ((n * 37) % maxLength);
    }

    /** Byte {@code i} of OUT packet {@code n}. */
    protected byte patternByte(long n, int i) {
        return (byte) (n * 31 + i * 7L + (n >>> 8));
    }

    /** Frames between the first OUT and the first IN frame. Default 2. */
    protected int inLagFrames() {
        return 2;
    }

    /** A packet that did not come back as sent (the first 100 are also kept in {@link #mismatches()}). Default: nothing. */
    protected void onMismatch(Mismatch m) {}

    // ---- IsochStreamingDriver hooks ---------------------------------------------------------------------

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        return usbFuncs.findInterface(device, INTERFACE, alternate);
    }

    @Override
    protected void onAttached() {
        IsochStream out = outStream();
        IsochStream in = inStream();
        if (out == null || in == null) {
            requestStop();
            return;
        }
        int[] now = new int[1];
        funcs.getFrameNumber(device, now);
        firstOut = Integer.toUnsignedLong(now[0]) + 8;
        startStreaming();
    }

    private volatile long firstOut = -1;

    @Override
    protected long firstStartFrame(IsochStream stream) {
        return stream.isIn() ? firstOut + inLagFrames() : firstOut;
    }

    @Override
    protected long frameLimit(IsochStream stream) {
        return frames;
    }

    @Override
    protected int frameLength(IsochStream stream, long index) {
        return stream.isIn() ? stream.maxFrameLength() : packetLength(index, stream.maxFrameLength());
    }

    @Override
    protected int fillOut(IsochStream stream, ByteBuffer data, int[] lengths, int count, long firstIndex) {
        int pos = 0;
        for (int k = 0; k < count; k++) {
            long n = firstIndex + k;
            for (int i = 0; i < lengths[k]; i++) {
                data.put(pos + i, patternByte(n, i));
            }
            pos += lengths[k];
        }
        return count;
    }

    @Override
    protected void onOutFrame(IsochStream stream, long index, long busFrame, int length, int usbError) {
        synchronized (ledger) {
            if (usbError != USB_NOT_ACCESSED_ERROR) {
                delivered.add(index);
            }
            if (usbError != USB_NO_ERROR) {
                addError(new FrameError(busFrame, stream.endpointAddress(), usbError));
            }
            match();
        }
    }

    @Override
    protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
        synchronized (ledger) {
            if (usbError != USB_NO_ERROR) {
                addError(new FrameError(busFrame, stream.endpointAddress(), usbError));
            }
            if (usbError == USB_NOT_ACCESSED_ERROR) {
                return; // a missed frame read nothing
            }
            byte[] copy = new byte[data.remaining()];
            data.get(copy);
            received.add(copy);
            receivedAt.add(new long[] {busFrame, usbError});
            match();
        }
    }

    private void addError(FrameError e) {
        if (frameErrors.size() < 1000) {
            frameErrors.add(e);
        }
    }

    /** Pairs IN packets with delivered OUT packets, oldest first. */
    private void match() {
        while (!delivered.isEmpty() && !received.isEmpty()) {
            long n = delivered.poll();
            byte[] got = received.poll();
            long[] at = receivedAt.poll();
            String diff = compare(n, got);
            if (diff == null) {
                verifiedPackets++;
                verifiedBytes += got.length;
            } else {
                mismatchCount++;
                Mismatch m = new Mismatch(n, at[0], (int) at[1], diff);
                if (mismatches.size() < 100) {
                    mismatches.add(m);
                }
                onMismatch(m);
            }
        }
    }

    private String compare(long n, byte[] got) {
        int expectedLength = packetLength(n, outStream().maxFrameLength());
        if (got.length != expectedLength) {
            return "length " + got.length + ", sent " + expectedLength;
        }
        for (int i = 0; i < got.length; i++) {
            if (got[i] != patternByte(n, i)) {
                return "byte " + i + " is " + (got[i] & 0xFF) + ", sent " + (patternByte(n, i) & 0xFF);
            }
        }
        return null;
    }

    // ---- results ---------------------------------------------------------------------------------------

    /** The OUT stream, once attached. */
    public IsochStream outStream() {
        return stream(0x01);
    }

    /** The IN stream, once attached. */
    public IsochStream inStream() {
        return stream(0x81);
    }

    /** IN packets equal to the OUT packet they loop back. */
    public long verifiedPackets() {
        synchronized (ledger) {
            return verifiedPackets;
        }
    }

    /** Bytes of {@link #verifiedPackets()}. */
    public long verifiedBytes() {
        synchronized (ledger) {
            return verifiedBytes;
        }
    }

    /** IN packets that differed from the OUT packet they loop back. */
    public long mismatchCount() {
        synchronized (ledger) {
            return mismatchCount;
        }
    }

    /** The first 100 mismatches. */
    public List<Mismatch> mismatches() {
        synchronized (ledger) {
            return List.copyOf(mismatches);
        }
    }

    /** Frames that reported an error, in completion order (the first 1000). */
    public List<FrameError> frameErrors() {
        synchronized (ledger) {
            return List.copyOf(frameErrors);
        }
    }

    /** OUT packets delivered and not (yet) read back. */
    public long unmatchedDelivered() {
        synchronized (ledger) {
            return delivered.size();
        }
    }
}
