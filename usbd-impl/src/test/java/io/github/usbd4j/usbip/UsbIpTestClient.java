package io.github.usbd4j.usbip;

import io.github.usbd4j.sim.Uac1Microphone;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A minimal USB/IP client (the vhci side), big-endian, written from the protocol description. */
final class UsbIpTestClient implements Closeable {
    static final int VERSION = 0x0111;

    /** GET_STATUS of the device: a control request every device answers with 2 bytes. */
    static final byte[] GET_STATUS = {(byte) 0x80, 0, 0, 0, 0, 0, 2, 0};

    /** A setup packet. */
    static byte[] setup(int type, int request, int value, int index, int length) {
        return new byte[] {
            (byte) type,
            (byte) request,
            (byte) value,
            (byte) (value >> 8),
            (byte) index,
            (byte) (index >> 8),
            (byte) length,
            (byte) (length >> 8)
        };
    }

    /** A usb_device record plus its interface triples. */
    record Device(
            String busId,
            int busnum,
            int devnum,
            int speed,
            int vendor,
            int product,
            int bcdDevice,
            int deviceClass,
            int configurationValue,
            int numConfigurations,
            int numInterfaces,
            List<int[]> interfaces) {
        int devid() {
            return busnum << 16 | devnum;
        }
    }

    /** A RET_SUBMIT or RET_UNLINK; {@code closed} when the server closed the connection. */
    @SuppressWarnings("ArrayRecordComponent") // read field by field, never compared whole
    record Reply(
            int command,
            int seqnum,
            int status,
            int actualLength,
            int startFrame,
            int packets,
            int errorCount,
            byte[] data,
            int[][] iso,
            boolean closed) {}

    static final Reply CLOSED = new Reply(0, 0, 0, 0, 0, 0, 0, new byte[0], new int[0][], true);

    private final Closeable resource;
    final DataInputStream in;
    final DataOutputStream out;
    private final Map<Integer, Boolean> directionIn = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private Thread reader;

    UsbIpTestClient(InputStream in, OutputStream out, Closeable resource) {
        this.in = new DataInputStream(in);
        this.out = new DataOutputStream(out);
        this.resource = resource;
    }

