package io.github.usbd4j.internal.capture;

import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.internal.engine.Transfer;
import io.github.usbd4j.internal.engine.TransferOwner;
import io.github.usbd4j.internal.engine.TransferTap;
import io.github.usbd4j.usb.Usb100;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.IdentityHashMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every transfer the engine reports as usbmon records (link type 220, 64-byte headers) to a pcapng
 * file, as it happens: one Enhanced Packet Block per event, a submission ('S') and a completion ('C') per
 * transfer, an error ('E') for a refused submission, the status the caller saw (CE, WinUSB or WDM, as the
 * transfer's owner describes it) as the completion's comment.
 *
 * <p>Blocks are built in a fixed 1 MiB buffer and written whole, so the file on disk is a valid pcapng file
 * after every write; the buffer is written when full, at least every second while records arrive, and on
 * {@link #close()}. Memory stays bounded: a record carries at most {@link #MAX_DATA_PER_RECORD} data bytes
 * (usbmon too caps a record's data), and once the file would exceed its size cap, records are counted as
 * dropped instead of written; {@link #close()} then records the drop count in an Interface Statistics
 * Block, which Wireshark shows. Nothing here throws into the engine: a write error is logged once and
 * stops the capture, and the file is cut back to the last whole block the disk took (a full disk or a
 * file size limit takes part of a buffer), so that it stays a valid capture of the records {@link
 * #records()} counts.
 */
public final class UsbmonPcapngWriter implements TransferTap, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UsbmonPcapngWriter.class);

    /** Data bytes a record carries at most; the rest is cut (the record says how long it was). */
    public static final int MAX_DATA_PER_RECORD = 512 * 1024;

    private static final int BUFFER_BYTES = 1 << 20;
    /** Room kept below the cap for the closing statistics block. */
    private static final int RESERVE = 256;

    private static final long FLUSH_NANOS = 1_000_000_000L;
    private static final int EPB_FIXED = 28;
    /** An option's length is 16 bits. */
    private static final int MAX_COMMENT = 65_000;

    private static final int BUS = 1;
    /** Synthetic URB ids (the enumeration records) count up from here, far from the engine's serial numbers. */
    private static final long SYNTHETIC_IDS = 0xFFFF_0000_0000_0000L;

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final long maxBytes;
    private final int snapLength;
    private final StringBuilder comment = new StringBuilder(128);
    private final IdentityHashMap<BackendDevice, Integer> addresses = new IdentityHashMap<>();
    private final byte[] setupScratch = new byte[8];

    private BusClock clock;
    private long startEpochMicros;
    private long startNanos;
    private long startMicroframe;
    private long fileBytes;
    private long records;
    /** Records in the file on disk: {@link #records} less those still buffered. */
    private long recordsWritten;

    private long dropped;
    private long lastFlushNanos;
    private int sinceFlushCheck;
    private long syntheticIds = SYNTHETIC_IDS;
    private boolean failed;
    private boolean closed;

    /**
     * Creates (or truncates) the file and writes the section and interface headers.
     *
     * @param file the pcapng file
     * @param maxBytes the size cap in bytes, at least 64 KiB
     * @param snapLength data bytes kept per record, 0 to {@link #MAX_DATA_PER_RECORD}
     * @param interfaceName the interface name Wireshark shows, e.g. {@code usbd4j-sim}
     * @throws IOException if the file cannot be written
     */
    public UsbmonPcapngWriter(Path file, long maxBytes, int snapLength, String interfaceName) throws IOException {
        if (maxBytes < 64 * 1024) {
            throw new IllegalArgumentException("the capture size cap must be at least 64 KiB, was " + maxBytes);
        }
        if (snapLength < 0 || snapLength > MAX_DATA_PER_RECORD) {
            throw new IllegalArgumentException(
                    "the snap length must be 0.." + MAX_DATA_PER_RECORD + " bytes, was " + snapLength);
        }
        this.file = file;
        this.maxBytes = maxBytes;
        this.snapLength = snapLength;
        this.channel = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try {
            writeSectionHeader();
            writeInterfaceDescription(interfaceName);
            flushBuffer();
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        this.startEpochMicros = System.currentTimeMillis() * 1000;
        this.startNanos = System.nanoTime();
        this.lastFlushNanos = startNanos;
    }

    /**
     * The bus clock timestamps follow: on a virtual clock, bus time from the moment it is set (so that a
     * simulated run's capture shows its frames' spacing); otherwise the host's clock.
     *
     * @param clock the runtime's bus clock
     */
    public synchronized void useClock(BusClock clock) {
        this.clock = clock;
        this.startMicroframe = clock.currentMicroframe();
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /**
     * Records written so far (submissions, completions, errors, enumeration records); after a write error,
     * the records the file holds.
     */
    public synchronized long records() {
        return records;
    }

    /** Records not written because the file reached its size cap. */
    public synchronized long droppedRecords() {
        return dropped;
    }

    /** Bytes in the file, written or about to be (buffered). */
    public synchronized long bytes() {
        return fileBytes + buf.position();
    }

    /** Whether a write failed (then the capture stopped). */
    public synchronized boolean failed() {
        return failed;
    }

    // ---- TransferTap ------------------------------------------------------------------------------

    @Override
    public synchronized void submitted(Transfer t) {
        if (writable()) {
            try {
                event(t, Usbmon.SUBMIT, null);
            } catch (RuntimeException e) {
                fail(e);
            }
        }
    }

    @Override
    public synchronized void refused(Transfer t, PacketStatus why) {
        if (writable()) {
            try {
                event(t, Usbmon.ERROR, why);
            } catch (RuntimeException e) {
                fail(e);
            }
        }
    }

    @Override
    public synchronized void completed(Transfer t) {
        if (writable()) {
            try {
                event(t, Usbmon.COMPLETE, null);
            } catch (RuntimeException e) {
                fail(e);
            }
        }
    }

    /**
     * Writes what is buffered, records the dropped count (if any) and closes the file. Idempotent.
     *
     * @throws IOException if the last write fails
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!failed) {
                writeStatistics();
                try {
                    flushBuffer();
                } catch (IOException e) {
                    fail(e); // the capture says so, as after any other write error
                    throw e;
                }
            }
        } finally {
            channel.close();
        }
        if (dropped > 0) {
            LOG.warn(
                    "Capture {} reached its size cap of {} bytes: {} records were not written",
                    file,
                    maxBytes,
                    dropped);
        }
    }

    // ---- records ----------------------------------------------------------------------------------

    private boolean writable() {
        return !closed && !failed;
    }

    /** The device's address in the capture; on first sight of the device, its enumeration records first. */
    private int address(BackendDevice device) {
        Integer a = addresses.get(device);
        if (a == null) {
            a = addresses.size() % 127 + 1;
            addresses.put(device, a);
            enumeration(device, a);
        }
        return a;
    }

    /**
     * A device's descriptors as the runtime parsed them, as the records of an enumeration (GET_DESCRIPTOR of
     * the device and of each configuration, SET_CONFIGURATION), written before the first transfer to the
     * device: so that a replay enumerates it and Wireshark can name its interfaces.
     */
    private void enumeration(BackendDevice device, int address) {
        String note = "usbd4j: descriptors as " + device.location() + " reported them at attach (not bus traffic)";
        byte[] dd = device.deviceDescriptor();
        enumeration(
                address, 0x80, Usb100.USB_REQUEST_GET_DESCRIPTOR, Usb100.USB_DEVICE_DESCRIPTOR_TYPE << 8, 0, dd, note);
        List<byte[]> configs = device.configurationDescriptors();
        for (int i = 0; i < configs.size(); i++) {
            byte[] c = configs.get(i);
            enumeration(
                    address,
                    0x80,
                    Usb100.USB_REQUEST_GET_DESCRIPTOR,
                    Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE << 8 | i,
                    0,
                    c,
                    note);
        }
        int active = device.activeConfigurationValue();
        if (active != 0) {
            enumeration(address, 0x00, Usb100.USB_REQUEST_SET_CONFIGURATION, active, 0, null, note);
        }
    }

    /** One usbmon event of an engine transfer. */
    private void event(Transfer tt, char type, PacketStatus refusal) {
        int address = address(tt.pipe().device().backend()); // first: it may write the enumeration's records
        BackendTransfer t = tt.backend();
        TransferOwner owner = tt.owner(); // null for the engine's own requests: neutral flags, no comment
        boolean shortNotOk = owner == null ? t.shortNotOk() : owner.shortIsError(tt);
        boolean in = t.isIn();
        boolean iso = t.type() == TransferType.ISOCHRONOUS;
        int packets = iso ? t.packets() : 0;
        int dataLength = 0;
        int urbLength;
        int status;
        int flagData;
        if (type == Usbmon.SUBMIT) {
            urbLength = t.length();
            status = Usbmon.EINPROGRESS;
            if (in) {
                flagData = Usbmon.FLAG_DATA_IN_LATER;
            } else {
                dataLength = t.length();
                flagData = Usbmon.FLAG_PRESENT;
            }
        } else if (type == Usbmon.ERROR) {
            urbLength = 0;
            status = Usbmon.errno(refusal);
            flagData = Usbmon.FLAG_DATA_ERROR;
            packets = 0;
        } else {
            urbLength = iso ? sumActual(t) : t.actualLength();
            status = Usbmon.errno(t.status());
            if (in) {
                dataLength = iso ? collatedLength(t) : t.actualLength();
                flagData = Usbmon.FLAG_PRESENT;
            } else {
                flagData = Usbmon.FLAG_DATA_OUT_EARLIER;
            }
        }
        dataLength = Math.max(0, Math.min(dataLength, snapLength));
        if (dataLength > 0
                && (t.buffer() == null || t.offset() + dataLength > t.buffer().capacity())) {
            dataLength = 0; // a request the backend will refuse; never read past the buffer
        }
        comment.setLength(0);
        if (type == Usbmon.COMPLETE && owner != null) {
            owner.describeStatus(tt, comment);
            if (comment.length() > MAX_COMMENT) {
                comment.setLength(MAX_COMMENT);
            }
        }
        int packetLength = Usbmon.HEADER_LENGTH + packets * Usbmon.ISO_DESCRIPTOR_LENGTH + dataLength;
        int start = beginBlock(packetLength, comment.length());
        if (start < 0) {
            return;
        }
        int p = buf.position();
        buf.putLong(p, tt.serial());
        buf.put(p + 8, (byte) type);
        buf.put(p + 9, (byte) Usbmon.xferType(t.type()));
        buf.put(p + 10, (byte) ((in ? 0x80 : 0) | (t.endpointAddress() & 0x0F)));
        buf.put(p + 11, (byte) address);
        buf.putShort(p + 12, (short) BUS);
        boolean setup = t.type() == TransferType.CONTROL && type == Usbmon.SUBMIT;
        buf.put(p + 14, (byte) (setup ? Usbmon.FLAG_PRESENT : Usbmon.FLAG_NO_SETUP));
        buf.put(p + 15, (byte) flagData);
        long micros = timestampMicros();
        buf.putLong(p + 16, micros / 1_000_000);
        buf.putInt(p + 24, (int) (micros % 1_000_000));
        buf.putInt(p + 28, status);
        buf.putInt(p + 32, urbLength);
        buf.putInt(p + 36, packets * Usbmon.ISO_DESCRIPTOR_LENGTH + dataLength);
        int errors = 0;
        int d = p + Usbmon.HEADER_LENGTH;
        if (iso && packets > 0) {
            int offset = 0;
            for (int k = 0; k < packets; k++, d += Usbmon.ISO_DESCRIPTOR_LENGTH) {
                int len;
                int st;
                if (type == Usbmon.SUBMIT) {
                    len = t.packetLength(k);
                    st = Usbmon.EXDEV; // as usb_submit_urb leaves every packet
                } else {
                    len = t.packetActual(k);
                    st = packetErrno(t, k, in, shortNotOk);
                }
                if (st != 0) {
                    errors++;
                }
                buf.putInt(d, st);
                buf.putInt(d + 4, offset);
                buf.putInt(d + 8, len);
                buf.putInt(d + 12, 0);
                offset += t.packetLength(k);
            }
            buf.putInt(p + 40, type == Usbmon.SUBMIT ? 0 : errors);
            buf.putInt(p + 44, packets);
        } else if (setup) {
            buf.put(p + 40, t.setup(), 0, 8);
        } else {
            buf.putLong(p + 40, 0);
        }
        boolean periodic = iso || t.type() == TransferType.INTERRUPT;
        buf.putInt(p + 48, periodic ? tt.pipe().period() : 0);
        buf.putInt(p + 52, iso ? (int) (type == Usbmon.COMPLETE ? t.actualStartFrame() : t.startFrame()) : 0);
        int flags = (in ? Usbmon.URB_DIR_IN : 0)
                | (iso && owner != null && owner.isAsap(tt) ? Usbmon.URB_ISO_ASAP : 0)
                | (shortNotOk && in ? Usbmon.URB_SHORT_NOT_OK : 0);
        buf.putInt(p + 56, flags);
        buf.putInt(p + 60, packets);
        if (dataLength > 0) {
            buf.put(d, t.buffer(), t.offset(), dataLength);
        }
        endBlock(start, p + packetLength, packetLength, micros);
    }

    /** A packet's status as Linux reports it: a short IN packet of a short-not-OK transfer is -EREMOTEIO. */
    private static int packetErrno(BackendTransfer t, int k, boolean in, boolean shortNotOk) {
        PacketStatus s = t.packetStatus(k);
        if (s == PacketStatus.OK && in && shortNotOk && t.packetActual(k) < t.packetLength(k)) {
            return Usbmon.EREMOTEIO;
        }
        return Usbmon.errno(s);
    }

    private static int sumActual(BackendTransfer t) {
        int total = 0;
        for (int k = 0; k < t.packets(); k++) {
            total += t.packetActual(k);
        }
        return total;
    }

    /** The data span of an isochronous IN completion: up to the end of the last packet that received data. */
    private static int collatedLength(BackendTransfer t) {
        int end = 0;
        int offset = 0;
        for (int k = 0; k < t.packets(); k++) {
            int actual = t.packetActual(k);
            if (actual > 0) {
                end = Math.max(end, offset + actual);
            }
            offset += t.packetLength(k);
        }
        return end;
    }

    /** A synthetic control transfer (submission and completion) that shows a descriptor the runtime read. */
    private void enumeration(
            int address, int requestType, int request, int value, int index, byte[] data, String note) {
        long id = syntheticIds++;
        boolean in = (requestType & 0x80) != 0;
        int length = data == null ? 0 : data.length;
        setupScratch[0] = (byte) requestType;
        setupScratch[1] = (byte) request;
        setupScratch[2] = (byte) value;
        setupScratch[3] = (byte) (value >>> 8);
        setupScratch[4] = (byte) index;
        setupScratch[5] = (byte) (index >>> 8);
        setupScratch[6] = (byte) length;
        setupScratch[7] = (byte) (length >>> 8);
        comment.setLength(0);
        comment.append(note);
        control(id, Usbmon.SUBMIT, address, in, length, in ? 0 : length, setupScratch, in ? null : data);
        comment.setLength(0);
        control(id, Usbmon.COMPLETE, address, in, length, in ? length : 0, null, in ? data : null);
    }

    private void control(
            long id, char type, int address, boolean in, int urbLength, int dataLength, byte[] setup, byte[] data) {
        int packetLength = Usbmon.HEADER_LENGTH + dataLength;
        int start = beginBlock(packetLength, comment.length());
        if (start < 0) {
            return;
        }
        int p = buf.position();
        long micros = timestampMicros();
        buf.putLong(p, id);
        buf.put(p + 8, (byte) type);
        buf.put(p + 9, (byte) Usbmon.XFER_CONTROL);
        buf.put(p + 10, (byte) (in ? 0x80 : 0));
        buf.put(p + 11, (byte) address);
        buf.putShort(p + 12, (short) BUS);
        buf.put(p + 14, (byte) (setup != null ? Usbmon.FLAG_PRESENT : Usbmon.FLAG_NO_SETUP));
        boolean lateIn = type == Usbmon.SUBMIT && in;
        boolean earlyOut = type == Usbmon.COMPLETE && !in;
        buf.put(p + 15, (byte) (lateIn ? Usbmon.FLAG_DATA_IN_LATER : earlyOut ? Usbmon.FLAG_DATA_OUT_EARLIER : 0));
        buf.putLong(p + 16, micros / 1_000_000);
        buf.putInt(p + 24, (int) (micros % 1_000_000));
        buf.putInt(p + 28, type == Usbmon.SUBMIT ? Usbmon.EINPROGRESS : 0);
        buf.putInt(p + 32, urbLength);
        buf.putInt(p + 36, dataLength);
        if (setup != null) {
            buf.put(p + 40, setup, 0, 8);
        } else {
            buf.putLong(p + 40, 0);
        }
        buf.putInt(p + 48, 0);
        buf.putInt(p + 52, 0);
        buf.putInt(p + 56, in ? Usbmon.URB_DIR_IN : 0);
        buf.putInt(p + 60, 0);
        if (dataLength > 0) {
            buf.put(p + Usbmon.HEADER_LENGTH, data, 0, dataLength);
        }
        endBlock(start, p + packetLength, packetLength, micros);
    }

    private long timestampMicros() {
        BusClock c = clock;
        if (c != null && c.isVirtual()) {
            return startEpochMicros + (c.currentMicroframe() - startMicroframe) * 125;
        }
        return startEpochMicros + (System.nanoTime() - startNanos) / 1000;
    }

    // ---- pcapng blocks ----------------------------------------------------------------------------

    /**
     * Starts an Enhanced Packet Block for a packet of {@code packetLength} bytes and a comment of
     * {@code commentLength} ASCII characters: makes room (writing the buffer out if needed), or counts the
     * record as dropped at the size cap.
     *
     * @return the block's start in the buffer, the buffer positioned at the packet data; -1 if dropped
     */
    private int beginBlock(int packetLength, int commentLength) {
        int blockLength = blockLength(packetLength, commentLength);
        if (fileBytes + buf.position() + blockLength > maxBytes - RESERVE) {
            dropped++;
            return -1;
        }
        if (blockLength > buf.remaining() && !flushQuietly()) {
            return -1;
        }
        int start = buf.position();
        buf.putInt(start, 6);
        buf.putInt(start + 4, blockLength);
        buf.putInt(start + 8, 0);
        buf.position(start + EPB_FIXED);
        return start;
    }

    private static int blockLength(int packetLength, int commentLength) {
        int options = commentLength == 0 ? 0 : 4 + pad4(commentLength) + 4;
        return EPB_FIXED + pad4(packetLength) + options + 4;
    }

    /** Ends the block begun at {@code start}: timestamp, lengths, padding, the comment, trailing length. */
    private void endBlock(int start, int packetEnd, int packetLength, long micros) {
        buf.putInt(start + 12, (int) (micros >>> 32));
        buf.putInt(start + 16, (int) micros);
        buf.putInt(start + 20, packetLength);
        buf.putInt(start + 24, packetLength);
        int p = packetEnd;
        while ((p & 3) != 0) {
            buf.put(p++, (byte) 0);
        }
        int n = comment.length();
        if (n > 0) {
            buf.putShort(p, (short) 1);
            buf.putShort(p + 2, (short) n);
            p += 4;
            for (int i = 0; i < n; i++) {
                char c = comment.charAt(i);
                buf.put(p++, (byte) (c < 0x80 ? c : '?'));
            }
            while ((p & 3) != 0) {
                buf.put(p++, (byte) 0);
            }
            buf.putInt(p, 0); // opt_endofopt
            p += 4;
        }
        int length = p + 4 - start;
        buf.putInt(start + 4, length);
        buf.putInt(p, length);
        buf.position(p + 4);
        records++;
        if (++sinceFlushCheck >= 256) {
            sinceFlushCheck = 0;
            if (System.nanoTime() - lastFlushNanos > FLUSH_NANOS) {
                flushQuietly();
            }
        }
    }

    private void writeSectionHeader() {
        byte[] app = "usbd4j".getBytes(StandardCharsets.US_ASCII);
        int options = 4 + pad4(app.length) + 4;
        int length = 28 + options;
        int p = buf.position();
        buf.putInt(p, 0x0A0D0D0A);
        buf.putInt(p + 4, length);
        buf.putInt(p + 8, 0x1A2B3C4D);
        buf.putShort(p + 12, (short) 1);
        buf.putShort(p + 14, (short) 0);
        buf.putLong(p + 16, -1L);
        p = option(p + 24, 4, app); // shb_userappl
        buf.putInt(p, 0);
        buf.putInt(p + 4, length);
        buf.position(p + 8);
    }

    private void writeInterfaceDescription(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] resolution = {6}; // microseconds
        int options = 4 + pad4(n.length) + 4 + 4 + 4;
        int length = 20 + options;
        int p = buf.position();
        buf.putInt(p, 1);
        buf.putInt(p + 4, length);
        buf.putShort(p + 8, (short) Usbmon.LINKTYPE_USB_LINUX_MMAPPED);
        buf.putShort(p + 10, (short) 0);
        buf.putInt(p + 12, 0); // no snap length
        p = option(p + 16, 2, n); // if_name
        p = option(p, 9, resolution); // if_tsresol
        buf.putInt(p, 0);
        buf.putInt(p + 4, length);
        buf.position(p + 8);
    }

    /** An Interface Statistics Block: end time, and the records dropped at the size cap. */
    private void writeStatistics() {
        long micros = timestampMicros();
        byte[] note = dropped == 0
                ? new byte[0]
                : ("usbd4j: the capture reached its size cap of " + maxBytes + " bytes; " + dropped
                                + " records were not written")
                        .getBytes(StandardCharsets.US_ASCII);
        int options = 12 + 12 + (note.length == 0 ? 0 : 4 + pad4(note.length)) + 4;
        int length = 24 + options;
        if (length > buf.remaining() && !flushQuietly()) {
            return;
        }
        int p = buf.position();
        buf.putInt(p, 5);
        buf.putInt(p + 4, length);
        buf.putInt(p + 8, 0);
        buf.putInt(p + 12, (int) (micros >>> 32));
        buf.putInt(p + 16, (int) micros);
        p += 20;
        buf.putShort(p, (short) 3); // isb_endtime
        buf.putShort(p + 2, (short) 8);
        buf.putInt(p + 4, (int) (micros >>> 32));
        buf.putInt(p + 8, (int) micros);
        p += 12;
        buf.putShort(p, (short) 5); // isb_ifdrop
        buf.putShort(p + 2, (short) 8);
        buf.putLong(p + 4, dropped);
        p += 12;
        if (note.length > 0) {
            p = option(p, 1, note);
        }
        buf.putInt(p, 0);
        buf.putInt(p + 4, length);
        buf.position(p + 8);
    }

    private int option(int p, int code, byte[] value) {
        buf.putShort(p, (short) code);
        buf.putShort(p + 2, (short) value.length);
        buf.put(p + 4, value);
        int q = p + 4 + value.length;
        while ((q & 3) != 0) {
            buf.put(q++, (byte) 0);
        }
        return q;
    }

    private static int pad4(int n) {
        return (n + 3) & ~3;
    }

    private boolean flushQuietly() {
        try {
            flushBuffer();
            return true;
        } catch (IOException e) {
            fail(e);
            return false;
        }
    }

    private void flushBuffer() throws IOException {
        buf.flip();
        long base = fileBytes;
        try {
            while (buf.hasRemaining()) {
                fileBytes += channel.write(buf);
            }
        } catch (IOException e) {
            keepWholeBlocks(base);
            throw e;
        }
        buf.clear();
        recordsWritten = records;
        lastFlushNanos = System.nanoTime();
    }

    /**
     * After a write that the disk took only part of: cuts the file back to the end of the last whole block
     * it received, and counts the records up to there as the ones written, the rest as never written.
     *
     * @param base the file's length before the write (the buffer's first block starts there)
     */
    private void keepWholeBlocks(long base) {
        long taken = fileBytes - base;
        int end = 0;
        long whole = 0;
        while (end + 8 <= buf.limit()) {
            int length = buf.getInt(end + 4);
            if (length < 12 || end + (long) length > taken) {
                break;
            }
            if (buf.getInt(end) == 6) {
                whole++;
            }
            end += length;
        }
        recordsWritten += whole;
        records = recordsWritten;
        buf.clear();
        try {
            channel.truncate(base + end);
            fileBytes = base + end;
        } catch (IOException e) {
            // the file then ends in a cut-short block, which readers (Wireshark, usbd replay) read up to
        }
    }

    private void fail(Exception e) {
        if (!failed) {
            failed = true;
            LOG.error("Capture {} stopped: {}", file, e.toString());
        }
    }
}
