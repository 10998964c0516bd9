package io.github.usbd4j.samples.loopback;

import static io.github.usbd4j.ce.UsbTypes.USB_NOT_ACCESSED_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
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
 * <p>It drives a device that loops iso OUT back to iso IN, such as the usbd4j loopback device (1209:0001,
 * interface 0 alternate setting 1), whose rule is: each OUT packet that reaches the device is queued
 * whole; each IN packet returns the oldest queued packet. So the n-th packet read must equal the n-th
 * packet that reached the device (OUT frames reported {@code USB_NOT_ACCESSED_ERROR} never did). It
 * streams the first iso OUT and the first iso IN endpoint of the chosen alternate setting. The IN stream
 * starts {@link #inLagFrames()} frames after the OUT stream (exact on a simulated bus), or, with
 * {@link #inLagPackets(int)}, as soon as that many OUT packets were delivered (for a real bus, whose
 * start frames are approximate), so the device always has data queued.
 *
 * <p>A packet counts as verified only if it came back equal and its frame reported no error; one that
 * came back equal but with an error status is counted in {@link #errorPackets()}. The pairing follows
 * the stream when the device's queue does not, so that one event never turns every later packet into a
 * mismatch:
 * <ul>
 *   <li>A packet read that equals a later OUT packet than the one expected means the ones before it never
 *       came back: the device dropped them (its queue was full) or, for an OUT frame that reported an
 *       error other than {@code USB_NOT_ACCESSED_ERROR}, never got them (a real bus reports a late packet
 *       as a generic error). The first are counted in {@link #neverCameBack()}; the second are already
 *       lost in their OUT frame's error.
 *   <li>A packet read that equals no OUT packet sent, followed by the expected one, was read while the
 *       device had nothing queued (the OUT stream fell behind the IN stream, e.g. on a busy host): it is
 *       counted in {@link #emptyReads()}, and nothing sent was lost by it.
 *   <li>A packet read that equals no OUT packet sent, followed by the packet after the expected one, is
 *       the expected packet damaged: {@link #mismatchCount()}. When the reads after it do not tell (a
 *       later packet follows, or the stream ends first), it is the expected packet damaged if it has that
 *       packet's length, and an empty read if not.
 * </ul>
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

    private final int interfaceNumber;
    private final int alternate;
    private final long frames;
    private volatile int inLagPackets;

    // guarded by ledger
    private final Object ledger = new Object();
    private final ArrayDeque<Long> delivered = new ArrayDeque<>();
    /** Delivered OUT packets whose frame reported an error: perhaps never queued by the device. */
    private final java.util.Set<Long> uncertain = new java.util.HashSet<>();

    private final ArrayDeque<Read> received = new ArrayDeque<>();
    private long verifiedPackets;
    private long verifiedBytes;
    private long errorPackets;
    private long deliveredCount;
    private boolean inStarted;
    private long mismatchCount;
    private long neverCameBack;
    private long emptyReads;
    private final List<Mismatch> mismatches = new ArrayList<>();
    private final List<FrameError> frameErrors = new ArrayList<>();

    /**
     * @param alternateSetting the alternate setting of interface 0 (1: every frame)
     * @param frames frames to stream per direction
     */
    public LoopbackTestDriver(int alternateSetting, long frames) {
        this(INTERFACE, alternateSetting, frames);
    }

    /**
     * @param interfaceNumber the interface with the iso OUT and IN endpoints
     * @param alternateSetting its alternate setting
     * @param frames frames to stream per direction
     */
    public LoopbackTestDriver(int interfaceNumber, int alternateSetting, long frames) {
        this.interfaceNumber = interfaceNumber;
        this.alternate = alternateSetting;
        this.frames = frames;
    }

    /**
     * Starts the IN stream as soon as {@code packets} OUT packets were delivered, instead of
     * {@link #inLagFrames()} frames after the OUT stream: for real buses, where a start frame is only
     * approximate. The device must be able to queue that many packets.
     *
     * @param packets OUT packets to deliver first; 0 for the frame lag (default)
     * @return this
     */
    public LoopbackTestDriver inLagPackets(int packets) {
        this.inLagPackets = packets;
        return this;
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

    private static UsbEndpoint isoEndpoint(UsbInterface alt, boolean in) {
        for (UsbEndpoint e : alt.endpoints()) {
            if (e.descriptor().isIsochronous() && e.descriptor().isIn() == in) {
                return e;
            }
        }
        return null;
    }

    /** Refuses a device whose interface and alternate setting lack an iso OUT or an iso IN endpoint. */
    @Override
    public String problemWith(UsbDevice device, UsbSpeed speed) {
        UsbInterface alt = device.findInterface(interfaceNumber, alternate);
        if (alt == null) {
            return "it has no interface " + interfaceNumber + " alternate setting " + alternate;
        }
        if (isoEndpoint(alt, false) == null || isoEndpoint(alt, true) == null) {
            return "interface " + interfaceNumber + " alternate setting " + alternate
                    + " does not have both an isochronous OUT and an isochronous IN endpoint";
        }
        return null;
    }

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        if (offered != null && offered.descriptor().bInterfaceNumber() != interfaceNumber) {
            return null;
        }
        UsbInterface alt = usbFuncs.findInterface(device, interfaceNumber, alternate);
        return alt != null && problemWith(device, speed()) == null ? alt : null;
    }

    /** The first iso OUT and the first iso IN endpoint of the setting. */
    @Override
    protected List<UsbEndpoint> selectEndpoints(UsbInterface alt) {
        return List.of(isoEndpoint(alt, false), isoEndpoint(alt, true));
    }

    @Override
    protected void onAttached() {
        IsochStream out = outStream();
        IsochStream in = inStream();
        if (out == null || in == null) {
            requestStop();
            return;
        }
        if (inLagPackets > 0) {
            startStreaming(out); // IN starts from onOutFrame
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
        if (inLagPackets > 0) {
            return -1;
        }
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
        boolean startIn;
        synchronized (ledger) {
            if (usbError != USB_NOT_ACCESSED_ERROR) {
                delivered.add(index);
                deliveredCount++;
                if (usbError != USB_NO_ERROR) {
                    uncertain.add(index);
                }
            }
            if (usbError != USB_NO_ERROR) {
                addError(new FrameError(busFrame, stream.endpointAddress(), usbError));
            }
            match(false);
            int lag = inLagPackets;
            startIn = lag > 0 && !inStarted && (deliveredCount >= lag || deliveredCount >= frames);
            if (startIn) {
                inStarted = true;
            }
        }
        if (startIn) {
            startStreaming(inStream());
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
            received.add(new Read(copy, busFrame, usbError));
            match(false);
        }
    }

    private void addError(FrameError e) {
        if (frameErrors.size() < 1000) {
            frameErrors.add(e);
        }
    }

    /**
     * Packets read that may wait for the reads after them to tell what they are (an empty read or a damaged
     * packet): more than a stall of the OUT stream that long makes them count as damaged.
     */
    private static final int UNDECIDED_LIMIT = 4096;

    /** A packet read, not yet paired. */
    private static final class Read {
        final byte[] data;
        final long busFrame;
        final int usbError;
        /** The delivered OUT packets up to this number were compared with it and differ. */
        long comparedUpTo = -1;

        Read(byte[] data, long busFrame, int usbError) {
            this.data = data;
            this.busFrame = busFrame;
            this.usbError = usbError;
        }
    }

    /**
     * Pairs IN packets with delivered OUT packets, oldest first, following the stream past dropped and
     * empty reads (see the class comment).
     *
     * @param settle the streams have ended: decide what is left
     */
    private void match(boolean settle) {
        while (!received.isEmpty()) {
            Read got = received.peek();
            if (delivered.isEmpty()) {
                if (!settle) {
                    return; // its OUT packet's frame may not have been reported yet
                }
                emptyRead();
                continue;
            }
            long n = delivered.peek();
            // the expected packet first: a stream that loses nothing costs one comparison per read, which
            // matters on the callback thread of a slow host (an emulated guest fell behind with a scan here)
            int at = compare(n, got.data) == null ? 0 : positionOf(got);
            if (at == 0) {
                delivered.poll();
                uncertain.remove(n);
                received.poll();
                if (got.usbError == USB_NO_ERROR) {
                    verifiedPackets++;
                    verifiedBytes += got.data.length;
                } else {
                    errorPackets++;
                }
                continue;
            }
            if (at > 0) { // the packets before the one read never came back
                for (int j = 0; j < at; j++) {
                    long lost = delivered.poll();
                    if (!uncertain.remove(lost)) {
                        neverCameBack++;
                        mismatch(new Mismatch(
                                lost,
                                got.busFrame,
                                got.usbError,
                                "never came back (a later packet came back in its place)"));
                    }
                }
                continue;
            }
            // got equals no packet sent: the reads after it tell whether it was an empty read or packet n damaged
            int resumes = -1;
            boolean head = true;
            for (Read r : received) {
                if (!head && (resumes = positionOf(r)) >= 0) {
                    break;
                }
                head = false;
            }
            if (resumes < 0 && !settle && received.size() < UNDECIDED_LIMIT) {
                return; // wait for the next packets to tell
            }
            // the read after it is packet n: it was an empty read; n + 1: it was n, damaged; a later one
            // or none: it was n damaged if it has n's length, else an empty read (and n was dropped)
            boolean damaged = resumes == 1
                    || (resumes != 0
                            && got.data.length == packetLength(n, outStream().maxFrameLength()));
            if (!damaged) {
                emptyRead(); // the device had nothing queued for this read
                continue;
            }
            delivered.poll();
            received.poll();
            if (!uncertain.remove(n)) { // a damaged packet whose OUT frame failed is lost in that frame's error
                mismatchCount++;
                mismatch(new Mismatch(n, got.busFrame, got.usbError, compare(n, got.data)));
            }
        }
    }

    /**
     * The position among the delivered OUT packets of the first one {@code r} equals, or -1. Each delivered
     * packet is compared with a read once: the packets' numbers only grow, so only those delivered since
     * the last look are compared.
     */
    private int positionOf(Read r) {
        int position = delivered.size();
        int earliest = -1; // the earliest, should a subclass's pattern repeat
        for (java.util.Iterator<Long> it = delivered.descendingIterator(); it.hasNext(); ) {
            long n = it.next();
            position--;
            if (n <= r.comparedUpTo) {
                break;
            }
            if (compare(n, r.data) == null) {
                earliest = position;
            }
        }
        if (earliest < 0 && !delivered.isEmpty()) {
            r.comparedUpTo = delivered.peekLast();
        }
        return earliest;
    }

    private void emptyRead() {
        received.poll();
        emptyReads++;
    }

    private void mismatch(Mismatch m) {
        if (mismatches.size() < 100) {
            mismatches.add(m);
        }
        onMismatch(m);
    }

    @Override
    protected void onStreamFinished(io.github.usbd4j.samples.iso.StreamStats total) {
        synchronized (ledger) {
            match(true);
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
        for (IsochStream s : streams()) {
            if (!s.isIn()) {
                return s;
            }
        }
        return null;
    }

    /** The IN stream, once attached. */
    public IsochStream inStream() {
        for (IsochStream s : streams()) {
            if (s.isIn()) {
                return s;
            }
        }
        return null;
    }

    /** IN packets that came back equal to their OUT packet but in a frame that reported an error. */
    public long errorPackets() {
        synchronized (ledger) {
            return errorPackets;
        }
    }

    /** IN packets equal to the OUT packet they loop back, in frames without an error. */
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

    /** IN packets that came back damaged: different from the OUT packet they loop back. */
    public long mismatchCount() {
        synchronized (ledger) {
            return mismatchCount;
        }
    }

    /**
     * OUT packets whose frame reported no error that never came back: a later packet came back in their
     * place (the device dropped them).
     */
    public long neverCameBack() {
        synchronized (ledger) {
            return neverCameBack;
        }
    }

    /**
     * IN packets read while the device had none of the OUT packets queued: they equal no packet sent, and
     * the expected packet came next. Nothing sent is lost by them.
     */
    public long emptyReads() {
        synchronized (ledger) {
            return emptyReads;
        }
    }

    /** The first 100 packets that came back damaged or never came back. */
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