    static UsbIpTestClient connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        s.setSoTimeout(10_000);
        return new UsbIpTestClient(s.getInputStream(), s.getOutputStream(), s);
    }

    /** Connects to {@code server:port} from the local address {@code from} (e.g. 127.0.0.2). */
    static UsbIpTestClient connect(InetAddress server, int port, InetAddress from) throws IOException {
        Socket s = new Socket(server, port, from, 0);
        s.setSoTimeout(10_000);
        return new UsbIpTestClient(s.getInputStream(), s.getOutputStream(), s);
    }

    void sendOp(int version, int code) throws IOException {
        out.writeShort(version);
        out.writeShort(code);
        out.writeInt(0);
    }

    List<Device> devlist() throws IOException {
        sendOp(VERSION, 0x8005);
        out.flush();
        int version = in.readUnsignedShort();
        int code = in.readUnsignedShort();
        int status = in.readInt();
        if (version != VERSION || code != 0x0005 || status != 0) {
            throw new IOException("bad OP_REP_DEVLIST " + version + " " + code + " " + status);
        }
        int n = in.readInt();
        List<Device> result = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            result.add(readDevice(true));
        }
        return result;
    }

    /** Imports; returns the device, or null if the server refused (status != 0). */
    Device importDevice(String busId) throws IOException {
        return importDevice(busId, true);
    }

    /**
     * Imports; returns the device, or null if the server refused (status != 0). Without {@code reader}
     * nothing reads the replies that follow (a peer that does not read).
     */
    Device importDevice(String busId, boolean reader) throws IOException {
        sendOp(VERSION, 0x8003);
        byte[] id = new byte[32];
        byte[] b = busId.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, id, 0, b.length);
        out.write(id);
        out.flush();
        int version = in.readUnsignedShort();
        int code = in.readUnsignedShort();
        int status = in.readInt();
        if (version != VERSION || code != 0x0003) {
            throw new IOException("bad OP_REP_IMPORT " + version + " " + code);
        }
        if (status != 0) {
            return null;
        }
        Device d = readDevice(false);
        if (reader) {
            startReader();
        }
        return d;
    }

    private Device readDevice(boolean withInterfaces) throws IOException {
        in.readFully(new byte[256]);
        byte[] id = new byte[32];
        in.readFully(id);
        int len = 0;
        while (id[len] != 0) {
            len++;
        }
        int busnum = in.readInt();
        int devnum = in.readInt();
        int speed = in.readInt();
        int vendor = in.readUnsignedShort();
        int product = in.readUnsignedShort();
        int bcd = in.readUnsignedShort();
        int cls = in.readUnsignedByte();
        in.readUnsignedByte();
        in.readUnsignedByte();
        int config = in.readUnsignedByte();
        int numConfigs = in.readUnsignedByte();
        int numIfs = in.readUnsignedByte();
        List<int[]> ifs = new ArrayList<>();
        if (withInterfaces) {
            for (int i = 0; i < numIfs; i++) {
                ifs.add(new int[] {in.readUnsignedByte(), in.readUnsignedByte(), in.readUnsignedByte()});
                in.readUnsignedByte();
            }
        }
        return new Device(
                new String(id, 0, len, StandardCharsets.US_ASCII),
                busnum,
                devnum,
                speed,
                vendor,
                product,
                bcd,
                cls,
                config,
                numConfigs,
                numIfs,
                ifs);
    }

    /** Writes a raw CMD_SUBMIT (everything caller-controlled, for hostile tests too). */
    void submit(
            int seqnum,
            int devid,
            int direction,
            int ep,
            int flags,
            int length,
            int packets,
            int interval,
            byte[] setup,
            byte[] outData,
            int[][] iso)
            throws IOException {
        directionIn.put(seqnum, direction == 1);
        out.writeInt(1);
        out.writeInt(seqnum);
        out.writeInt(devid);
        out.writeInt(direction);
        out.writeInt(ep);
        out.writeInt(flags);
        out.writeInt(length);
        out.writeInt(0);
        out.writeInt(packets);
        out.writeInt(interval);
        out.write(setup == null ? new byte[8] : setup);
        if (outData != null) {
            out.write(outData);
        }
        if (iso != null) {
            for (int[] d : iso) {
                out.writeInt(d[0]);
                out.writeInt(d[1]);
                out.writeInt(0);
                out.writeInt(0);
            }
        }
        out.flush();
    }

    void control(int seqnum, int devid, byte[] setup, byte[] outData) throws IOException {
        boolean isIn = (setup[0] & 0x80) != 0;
        int wLength = (setup[6] & 0xFF) | (setup[7] & 0xFF) << 8;
        submit(seqnum, devid, isIn ? 1 : 0, 0, 0, wLength, 0, 0, setup, isIn ? null : outData, null);
    }

    /** An iso URB with packets back to back. */
    void iso(int seqnum, int devid, int ep, boolean isIn, int[] lengths, byte[] outData) throws IOException {
        int[][] d = new int[lengths.length][];
        int off = 0;
        for (int k = 0; k < lengths.length; k++) {
            d[k] = new int[] {off, lengths[k]};
            off += lengths[k];
        }
        submit(seqnum, devid, isIn ? 1 : 0, ep, 0x0002, off, lengths.length, 1, null, isIn ? null : outData, d);
    }

    void unlink(int seqnum, int devid, int target) throws IOException {
        out.writeInt(2);
        out.writeInt(seqnum);
        out.writeInt(devid);
        out.writeInt(0);
        out.writeInt(0);
        out.writeInt(target);
        out.write(new byte[24]);
        out.flush();
    }

    private void startReader() {
        reader = new Thread(this::readLoop, "usbip-test-client");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        try {
            while (true) {
                replies.add(readReply());
            }
        } catch (IOException e) {
            replies.add(CLOSED);
        }
    }

    private Reply readReply() throws IOException {
        int command = in.readInt();
        int seqnum = in.readInt();
        in.readInt();
        in.readInt();
        in.readInt();
        int status = in.readInt();
        int actual = in.readInt();
        int startFrame = in.readInt();
        int packets = in.readInt();
        int errors = in.readInt();
        in.readLong();
        if (command == 4) {
            return new Reply(command, seqnum, status, 0, 0, 0, 0, new byte[0], new int[0][], false);
        }
        if (command != 3) {
            throw new IOException("unexpected command " + command);
        }
        byte[] data = new byte[Boolean.TRUE.equals(directionIn.get(seqnum)) ? actual : 0];
        in.readFully(data);
        int[][] iso = new int[packets][4];
        for (int k = 0; k < packets; k++) {
            for (int j = 0; j < 4; j++) {
                iso[k][j] = in.readInt();
            }
        }
        return new Reply(command, seqnum, status, actual, startFrame, packets, errors, data, iso, false);
    }

    /** The next reply, or null if none came within the wait. */
    /**
     * Selects the streaming alternate setting of the simulated UAC1 microphone imported as {@code devid}
     * (SET_INTERFACE 1/1, which must succeed) and asks for its next 16 isochronous IN packets on endpoint 1.
     *
     * @return the reply to the isochronous request, {@code null} if none came within 10 s
     */
    Reply readMicrophonePackets(int devid) throws IOException, InterruptedException {
        control(1, devid, new byte[] {0x01, 11, 1, 0, 1, 0, 0, 0}, new byte[0]);
        Reply set = poll(10_000);
        if (set == null || set.status() != 0) {
            throw new AssertionError("SET_INTERFACE 1/1 failed: " + (set == null ? "no reply" : set.status()));
        }
        int[] lengths = new int[16];
        Arrays.fill(lengths, Uac1Microphone.BYTES_PER_FRAME);
        iso(2, devid, 1, true, lengths, null);
        return poll(10_000);
    }

    Reply poll(long millis) throws InterruptedException {
        return replies.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** For a connection closed during the handshake: true when the server closed it (EOF). */
    boolean closedByServer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain whatever came before the close (e.g. a refusal)
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    /** Closes the connection and waits (10 s at most) for the reader thread, so that no client thread outlives it. */
    @Override
    public void close() throws IOException {
        resource.close();
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            try {
                r.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
