package io.github.usbd4j.capture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a classic little-endian pcap of usbmon records (link type 220) record by record, so that a test
 * can build captures no real device would give: inconsistent descriptors, answers longer than asked,
 * error statuses, completions before their submissions, repeated URB ids.
 */
public final class SyntheticCapture {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final int bus;
    private final int device;
    private long micros = 1_000_000;
    private long nextId = 0x1000;

    public SyntheticCapture(int bus, int device) {
        this.bus = bus;
        this.device = device;
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0);
        h.putInt(1 << 20).putInt(Usbmon.LINKTYPE_USB_LINUX_MMAPPED);
        bytes.writeBytes(h.array());
    }

    /** A fresh URB id. */
    public long id() {
        return nextId += 0x40;
    }

    /** Moves the capture's clock on. */
    public SyntheticCapture after(long micros) {
        this.micros += micros;
        return this;
    }

    /** A control transfer: its submission and completion, the answer {@code in} bytes for an IN request. */
    public SyntheticCapture control(byte[] setup, int status, byte[] in) {
        long id = id();
        record(
                id,
                Usbmon.SUBMIT,
                Usbmon.XFER_CONTROL,
                (setup[0] & 0x80) | 0,
                setup,
                0,
                wLength(setup),
                new byte[0],
                null);
        record(id, Usbmon.COMPLETE, Usbmon.XFER_CONTROL, (setup[0] & 0x80), null, status, in.length, in, null);
        return this;
    }

    /** A GET_DESCRIPTOR of the device, answered with {@code answer}. */
    public SyntheticCapture getDescriptor(int type, int index, byte[] answer) {
        byte[] setup = {
            (byte) 0x80, 6, (byte) index, (byte) type, 0, 0, (byte) answer.length, (byte) (answer.length >> 8)
        };
        return control(setup, 0, answer);
    }

    /** A bulk or interrupt IN transfer that completed with {@code status} and {@code data}. */
    public SyntheticCapture in(int xfer, int endpoint, int status, byte[] data) {
        long id = id();
        record(id, Usbmon.SUBMIT, xfer, endpoint, null, -115, data.length, new byte[0], null);
        record(id, Usbmon.COMPLETE, xfer, endpoint, null, status, data.length, data, null);
        return this;
    }

    /** An isochronous IN transfer: packet k carries {@code packets[k]} bytes with {@code statuses[k]}. */
    public SyntheticCapture iso(int endpoint, byte[][] packets, int[] statuses) {
        long id = id();
        int[][] iso = new int[packets.length][];
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (int k = 0; k < packets.length; k++) {
            iso[k] = new int[] {statuses[k], data.size(), packets[k].length};
            data.writeBytes(packets[k]);
        }
        int[][] submitted = new int[packets.length][];
        for (int k = 0; k < packets.length; k++) {
            submitted[k] = new int[] {-18, iso[k][1], iso[k][2]};
        }
        record(id, Usbmon.SUBMIT, Usbmon.XFER_ISOCHRONOUS, endpoint, null, -115, data.size(), new byte[0], submitted);
        record(id, Usbmon.COMPLETE, Usbmon.XFER_ISOCHRONOUS, endpoint, null, 0, data.size(), data.toByteArray(), iso);
        return this;
    }

    /**
     * One raw record. {@code iso} holds {status, offset, length} per packet (isochronous only); {@code setup}
     * is written for a control submission.
     */
    public SyntheticCapture record(
            long id,
            char type,
            int xfer,
            int endpoint,
            byte[] setup,
            int status,
            int length,
            byte[] data,
            int[][] iso) {
        int descs = iso == null ? 0 : iso.length;
        ByteBuffer u = ByteBuffer.allocate(64 + 16 * descs + data.length).order(ByteOrder.LITTLE_ENDIAN);
        u.putLong(id).put((byte) type).put((byte) xfer).put((byte) endpoint).put((byte) device);
        u.putShort((short) bus).put((byte) (setup != null ? 0 : '-')).put((byte) (data.length > 0 ? 0 : '<'));
        u.putLong(micros / 1_000_000).putInt((int) (micros % 1_000_000)).putInt(status);
        u.putInt(length).putInt(16 * descs + data.length);
        if (setup != null) {
            u.put(setup);
        } else {
            u.putInt(0).putInt(descs);
        }
        u.putInt(xfer == Usbmon.XFER_ISOCHRONOUS ? 1 : 0).putInt(0).putInt(0).putInt(descs);
        for (int k = 0; k < descs; k++) {
            u.putInt(iso[k][0]).putInt(iso[k][1]).putInt(iso[k][2]).putInt(0);
        }
        u.put(data);
        ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000));
        r.putInt(u.capacity()).putInt(u.capacity());
        bytes.writeBytes(r.array());
        bytes.writeBytes(u.array());
        micros += 125;
        return this;
    }

    private static int wLength(byte[] setup) {
        return (setup[6] & 0xFF) | (setup[7] & 0xFF) << 8;
    }

    public long size() {
        return bytes.size();
    }

    public Path write(Path file) throws IOException {
        Files.write(file, bytes.toByteArray());
        return file;
    }
}
