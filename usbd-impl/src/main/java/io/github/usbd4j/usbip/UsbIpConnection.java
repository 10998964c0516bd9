package io.github.usbd4j.usbip;

import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One USB/IP connection: the OP_* handshake, then, after a successful import, the URB phase. The
 * calling thread reads requests; a writer thread sends replies; transfers complete on the simulator's
 * bus thread, which only builds a reply and queues it. Every queued reply holds a share of the
 * connection's in-flight budget (URB count and bytes), released once it is written, so the queue,
 * the pending URBs and their buffers stay bounded.
 */
final class UsbIpConnection {
    /**
     * How far ahead of the bus a new or fallen-behind isochronous stream starts. One frame was too little:
     * a server thread delayed between reading the clock and submitting (a loaded host, a guest under
     * emulation) found its first packets already past. USB/IP is not frame-accurate (vhci-hcd does not
     * pace by frame), so the margin costs nothing a client can observe but latency.
     */
    private static final int START_LEAD_FRAMES = 8;

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
    private final BusClock clock;
    private final String name;
    private final DataInputStream in;
    private final OutputStream rawOut;
    private final Closeable closer;
    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private final Budget budget;

    private final Object lock = new Object();
    // guarded by lock
    private final Map<Integer, Urb> pending = new HashMap<>();
    private final long[] streamEnd = new long[32];
    private final int[] streamPending = new int[32];
    private boolean closed;

    private volatile ExportedDevice exported;
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean aborted;

    UsbIpConnection(UsbIpServer server, String name, InputStream in, OutputStream out, Closeable closer) {
        this.server = server;
        this.limits = server.limits();
        this.clock = server.clock();
        this.name = name;
        this.in = new DataInputStream(in);
        this.rawOut = out;
        this.closer = closer;
        this.budget = new Budget(limits.maxUrbsInFlight(), limits.maxBytesInFlight());
    }

    String name() {
        return name;
    }

