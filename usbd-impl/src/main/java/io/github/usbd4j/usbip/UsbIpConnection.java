package io.github.usbd4j.usbip;

import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One USB/IP connection: the OP_* handshake, then, after a successful import, the URB phase. The
 * calling thread reads requests. During the handshake it writes each reply itself before reading the next
 * request, so a peer that does not read holds no buffered replies. After the import a writer thread sends
 * replies; transfers complete on the simulator's bus thread, which only builds a reply and queues it.
 * Every queued reply holds a share of the connection's in-flight budget (URB count and bytes), released
 * once it is written, so the queue, the pending URBs and their buffers stay bounded. The server's
 * watchdog ends a connection that misses its handshake deadline, idles after its import, or does not
 * read its replies ({@link #overdue}).
 */
final class UsbIpConnection {
    /**
     * How far ahead of the bus a new or fallen-behind isochronous stream starts. One frame was too little:
     * a server thread delayed between reading the clock and submitting (a loaded host, a guest under
     * emulation) found its first packets already past. USB/IP is not frame-accurate (vhci-hcd does not
     * pace by frame), so the margin costs nothing a client can observe but latency.
     */
    private static final int START_LEAD_FRAMES = 8;

    /** Requests one handshake may make (Linux's usbipd answers one per connection; a client needs two). */
    static final int MAX_HANDSHAKE_REQUESTS = 16;

    /**
     * Budget bytes an isochronous packet costs beyond its data: its descriptor in the request and in the
     * reply, and its entries in the URB's and the transfer's per-packet arrays.
     */
    static final int ISO_PACKET_COST = 64;

    private static final Logger LOG = LoggerFactory.getLogger(UsbIpConnection.class);
    private static final Reply POISON = new Reply(new byte[0], 0, 0);

    /** A protocol violation: the connection is closed. */
    static final class ProtocolException extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    /** Bytes to send and the budget they hold; the array is the reply itself, never compared or copied. */
    @SuppressWarnings("ArrayRecordComponent")
    private record Reply(byte[] bytes, int urbs, long charge) {}

    private final UsbIpServer server;
    private final UsbIpServer.Limits limits;
    private final PeerLog peers;
    private final BusClock clock;
    private final String name;
    private final DataInputStream in;
    private final OutputStream rawOut;
    private final Closeable closer;
    /**
     * Replies for the writer, from the import on: room for every reply the budget allows (each holds at
     * least one URB of it) and the two stop markers (abort, shutdown).
     */
    private volatile ArrayBlockingQueue<Reply> replies;

    private final Budget budget;
    private final long connectedAt;
    private final AtomicBoolean aborted = new AtomicBoolean();

    private final Object lock = new Object();
    // guarded by lock
    private final Map<Integer, Urb> pending = new HashMap<>();
    private final long[] streamEnd = new long[32];
    private final int[] streamPending = new int[32];
    private boolean closed;

    // the reader thread's own
    /** The highest seqnum a CMD_SUBMIT has carried so far (vhci-hcd numbers its requests upwards). */
    private int lastSubmitted;
    /**
     * Unlinks that came before the CMD_SUBMIT of their URB, by the URB's seqnum: vhci-hcd sends queued
     * unlinks after the submissions of the same round, so a URB queued and unlinked while that round was
     * under way has its CMD_UNLINK go out first. Answered when the URB arrives (it is then not run). Each
     * holds a share of the budget, so they are bounded like everything else.
     */
    private final Map<Integer, Integer> unlinkedBeforeSubmit = new HashMap<>();

    private volatile ExportedDevice exported;
    private volatile long lastTraffic;
    /** When the write under way started, 0 when none is. */
    private volatile long writingSince;

    private volatile Thread writer;
    /**
     * Released when the writer has ended, or when the connection is aborted: the reader's shutdown waits
     * on it so that the replies queued before the end go out. Not waiting longer after an abort matters
     * only for a writer blocked on a stream that closing does not wake (a pipe); a socket's ends at once.
     */
    private final CountDownLatch writerDone = new CountDownLatch(1);

    private final AtomicBoolean shutDown = new AtomicBoolean();
    /** Released when {@link #shutdown()} has run. */
    private final CountDownLatch ended = new CountDownLatch(1);

    UsbIpConnection(UsbIpServer server, String name, InputStream in, OutputStream out, Closeable closer) {
        this.server = server;
        this.limits = server.limits();
        this.peers = server.peerLog();
        this.clock = server.clock();
        this.name = name;
        this.in = new DataInputStream(new BufferedInputStream(in, 8192));
        this.rawOut = out;
        this.closer = closer;
        this.budget = new Budget(limits.maxUrbsInFlight(), limits.maxBytesInFlight());
        this.connectedAt = server.nanoTime();
    }

    String name() {
        return name;
    }

    /** Serves the connection until it ends; never throws. */
    void run() {
        try {
            handshake();
            if (exported != null) {
                replies = new ArrayBlockingQueue<>(limits.maxUrbsInFlight() + 2);
                writer = server.startThread("usbip-tx-" + threadName(), this::writeLoop);
                if (aborted.get()) {
                    replies.offer(POISON); // abort() may have run before there was a queue to stop
                }
                urbLoop();
            }
        } catch (EOFException e) {
            LOG.debug("{}: peer closed the connection", name);
        } catch (ProtocolException e) {
            if (!aborted.get()) {
                peers.warn("{}: closed: {}", name, e.getMessage());
            }
        } catch (IOException e) {
            if (aborted.get()) {
                LOG.debug("{}: aborted: {}", name, e.toString());
            } else {
                peers.info("{}: closed: {}", name, e.toString());
            }
        } catch (RuntimeException | Error e) {
            peers.error("{}: unexpected failure, closing", name, e);
        } finally {
            shutdown();
        }
    }

    private String threadName() {
        int space = name.indexOf(' ');
        return space < 0 ? name : name.substring(0, space);
    }

    /**
     * Why the watchdog should end this connection at {@code now} (the server's {@link UsbIpServer#nanoTime()}),
     * or {@code null}: the handshake deadline passed, a reply has waited too long for the peer to read it,
     * or the import is idle.
     */
    String overdue(long now) {
        long w = writingSince;
        if (w != 0 && now - w > limits.writeTimeoutNanos()) {
            return "the peer does not read (a reply waited " + millis(now - w) + " ms)";
        }
        if (exported == null) {
            return now - connectedAt > limits.handshakeTimeoutNanos()
                    ? "no import within " + millis(limits.handshakeTimeoutNanos()) + " ms of connecting"
                    : null;
        }
        long idle = limits.idleTimeoutNanos();
        return idle > 0 && now - lastTraffic > idle ? "idle for " + millis(now - lastTraffic) + " ms" : null;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Whether a reply is being written now. */
    boolean isWriting() {
        return writingSince != 0;
    }

    /** Budget bytes held now by URBs and replies. */
    long bufferedBytes() {
        return budget.bytes();
    }

    /**
     * Ends the connection from another thread: the streams are closed, the reader fails.
     *
     * @param why the reason
     * @param log whether to log it (rate-limited) rather than only at debug level
     */
    void abort(String why, boolean log) {
        if (!aborted.compareAndSet(false, true)) {
            return;
        }
        if (log) {
            peers.info("{}: closed: {}", name, why);
        } else {
            LOG.debug("{}: closed: {}", name, why);
        }
        closeQuietly();
        budget.close();
        ArrayBlockingQueue<Reply> q = replies;
        if (q != null) {
            q.offer(POISON);
        }
        writerDone.countDown();
        // now, not when the reader fails: a read blocked on a stream that closing does not wake (a pipe,
        // stdin) would hold the device and the slot until the peer sends again
        shutdown();
    }

    // ---- handshake ------------------------------------------------------------------------------

    private void handshake() throws IOException, ProtocolException {
        for (int requests = 1; exported == null; requests++) {
            if (requests > MAX_HANDSHAKE_REQUESTS) {
                throw new ProtocolException(MAX_HANDSHAKE_REQUESTS + " requests without an import");
            }
            int version = in.readUnsignedShort();
            int code = in.readUnsignedShort();
            in.readInt(); // status, unused in requests
            if (version != UsbIpProtocol.VERSION) {
                throw new ProtocolException(String.format("unsupported protocol version 0x%04X", version));
            }
            switch (code) {
                case UsbIpProtocol.OP_REQ_DEVLIST -> {
                    sendNow(devlist());
                    LOG.debug("{}: device list sent", name);
                }
                case UsbIpProtocol.OP_REQ_IMPORT -> {
                    byte[] id = new byte[UsbIpProtocol.BUSID_SIZE];
                    in.readFully(id);
                    if (!importDevice(busId(id))) {
                        return;
                    }
                }
                default -> throw new ProtocolException(String.format("unknown operation 0x%04X", code));
            }
        }
    }

    /** Writes a handshake reply on the reading thread; the watchdog ends a write the peer blocks. */
    private void sendNow(byte[] reply) throws IOException {
        writingSince = now();
        try {
            rawOut.write(reply);
            rawOut.flush();
        } finally {
            writingSince = 0;
        }
    }

    /** The server's time, never 0 (0 means "not writing"). */
    private long now() {
        long t = server.nanoTime();
        return t == 0 ? 1 : t;
    }

    private static String busId(byte[] id) {
        int n = 0;
        while (n < id.length && id[n] != 0) {
            n++;
        }
        return new String(id, 0, n, StandardCharsets.US_ASCII);
    }

    /** The peer's bus id for a log line: control characters and the like as {@code \xNN}, so no line can be forged. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '\\') {
                b.append(c);
            } else {
                b.append(String.format("\\x%02X", (int) c & 0xFF));
            }
        }
        return b.toString();
    }

    private byte[] devlist() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            // a device that left the bus is not offered (usbipd lists only the devices bound now)
            List<ExportedDevice> devices = server.exportedDevices().stream()
                    .filter(ExportedDevice::isAttached)
                    .toList();
            out.writeShort(UsbIpProtocol.VERSION);
            out.writeShort(UsbIpProtocol.OP_REP_DEVLIST);
            out.writeInt(UsbIpProtocol.ST_OK);
            out.writeInt(devices.size());
            for (ExportedDevice d : devices) {
                List<ExportedDevice.Interface> ifs = d.interfaces();
                d.writeUsbDevice(out, ifs);
                for (ExportedDevice.Interface i : ifs) {
                    out.writeByte(i.interfaceClass());
                    out.writeByte(i.subClass());
                    out.writeByte(i.protocol());
                    out.writeByte(0);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private boolean importDevice(String busId) throws IOException {
        ExportedDevice d = server.find(busId);
        String refusal = null;
        if (d == null) {
            refusal = "no such device";
        } else if (!server.enterUrbPhase(this)) {
            refusal = "the connection is closing";
        } else {
            refusal = d.tryImport(() -> deviceDetached(d));
        }
        if (refusal == null) {
            synchronized (lock) {
                if (closed) {
                    refusal = "the connection is closing"; // it ended meanwhile, and its shutdown saw no import
                } else {
                    lastTraffic = server.nanoTime();
                    exported = d;
                }
            }
            if (refusal != null) {
                d.release();
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeShort(UsbIpProtocol.VERSION);
            out.writeShort(UsbIpProtocol.OP_REP_IMPORT);
            out.writeInt(refusal == null ? UsbIpProtocol.ST_OK : UsbIpProtocol.ST_NA);
            if (refusal == null) {
                d.writeUsbDevice(out, d.interfaces());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (refusal == null) {
            peers.info("{}: imported {}", name, d);
        } else {
            peers.info("{}: import of '{}' refused ({})", name, printable(busId), refusal);
        }
        sendNow(bytes.toByteArray());
        return refusal == null;
    }

    /**
     * The imported device left the bus: the connection ends, as usbip-host closes it when its device is
     * unplugged, so that the client sees the device go instead of failing every URB. Runs on the thread
     * that detached it; never blocks.
     */
    private void deviceDetached(ExportedDevice d) {
        abort("device " + d + " was " + ExportedDevice.DETACHED, true);
    }

    // ---- URB phase ------------------------------------------------------------------------------

    private void urbLoop() throws IOException, ProtocolException {
        byte[] header = new byte[UsbIpProtocol.HEADER_SIZE];
        ByteBuffer h = ByteBuffer.wrap(header);
        while (true) {
            in.readFully(header);
            int command = h.getInt(0);
            int devid = h.getInt(8);
            if (command != UsbIpProtocol.CMD_SUBMIT && command != UsbIpProtocol.CMD_UNLINK) {
                throw new ProtocolException("unknown command " + command);
            }
            if (devid != exported.devid()) {
                throw new ProtocolException(String.format("devid 0x%08X was not imported", devid));
            }
            if (command == UsbIpProtocol.CMD_SUBMIT) {
                submit(h);
            } else {
                lastTraffic = server.nanoTime(); // the whole request is in (see submit)
                unlink(h.getInt(4), h.getInt(20));
            }
        }
    }

    private void submit(ByteBuffer h) throws IOException, ProtocolException {
        int seqnum = h.getInt(4);
        int direction = h.getInt(12);
        int ep = h.getInt(16);
        int flags = h.getInt(20);
        int length = h.getInt(24);
        int packets = h.getInt(32);
        int interval = h.getInt(36);
        byte[] setup = new byte[8];
        h.get(40, setup);
        if (direction != UsbIpProtocol.DIR_OUT && direction != UsbIpProtocol.DIR_IN) {
            throw new ProtocolException("bad direction " + direction);
        }
        if (ep < 0 || ep > 15) {
            throw new ProtocolException("bad endpoint number " + ep);
        }
        if (length < 0 || length > limits.maxTransferBufferLength()) {
            throw new ProtocolException("transfer_buffer_length " + Integer.toUnsignedString(length) + " outside 0.."
                    + limits.maxTransferBufferLength());
        }
        boolean hasIso = packets != 0 && packets != -1;
        if (hasIso && (packets < 0 || packets > limits.maxIsoPackets())) {
            throw new ProtocolException(
                    "number_of_packets " + Integer.toUnsignedString(packets) + " outside 0.." + limits.maxIsoPackets());
        }
        int isoCount = hasIso ? packets : 0;
        boolean isIn = direction == UsbIpProtocol.DIR_IN;
        // everything this URB allocates (its buffer, its packet arrays, later its reply) is charged first
        long charge = (long) length + (long) isoCount * ISO_PACKET_COST;
        acquire(1, charge);
        Urb u = new Urb(seqnum, isIn, ep | (isIn ? 0x80 : 0), length, isoCount, charge);
        byte[] data = new byte[length];
        if (!isIn && length > 0) {
            in.readFully(data);
        }
        for (int k = 0; k < isoCount; k++) {
            u.offsets[k] = in.readInt();
            u.lengths[k] = in.readInt();
            in.readInt(); // actual_length, unused in requests
            in.readInt(); // status, unused in requests
        }
        // a whole request, so a trickle of bytes does not keep the import alive; noted before its reply
        // can go out, so the idle time counts from the later of the two
        lastTraffic = server.nanoTime();
        synchronized (lock) {
            if (pending.containsKey(seqnum)) {
                releaseLater(u);
                throw new ProtocolException("seqnum " + seqnum + " is already pending");
            }
        }
        if (seqnum - lastSubmitted > 0) { // wraps as vhci-hcd's 32-bit counter does
            lastSubmitted = seqnum;
        }
        // nearly always empty: no boxed seqnum per URB
        Integer unlink = unlinkedBeforeSubmit.isEmpty() ? null : unlinkedBeforeSubmit.remove(seqnum);
        if (unlink != null) {
            // unlinked before it ran: only the unlink is answered, as for a pending URB cancelled in time
            LOG.debug("{}: seqnum {} was unlinked before it arrived", name, seqnum);
            synchronized (lock) {
                queue(retUnlink(unlink, UsbIpStatus.ECONNRESET, 2, u.charge));
            }
            return;
        }
        int refused = prepare(u, flags, interval, setup, data);
        if (refused != 0) {
            queueRefusal(u, refused);
            return;
        }
        synchronized (lock) {
            if (closed) { // ended meanwhile (see abort): the device is no longer this connection's
                throw new ProtocolException("closed");
            }
            pending.put(seqnum, u);
            if (u.type == TransferType.ISOCHRONOUS) {
                streamPending[index(u.address)]++;
            }
            // under the lock: a shutdown on another thread (see abort) either finds it submitted and
            // cancels it, or has closed the connection before, never a URB on a device it has released
            try {
                exported.device.submit(u.transfer);
            } catch (BackendException | RuntimeException e) {
                int status = e instanceof BackendException be ? UsbIpStatus.of(be.status()) : UsbIpStatus.EINVAL;
                LOG.debug("{}: seqnum {} refused by the device: {}", name, seqnum, e.getMessage());
                pending.remove(seqnum);
                if (u.type == TransferType.ISOCHRONOUS) {
                    streamPending[index(u.address)]--;
                }
                queueRefusal(u, status);
            }
        }
    }

    /** Fills the backend transfer; returns 0, or the status to refuse the URB with. */
    private int prepare(Urb u, int flags, int interval, byte[] setup, byte[] data) {
        int ep = u.address & 0x0F;
        TransferType type = ep == 0 ? TransferType.CONTROL : exported.endpointType(u.address);
        if (type == null) {
            return UsbIpStatus.ENOENT;
        }
        u.type = type;
        switch (type) {
            case CONTROL -> {
                if (u.isoCount > 0) {
                    return UsbIpStatus.EINVAL;
                }
                boolean setupIn = (setup[0] & 0x80) != 0;
                if (setupIn != u.in && u.length > 0) {
                    return UsbIpStatus.EINVAL;
                }
                int wLength = (setup[6] & 0xFF) | (setup[7] & 0xFF) << 8;
                u.buffer = ByteBuffer.wrap(data);
                u.transfer.control(0, setup, u.buffer, 0, Math.min(u.length, wLength));
            }
            case BULK, INTERRUPT -> {
                if (u.isoCount > 0) {
                    return UsbIpStatus.EINVAL;
                }
                u.buffer = ByteBuffer.wrap(data);
                boolean shortNotOk = u.in && (flags & UsbIpProtocol.URB_SHORT_NOT_OK) != 0;
                u.transfer.bulk(type, u.address, u.buffer, 0, u.length, shortNotOk);
            }
            case ISOCHRONOUS -> {
                return prepareIso(u, flags, interval, data);
            }
        }
        return 0;
    }

    private int prepareIso(Urb u, int flags, int interval, byte[] data) {
        if (u.isoCount == 0 || interval < 0 || interval > 1 << 15) {
            return UsbIpStatus.EINVAL;
        }
        long total = 0;
        boolean packed = true;
        for (int k = 0; k < u.isoCount; k++) {
            long off = u.offsets[k];
            long len = u.lengths[k];
            if (off < 0 || len < 0 || off + len > u.length) {
                return UsbIpStatus.EINVAL;
            }
            packed &= off == total;
            total += len;
        }
        if (total > u.length) {
            return UsbIpStatus.EINVAL;
        }
        byte[] backend = data;
        if (!packed && !u.in) {
            backend = new byte[(int) total];
            int at = 0;
            for (int k = 0; k < u.isoCount; k++) {
                System.arraycopy(data, u.offsets[k], backend, at, u.lengths[k]);
                at += u.lengths[k];
            }
        }
        u.buffer = ByteBuffer.wrap(backend);
        int period = Math.max(1, interval);
        int perFrame = exported.isHighSpeed() ? 8 : 1;
        long frames = ((long) u.isoCount * period + perFrame - 1) / perFrame;
        int i = index(u.address);
        long start;
        synchronized (lock) {
            long next = clock.currentFrame() + START_LEAD_FRAMES;
            if (streamPending[i] == 0) {
                start = next; // a new stream
            } else if (streamEnd[i] < next && (flags & UsbIpProtocol.URB_ISO_ASAP) != 0) {
                start = next; // behind: skip to the next free frame
            } else {
                start = streamEnd[i]; // continue the stream; expired packets report -EXDEV
            }
            streamEnd[i] = start + frames;
        }
        u.transfer.isochronous(u.address, u.buffer, 0, start, period, u.lengths, u.isoCount);
        return 0;
    }

    private static int index(int address) {
        return (address & 0x0F) | (address & 0x80) >>> 3;
    }

    private void unlink(int seqnum, int target) throws ProtocolException {
        acquire(1, 0);
        if (target - lastSubmitted > 0 && seqnum - target > 0) {
            // its CMD_SUBMIT is still on the way (see unlinkedBeforeSubmit); a repeated one is answered now
            if (unlinkedBeforeSubmit.putIfAbsent(target, seqnum) == null) {
                return;
            }
        }
        Urb victim = null;
        synchronized (lock) {
            Urb u = pending.get(target);
            if (u == null || u.unlinking) {
                queue(retUnlink(seqnum, 0, 1, 0));
            } else {
                u.unlinking = true;
                u.unlinkSeqnum = seqnum;
                victim = u;
            }
        }
        if (victim != null) {
            LOG.debug("{}: unlinking seqnum {}", name, target);
            exported.device.cancel(victim.transfer);
        }
    }

    private void acquire(int urbs, long bytes) throws ProtocolException {
        // at the limit the server stops reading until replies have gone out; a peer that stays there
        // without traffic meets the idle timeout, one that does not read its replies the write timeout
        if (!budget.acquire(urbs, bytes)) {
            throw new ProtocolException("closed while at the in-flight limit");
        }
    }

    /** Queues a reply for the writer; never blocks and never throws (the bus thread calls it). */
    private void queue(Reply r) {
        if (!replies.offer(r)) {
            // cannot happen: every reply holds budget, and the queue has room for the whole budget
            peers.error("{}: reply queue full", name);
            abort("reply queue full", false);
        }
    }

    /** Returns the budget of a URB that was never queued, once the connection is closing anyway. */
    private void releaseLater(Urb u) {
        budget.release(1, u.charge);
    }

    private void queueRefusal(Urb u, int status) {
        synchronized (lock) {
            queue(retSubmit(u, status, false));
        }
    }

    /** The bus thread (or a cancelling thread) reports a finished transfer. */
    private void completed(Urb u) {
        synchronized (lock) {
            pending.remove(u.seqnum);
            if (u.type == TransferType.ISOCHRONOUS) {
                streamPending[index(u.address)]--;
            }
            if (closed) {
                budget.release(u.unlinking ? 2 : 1, u.charge);
                return;
            }
            BackendTransfer t = u.transfer;
            if (u.unlinking) {
                int status = t.status() == PacketStatus.OK ? 0 : UsbIpStatus.of(t.status());
                queue(retUnlink(u.unlinkSeqnum, status, 2, u.charge));
            } else {
                int status = t.status() == PacketStatus.OK ? 0 : UsbIpStatus.of(t.status());
                queue(retSubmit(u, status, true));
            }
        }
    }

    private Reply retSubmit(Urb u, int status, boolean ran) {
        BackendTransfer t = u.transfer;
        boolean iso = u.isoCount > 0;
        int actual = 0;
        int errors = 0;
        int dataBytes = 0;
        if (ran && iso) {
            for (int k = 0; k < u.isoCount; k++) {
                actual += t.packetActual(k);
                if (t.packetStatus(k) != PacketStatus.OK) {
                    errors++;
                }
            }
            dataBytes = u.in ? actual : 0;
        } else if (ran) {
            actual = t.actualLength();
            dataBytes = u.in ? actual : 0;
        } else if (iso) {
            errors = u.isoCount;
        }
        ByteBuffer b = ByteBuffer.allocate(UsbIpProtocol.HEADER_SIZE + dataBytes + u.isoCount * 16);
        b.putInt(UsbIpProtocol.RET_SUBMIT).putInt(u.seqnum).putInt(0).putInt(0).putInt(0);
        b.putInt(status).putInt(actual);
        b.putInt(ran && iso ? (int) t.actualStartFrame() : 0);
        b.putInt(iso ? u.isoCount : 0).putInt(errors).putLong(0);
        ByteBuffer data = u.buffer;
        if (dataBytes > 0 && iso) {
            // IN data goes back to back: each packet's actual bytes, no padding (as stub_tx.c sends it)
            int slot = 0;
            for (int k = 0; k < u.isoCount; k++) {
                b.put(data.array(), data.arrayOffset() + slot, t.packetActual(k));
                slot += u.lengths[k];
            }
        } else if (dataBytes > 0) {
            b.put(data.array(), data.arrayOffset(), dataBytes);
        }
        for (int k = 0; k < u.isoCount; k++) {
            b.putInt(u.offsets[k]).putInt(u.lengths[k]);
            if (ran) {
                b.putInt(t.packetActual(k)).putInt(UsbIpStatus.of(t.packetStatus(k)));
            } else {
                b.putInt(0).putInt(status);
            }
        }
        return new Reply(b.array(), 1, u.charge);
    }

    private static Reply retUnlink(int seqnum, int status, int urbs, long charge) {
        ByteBuffer b = ByteBuffer.allocate(UsbIpProtocol.HEADER_SIZE);
        b.putInt(UsbIpProtocol.RET_UNLINK)
                .putInt(seqnum)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt(status);
        return new Reply(b.array(), urbs, charge);
    }

    // ---- writer and shutdown --------------------------------------------------------------------

    @SuppressWarnings("ReferenceEquality") // POISON is a sentinel: identity, not an equal record
    private void writeLoop() {
        OutputStream out = new BufferedOutputStream(rawOut, 64 * 1024);
        try {
            while (true) {
                Reply r = replies.take();
                if (r == POISON) {
                    break;
                }
                long t = now();
                writingSince = t;
                lastTraffic = t; // before the peer can see the reply, which may make it send again
                out.write(r.bytes());
                if (replies.isEmpty()) {
                    out.flush();
                }
                writingSince = 0;
                budget.release(r.urbs(), r.charge());
            }
            writingSince = now();
            out.flush();
            writingSince = 0;
        } catch (IOException e) {
            abort("write failed: " + e, !aborted.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            peers.error("{}: writer failed", name, e);
            abort("writer failed", false);
        } finally {
            writerDone.countDown();
        }
    }

    /**
     * Once, when the reader ends or the connection is aborted, whichever comes first: cancels what is
     * pending, frees the device, stops the writer, frees the slot.
     */
    private void shutdown() {
        if (!shutDown.compareAndSet(false, true)) {
            return;
        }
        try {
            List<Urb> left;
            ExportedDevice d;
            synchronized (lock) {
                closed = true;
                left = new ArrayList<>(pending.values());
                d = exported;
            }
            for (Urb u : left) {
                try {
                    d.device.cancel(u.transfer);
                } catch (RuntimeException e) {
                    peers.error("{}: cancelling seqnum {} failed", name, u.seqnum, e);
                }
            }
            if (d != null) {
                d.release();
            }
            if (writer != null) {
                // let the queued replies go out: the connection keeps its slot meanwhile, so the watchdog
                // aborts a peer that does not read them after the write timeout (or the server closes it)
                replies.offer(POISON);
                try {
                    writerDone.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } catch (RuntimeException e) {
            peers.error("{}: shutdown failed", name, e);
        } finally {
            budget.close();
            closeQuietly();
            if (writer != null) {
                writer.interrupt();
            }
            server.connectionEnded(this);
            LOG.debug("{}: closed", name);
            ended.countDown();
        }
    }

    /** Waits until the connection has ended (its device and slot are free). */
    void awaitEnd() throws InterruptedException {
        ended.await();
    }

    private void closeQuietly() {
        try {
            closer.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: close failed: {}", name, e.toString());
        }
    }

    /** One submitted URB. */
    private final class Urb {
        final int seqnum;
        final boolean in;
        final int address;
        final int length;
        final int isoCount;
        final long charge;
        final int[] offsets;
        final int[] lengths;
        final BackendTransfer transfer = new BackendTransfer(t -> completed(this));
        TransferType type;
        ByteBuffer buffer;
        // guarded by lock
        boolean unlinking;
        int unlinkSeqnum;

        Urb(int seqnum, boolean in, int address, int length, int isoCount, long charge) {
            this.seqnum = seqnum;
            this.in = in;
            this.address = address;
            this.length = length;
            this.isoCount = isoCount;
            this.charge = charge;
            this.offsets = new int[isoCount];
            this.lengths = new int[isoCount];
        }
    }

    /** URBs and bytes a connection may hold at once. */
    private static final class Budget {
        private final int maxUrbs;
        private final long maxBytes;
        private int urbs;
        private long bytes;
        private boolean closed;

        Budget(int maxUrbs, long maxBytes) {
            this.maxUrbs = maxUrbs;
            this.maxBytes = maxBytes;
        }

        /** Waits for room; {@code false} once closed (or interrupted). */
        synchronized boolean acquire(int n, long b) {
            while (!closed && (urbs + n > maxUrbs || (bytes + b > maxBytes && bytes > 0))) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (closed) {
                return false;
            }
            urbs += n;
            bytes += b;
            return true;
        }

        synchronized long bytes() {
            return bytes;
        }

        synchronized void release(int n, long b) {
            urbs -= n;
            bytes -= b;
            notifyAll();
        }

        synchronized void close() {
            closed = true;
            notifyAll();
        }
    }
}
