package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A vendor-specific source/sink loopback device, 0x1209:0x0001, full- or high-speed.
 *
 * <p>Configuration 1, interface 0 (class 0xFF), isochronous:
 *
 * <table>
 *   <caption>alternate settings of interface 0</caption>
 *   <tr><th>alt</th><th>full speed</th><th>high speed</th></tr>
 *   <tr><td>0</td><td colspan="2">no endpoints</td></tr>
 *   <tr><td>1</td><td>0x01 OUT + 0x81 IN, 512 bytes each (both fit the 90 % budget), bInterval 1</td>
 *       <td>0x01 OUT + 0x81 IN, 1024 bytes, bInterval 1</td></tr>
 *   <tr><td>2</td><td>as alt 1, bInterval 4 (every 8 frames)</td>
 *       <td>0x01 + 0x81 high bandwidth 3 × 1024 ({@code wMaxPacketSize 0x1400}), bInterval 1</td></tr>
 *   <tr><td>3</td><td>-</td><td>0x01 + 0x81, 1024 bytes, bInterval 4 (every 8 microframes)</td></tr>
 * </table>
 *
 * <p>Interface 1 (class 0xFF): bulk OUT 0x02 and bulk IN 0x82 (64 bytes at full speed, 512 at high).
 *
 * <p>Interface 2 (class 0xFF): interrupt OUT 0x03 and interrupt IN 0x83, 8 bytes every frame at full speed,
 * 64 bytes every 8 microframes at high speed.
 *
 * <p><b>Data rule.</b> Isochronous: every OUT packet is queued whole (a zero-length one too); an IN
 * packet returns the oldest queued packet whole — longer than the host asked for, it babbles — or, when
 * nothing is queued, {@code maxLength} bytes of {@link #pattern(long, int, int)}. Bulk and interrupt: OUT
 * bytes go into a byte FIFO (one per type); an IN packet returns up to its length from it, and NAKs while it
 * is empty. Queues hold 64 KiB; what does not fit is dropped.
 *
 * <p>Vendor requests to the device: {@link #REQUEST_RESET} (OUT, no data) empties every queue and zeroes
 * the counters; {@link #REQUEST_COUNTERS} (IN, 16 bytes) returns iso OUT bytes, iso IN bytes, bulk OUT
 * bytes, bulk IN bytes, each a little-endian 32-bit value.
 */
public final class LoopbackDevice extends DeviceModel {
    /** pid.codes test VID. */
    public static final int VENDOR_ID = 0x1209;
    /** Product ID. */
    public static final int PRODUCT_ID = 0x0001;
    /** Vendor request: empty the queues, zero the counters. */
    public static final int REQUEST_RESET = 0x01;
    /** Vendor request: read the four byte counters. */
    public static final int REQUEST_COUNTERS = 0x02;

    private static final int CAPACITY = 64 * 1024;
    /** The largest isochronous packet (high-speed high bandwidth, 3 x 1024). */
    private static final int MAX_ISO_PACKET = 3 * 1024;
    /**
     * {@code PATTERN[j] = (byte) j}: the pattern packet that starts with byte {@code b} is
     * {@code PATTERN[b .. b+length)}, written with one bulk copy.
     */
    private static final byte[] PATTERN = new byte[256 + MAX_ISO_PACKET];

    static {
        for (int j = 0; j < PATTERN.length; j++) {
            PATTERN[j] = (byte) j;
        }
    }

    private static final int ISO_OUT = 0;
    private static final int ISO_IN = 1;
    private static final int BULK_OUT = 2;
    private static final int BULK_IN = 3;
    private static final int ISO_QUEUED = 4;

    private final UsbSpeed speed;
    // The queues are touched only from the bus (handlers and control requests run one at a time, on the
    // thread advancing the bus, under the controller's lock); the counters are published with release
    // stores for readers on other threads, so the data path takes no lock of its own.
    private final Fifo iso = new Fifo();
    private final Fifo bulk = new Fifo();
    private final Fifo interrupt = new Fifo();
    private final int[] isoLengths = new int[4096];
    private int isoHead;
    private int isoCount;
    private final AtomicLongArray counters = new AtomicLongArray(5);

    private final EndpointHandler isoOutHandler = new EndpointHandler() {
        @Override
        public void out(long frame, int microframe, ByteBuffer data) {
            isoOut(data);
        }
    };
    private final EndpointHandler isoInHandler = new EndpointHandler() {
        @Override
        public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
            return isoIn(frame, microframe, dest, maxLength);
        }
    };
    private final EndpointHandler bulkOutHandler = new EndpointHandler() {
        @Override
        public void out(long frame, int microframe, ByteBuffer data) {
            bulkOut(data);
        }
    };
    private final EndpointHandler bulkInHandler = new EndpointHandler() {
        @Override
        public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
            return bulkIn(dest, maxLength);
        }
    };

    private final EndpointHandler interruptOutHandler = new EndpointHandler() {
        @Override
        public void out(long frame, int microframe, ByteBuffer data) {
            interruptOut(data);
        }
    };
    private final EndpointHandler interruptInHandler = new EndpointHandler() {
        @Override
        public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
            return interruptIn(dest, maxLength);
        }
    };

    private LoopbackDevice(UsbSpeed speed) {
        this.speed = speed;
    }

    /** The full-speed variant. */
    public static LoopbackDevice fullSpeed() {
        return new LoopbackDevice(UsbSpeed.FULL);
    }

    /** The high-speed variant. */
    public static LoopbackDevice highSpeed() {
        return new LoopbackDevice(UsbSpeed.HIGH);
    }

    /**
     * Byte {@code index} of the IN packet the device sends in {@code (frame, microframe)} while its
     * isochronous queue is empty: the low 8 bits of {@code frame * 8 + microframe + index}.
     *
     * @param frame the bus frame
     * @param microframe the microframe, 0 at full speed
     * @param index the byte's position in the packet
     * @return the byte
     */
    public static byte pattern(long frame, int microframe, int index) {
        return (byte) (frame * 8 + microframe + index);
    }

    @Override
    public UsbSpeed speed() {
        return speed;
    }

    @Override
    public UsbDeviceDescriptor deviceDescriptor() {
        return new UsbDeviceDescriptor(18, 1, 0x0200, 0xFF, 0, 0, 64, VENDOR_ID, PRODUCT_ID, 0x0100, 1, 2, 3, 1);
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        boolean hs = speed == UsbSpeed.HIGH;
        int iso = hs ? 1024 : 512; // FS: OUT + IN of 1023 would exceed the 90 % periodic budget together
        ConfigurationBuilder c = ConfigurationBuilder.configuration(1, 0x80, 50) // bus-powered, 100 mA
                .iface(0, 0, 0xFF, 0, 0);
        isoAlt(c, 1, iso, 1);
        if (hs) {
            isoAlt(c, 2, 0x1400, 1);
            isoAlt(c, 3, iso, 4);
        } else {
            isoAlt(c, 2, iso, 4);
        }
        int bulkSize = hs ? 512 : 64;
        c.iface(1, 0, 0xFF, 0, 0)
                .endpoint(0x02, Usb100.USB_ENDPOINT_TYPE_BULK, bulkSize, 0)
                .endpoint(0x82, Usb100.USB_ENDPOINT_TYPE_BULK, bulkSize, 0);
        int interruptSize = hs ? 64 : 8;
        int interruptInterval = hs ? 4 : 1; // every 1 ms: 2^(4-1) microframes at high speed
        c.iface(2, 0, 0xFF, 0, 0)
                .endpoint(0x03, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, interruptSize, interruptInterval)
                .endpoint(0x83, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, interruptSize, interruptInterval);
        return List.of(c.build());
    }

    private static void isoAlt(ConfigurationBuilder c, int alt, int wMaxPacketSize, int bInterval) {
        c.iface(0, alt, 0xFF, 0, 0)
                .endpoint(0x01, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS | 0x04, wMaxPacketSize, bInterval)
                .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS | 0x04, wMaxPacketSize, bInterval);
    }

    @Override
    public String string(int index) {
        return switch (index) {
            case 1 -> "usbd4j";
            case 2 -> "Loopback " + (speed == UsbSpeed.HIGH ? "HS" : "FS");
            case 3 -> "0001";
            default -> null;
        };
    }

    @Override
    public ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
        if (setup.type() != Usb100.USB_REQUEST_VENDOR) {
            return ControlResponse.stall();
        }
        if (setup.bRequest() == REQUEST_RESET && !setup.isDeviceToHost()) {
            iso.clear();
            bulk.clear();
            interrupt.clear();
            isoHead = 0;
            isoCount = 0;
            for (int i = 0; i < counters.length(); i++) {
                counters.set(i, 0);
            }
            return ControlResponse.ack();
        }
        if (setup.bRequest() == REQUEST_COUNTERS && setup.isDeviceToHost()) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) counters.get(ISO_OUT))
                    .putInt((int) counters.get(ISO_IN))
                    .putInt((int) counters.get(BULK_OUT))
                    .putInt((int) counters.get(BULK_IN));
            return ControlResponse.data(b.array());
        }
        return ControlResponse.stall();
    }

    @Override
    public EndpointHandler endpoint(int address) {
        return switch (address) {
            case 0x01 -> isoOutHandler;
            case 0x81 -> isoInHandler;
            case 0x02 -> bulkOutHandler;
            case 0x82 -> bulkInHandler;
            case 0x03 -> interruptOutHandler;
            case 0x83 -> interruptInHandler;
            default -> null;
        };
    }

    /** Isochronous OUT bytes received. */
    public long isoBytesOut() {
        return counters.get(ISO_OUT);
    }

    /** Isochronous IN bytes sent (queued data and pattern). */
    public long isoBytesIn() {
        return counters.get(ISO_IN);
    }

    /** Bulk OUT bytes received. */
    public long bulkBytesOut() {
        return counters.get(BULK_OUT);
    }

    /** Bulk IN bytes sent. */
    public long bulkBytesIn() {
        return counters.get(BULK_IN);
    }

    /** Isochronous packets queued and not yet looped back. */
    public int isoPacketsQueued() {
        return (int) counters.get(ISO_QUEUED);
    }

    /** Adds to a counter; only the bus thread writes them, so a release store suffices. */
    private void count(int counter, long delta) {
        counters.lazySet(counter, counters.get(counter) + delta);
    }

    private void isoOut(ByteBuffer data) {
        int n = data.remaining();
        count(ISO_OUT, n);
        if (isoCount == isoLengths.length || iso.free() < n) {
            return;
        }
        iso.write(data);
        isoLengths[(isoHead + isoCount++) % isoLengths.length] = n;
        counters.lazySet(ISO_QUEUED, isoCount);
    }

    private int isoIn(long frame, int microframe, ByteBuffer dest, int maxLength) {
        if (isoCount == 0) {
            int n = Math.min(maxLength, MAX_ISO_PACKET);
            dest.put(PATTERN, (int) ((frame * 8 + microframe) & 0xFF), n);
            for (int i = n; i < maxLength; i++) { // beyond any endpoint of this device; kept for the rule
                dest.put(pattern(frame, microframe, i));
            }
            count(ISO_IN, maxLength);
            return maxLength;
        }
        int n = isoLengths[isoHead];
        isoHead = (isoHead + 1) % isoLengths.length;
        isoCount--;
        counters.lazySet(ISO_QUEUED, isoCount);
        iso.read(dest, Math.min(n, maxLength));
        iso.skip(n - Math.min(n, maxLength));
        count(ISO_IN, n);
        return n;
    }

    private void bulkOut(ByteBuffer data) {
        count(BULK_OUT, data.remaining());
        if (bulk.free() >= data.remaining()) {
            bulk.write(data);
        }
    }

    private int bulkIn(ByteBuffer dest, int maxLength) {
        if (bulk.size() == 0) {
            return EndpointHandler.NAK;
        }
        int n = Math.min(bulk.size(), maxLength);
        bulk.read(dest, n);
        count(BULK_IN, n);
        return n;
    }

    private synchronized void interruptOut(ByteBuffer data) {
        if (interrupt.free() >= data.remaining()) {
            interrupt.write(data);
        }
    }

    private synchronized int interruptIn(ByteBuffer dest, int maxLength) {
        if (interrupt.size() == 0) {
            return EndpointHandler.NAK;
        }
        int n = Math.min(interrupt.size(), maxLength);
        interrupt.read(dest, n);
        return n;
    }

    /** A byte ring without per-call allocation. */
    private static final class Fifo {
        private final byte[] ring = new byte[CAPACITY];
        private int head;
        private int size;

        int size() {
            return size;
        }

        int free() {
            return CAPACITY - size;
        }

        void clear() {
            head = 0;
            size = 0;
        }

        void write(ByteBuffer src) {
            while (src.hasRemaining()) {
                int tail = (head + size) % CAPACITY;
                int n = Math.min(src.remaining(), CAPACITY - tail);
                src.get(ring, tail, n);
                size += n;
            }
        }

        void read(ByteBuffer dest, int count) {
            while (count > 0) {
                int n = Math.min(count, CAPACITY - head);
                dest.put(ring, head, n);
                skip(n);
                count -= n;
            }
        }

        void skip(int count) {
            head = (head + count) % CAPACITY;
            size -= count;
        }
    }
}