    /** Serves the connection until it ends; never throws. */
    void run() {
        Thread writer = new Thread(this::writeLoop, "usbip-tx-" + name);
        writer.setDaemon(true);
        writer.start();
        try {
            handshake();
            if (exported != null) {
                urbLoop();
            }
        } catch (EOFException e) {
            LOG.debug("{}: peer closed the connection", name);
        } catch (ProtocolException e) {
            LOG.warn("{}: closing: {}", name, e.getMessage());
        } catch (IOException e) {
            if (aborted) {
                LOG.debug("{}: aborted: {}", name, e.toString());
            } else {
                LOG.info("{}: I/O error: {}", name, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.error("{}: unexpected failure, closing", name, e);
        } finally {
            shutdown(writer);
        }
    }

    /** Whether the watchdog should end this connection now. */
    boolean idleExpired(long now) {
        long limit = exported == null ? limits.handshakeTimeoutNanos() : limits.idleTimeoutNanos();
        return limit > 0 && now - lastActivity > limit;
    }

    /** Ends the connection from another thread: the streams are closed, the reader fails. */
    void abort(String why) {
        if (aborted) {
            return;
        }
        aborted = true;
        LOG.info("{}: closing: {}", name, why);
        closeQuietly();
        budget.close();
        replies.add(POISON);
    }

    // ---- handshake ------------------------------------------------------------------------------

    private void handshake() throws IOException, ProtocolException {
        while (exported == null) {
            int version = in.readUnsignedShort();
            int code = in.readUnsignedShort();
            in.readInt(); // status, unused in requests
            if (version != UsbIpProtocol.VERSION) {
                throw new ProtocolException(String.format("unsupported protocol version 0x%04X", version));
            }
            switch (code) {
                case UsbIpProtocol.OP_REQ_DEVLIST -> {
                    touch();
                    sendDevlist();
                }
                case UsbIpProtocol.OP_REQ_IMPORT -> {
                    byte[] id = new byte[UsbIpProtocol.BUSID_SIZE];
                    in.readFully(id);
                    touch();
                    if (!importDevice(busId(id))) {
                        return;
                    }
                }
                default -> throw new ProtocolException(String.format("unknown operation 0x%04X", code));
            }
        }
    }

    private static String busId(byte[] id) {
        int n = 0;
        while (n < id.length && id[n] != 0) {
            n++;
        }
        return new String(id, 0, n, StandardCharsets.US_ASCII);
    }

    private void sendDevlist() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            List<ExportedDevice> devices = server.exportedDevices();
            out.writeShort(UsbIpProtocol.VERSION);
            out.writeShort(UsbIpProtocol.OP_REP_DEVLIST);
            out.writeInt(UsbIpProtocol.ST_OK);
            out.writeInt(devices.size());
            for (ExportedDevice d : devices) {
                List<ExportedDevice.Interface> ifs = d.interfaces();
                d.writeUsbDevice(out);
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
        replies.add(new Reply(bytes.toByteArray(), 0, 0));
        LOG.debug("{}: device list sent", name);
    }

    private boolean importDevice(String busId) {
        ExportedDevice d = server.find(busId);
        boolean ok = d != null && d.tryImport();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeShort(UsbIpProtocol.VERSION);
            out.writeShort(UsbIpProtocol.OP_REP_IMPORT);
            out.writeInt(ok ? UsbIpProtocol.ST_OK : UsbIpProtocol.ST_NA);
            if (ok) {
                d.writeUsbDevice(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (ok) {
            exported = d;
            LOG.info("{}: imported {}", name, d);
        } else {
            LOG.info("{}: import of '{}' refused ({})", name, busId, d == null ? "no such device" : "busy");
        }
        replies.add(new Reply(bytes.toByteArray(), 0, 0));
        return ok;
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
                unlink(h.getInt(4), h.getInt(20));
            }
            touch();
        }
    }

    private void touch() {
        lastActivity = System.nanoTime();
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
        long charge = (long) length + (long) isoCount * UsbIpProtocol.ISO_DESCRIPTOR_SIZE;
        acquire(1, charge);
        Urb u = new Urb(seqnum, isIn, ep | (isIn ? 0x80 : 0), length, isoCount, charge);
        byte[] data = new byte[length];
        if (!isIn && length > 0) {
            in.readFully(data);
        }
        if (hasIso) {
            byte[] d = new byte[isoCount * UsbIpProtocol.ISO_DESCRIPTOR_SIZE];
            in.readFully(d);
            ByteBuffer b = ByteBuffer.wrap(d);
            for (int k = 0; k < isoCount; k++) {
                u.offsets[k] = b.getInt(k * 16);
                u.lengths[k] = b.getInt(k * 16 + 4);
            }
        }
        synchronized (lock) {
            if (pending.containsKey(seqnum)) {
                releaseLater(u);
                throw new ProtocolException("seqnum " + seqnum + " is already pending");
            }
        }
        int refused = prepare(u, flags, interval, setup, data);
        if (refused != 0) {
            queueRefusal(u, refused);
            return;
        }
        synchronized (lock) {
            pending.put(seqnum, u);
            if (u.type == TransferType.ISOCHRONOUS) {
                streamPending[index(u.address)]++;
            }
        }
        try {
            exported.device.submit(u.transfer);
        } catch (BackendException | RuntimeException e) {
            int status = e instanceof BackendException be ? UsbIpStatus.of(be.status()) : UsbIpStatus.EINVAL;
            LOG.debug("{}: seqnum {} refused by the device: {}", name, seqnum, e.getMessage());
            synchronized (lock) {
                pending.remove(seqnum);
                if (u.type == TransferType.ISOCHRONOUS) {
                    streamPending[index(u.address)]--;
                }
            }
            queueRefusal(u, status);
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
        Urb victim = null;
        synchronized (lock) {
            Urb u = pending.get(target);
            if (u == null || u.unlinking) {
                replies.add(retUnlink(seqnum, 0, 1, 0));
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
        // at the limit the server stops reading; a peer that stays there (or left) is dropped
        if (!budget.acquire(urbs, bytes, limits.handshakeTimeoutNanos())) {
            throw new ProtocolException("in-flight limit (" + limits.maxUrbsInFlight() + " URBs, "
                    + limits.maxBytesInFlight() + " bytes) reached for too long");
        }
    }

    /** Returns the budget of a URB that was never queued, once the connection is closing anyway. */
    private void releaseLater(Urb u) {
        budget.release(1, u.charge);
    }

    private void queueRefusal(Urb u, int status) {
        synchronized (lock) {
            replies.add(retSubmit(u, status, false));
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
                replies.add(retUnlink(u.unlinkSeqnum, status, 2, u.charge));
            } else {
                int status = t.status() == PacketStatus.OK ? 0 : UsbIpStatus.of(t.status());
                replies.add(retSubmit(u, status, true));
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
                out.write(r.bytes());
                budget.release(r.urbs(), r.charge());
                if (replies.isEmpty()) {
                    out.flush();
                }
            }
            out.flush();
        } catch (IOException e) {
            abort("write failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("{}: writer failed", name, e);
            abort("writer failed");
        }
    }

    private void shutdown(Thread writer) {
        List<Urb> left;
        synchronized (lock) {
            closed = true;
            left = new ArrayList<>(pending.values());
        }
        ExportedDevice d = exported;
        for (Urb u : left) {
            try {
                d.device.cancel(u.transfer);
            } catch (RuntimeException e) {
                LOG.warn("{}: cancelling seqnum {} failed", name, u.seqnum, e);
            }
        }
        if (d != null) {
            d.release();
        }
        // let queued replies (e.g. an import refusal) go out, then stop the writer
        replies.add(POISON);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        budget.close();
        closeQuietly();
        writer.interrupt();
        server.connectionEnded(this);
        LOG.debug("{}: closed", name);
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

        /** Waits for room at most {@code timeoutNanos}; {@code false} on timeout or close. */
        synchronized boolean acquire(int n, long b, long timeoutNanos) {
            long deadline = System.nanoTime() + timeoutNanos;
            while (!closed && (urbs + n > maxUrbs || (bytes + b > maxBytes && bytes > 0))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
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
