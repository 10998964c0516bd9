package io.github.usbd4j.libusb;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.usb4java.DeviceHandle;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;
import org.usb4java.TransferCallback;

/**
 * The native side of one pooled {@link BackendTransfer}: its libusb transfers, their cached isochronous
 * packet descriptors, and the direct buffer they read and write. Created on first submit and kept in
 * {@link BackendTransfer#backendState()}, so a stream that reuses its transfers allocates nothing per
 * transfer here (usb4java's {@code Transfer.isoPacketDesc()} allocates on every call, hence the cache).
 *
 * <p>An isochronous transfer of more than {@value KernelLimits#MAX_PACKETS_PER_URB} packets is submitted
 * as several libusb transfers ("segments") of at most that many packets each, so that libusb never splits
 * one into several URBs itself: libusb 1.0.22 (the one usb4java bundles) frees a split transfer's URBs
 * when its last URB is reaped, and on an unplug the kernel gives the URBs back newest first, so the others
 * were still in the kernel, which then wrote their results into freed memory (libusb issue #607, fixed in
 * 1.0.24). The segments of one transfer are submitted back to back and usbfs queues them in order (ASAP),
 * exactly where libusb's own URBs would have gone; the transfer completes when its last segment is back.
 *
 * <p>Fields: where {@link TransferStruct} may be used, the per-transfer fields (buffer, lengths, results) are
 * read and written in place, and a transfer's only JNI call is its submission; otherwise through usb4java's
 * accessors, one JNI call each, and only the fields that changed are written.
 *
 * <p>Data: a direct caller buffer is handed to libusb as is: libusb gets the address of the data's first
 * byte. Through usb4java's accessors that takes a buffer object starting there: the caller's own when the
 * data starts at its index 0, else a slice (the last few slices are kept, so a stream that reuses its
 * buffers makes none). A heap buffer is bounce-copied into a direct buffer owned by this object, before
 * submission for OUT and after completion for IN. Control transfers always go through the bounce buffer,
 * which holds the setup packet in front of the data.
 */
final class NativeTransfer {
    private static final int SETUP = 8;
    /** Views cached per segment: enough for a stream that rotates this many buffers through its transfers. */
    private static final int VIEWS = 8;

    private final LibusbDevice device;
    private final BackendTransfer owner;
    /** Fields in place ({@link TransferStruct}) rather than through usb4java's accessors. */
    private final boolean inPlace;

    private Segment[] segments = new Segment[0];
    /** Segments this transfer uses now (the array may hold more, kept for reuse). */
    private int used;
    /**
     * Segments handed to libusb by the last {@link #submit}: all of them unless one failed. Set before the
     * submissions, since the last segment may complete before {@code libusb_submit_transfer} returns.
     */
    private volatile int submittedSegments;
    /** Segments still in libusb's hands; the transfer is complete at zero. */
    private final AtomicInteger pending = new AtomicInteger();
    /** libusb's code for a segment that could not be submitted after earlier ones were, else 0. */
    private volatile int lateSubmitError;

    private ByteBuffer bounce;
    private boolean bounced;

    /** Set once the transfer is in libusb's hands; cleared on completion (guarded by the device lock). */
    boolean submitted;

    /** The next transfer libusb handed back in the same event handling (the event thread's list). */
    NativeTransfer nextCompleted;

    NativeTransfer(LibusbDevice device, BackendTransfer owner) {
        this(device, owner, TransferStruct.available());
    }

    /** With {@code inPlace} false, every field goes through usb4java's accessors (for tests of both ways). */
    NativeTransfer(LibusbDevice device, BackendTransfer owner, boolean inPlace) {
        this.device = device;
        this.owner = owner;
        this.inPlace = inPlace && TransferStruct.available();
    }

    LibusbDevice device() {
        return device;
    }

    /**
     * Fills the libusb transfers from the backend transfer (copying OUT data when bouncing).
     *
     * @param handle the open device
     */
    void prepare(DeviceHandle handle) {
        BackendTransfer t = owner;
        boolean iso = t.type() == TransferType.ISOCHRONOUS;
        int packets = iso ? t.packets() : 0;
        used = iso ? (packets + KernelLimits.MAX_PACKETS_PER_URB - 1) / KernelLimits.MAX_PACKETS_PER_URB : 1;
        if (segments.length < used) {
            segments = Arrays.copyOf(segments, used);
        }
        int flags = t.type() != TransferType.CONTROL && t.shortNotOk() && t.isIn() ? LibUsb.TRANSFER_SHORT_NOT_OK : 0;
        if (t.type() == TransferType.CONTROL) {
            Segment s = segment(0, 0);
            s.start(handle, flags, LibUsb.TRANSFER_TYPE_CONTROL, t.endpointAddress(), 0, 0);
            prepareControl(t, s);
            return;
        }
        ByteBuffer data = data(t);
        int type = switch (t.type()) {
            case ISOCHRONOUS -> LibUsb.TRANSFER_TYPE_ISOCHRONOUS;
            case BULK -> LibUsb.TRANSFER_TYPE_BULK;
            default -> LibUsb.TRANSFER_TYPE_INTERRUPT;
        };
        int first = 0;
        int offset = 0;
        for (int i = 0; i < used; i++) {
            int count = iso ? Math.min(packets - first, KernelLimits.MAX_PACKETS_PER_URB) : 0;
            Segment s = segment(i, count);
            s.start(handle, flags, type, t.endpointAddress(), first, count);
            int length = 0;
            for (int k = 0; k < count; k++) {
                int l = t.packetLength(first + k);
                s.packetLength(k, l);
                length += l;
            }
            if (!iso) {
                length = t.length();
            }
            s.buffer(data, bounced ? offset : t.offset() + offset, length);
            first += count;
            offset += length;
        }
    }

    private Segment segment(int i, int packets) {
        Segment s = segments[i];
        if (s == null) {
            s = new Segment();
            segments[i] = s;
        }
        s.ensure(packets);
        return s;
    }

    private void prepareControl(BackendTransfer t, Segment s) {
        byte[] setup = t.setup();
        int wLength = (setup[6] & 0xFF) | (setup[7] & 0xFF) << 8;
        ByteBuffer b = bounce(SETUP + wLength);
        b.put(0, setup, 0, SETUP);
        if (!t.isIn()) {
            copy(t.buffer(), t.offset(), b, SETUP, Math.min(t.length(), wLength));
        }
        bounced = true;
        s.buffer(b, 0, SETUP + wLength);
    }

    /** The buffer the segments view: the caller's if direct, else the bounce buffer (filled for OUT). */
    private ByteBuffer data(BackendTransfer t) {
        ByteBuffer src = t.buffer();
        if (src.isDirect()) {
            bounced = false;
            return src;
        }
        int length = t.length();
        ByteBuffer b = bounce(length);
        if (!t.isIn()) {
            copy(src, t.offset(), b, 0, length);
        }
        bounced = true;
        return b;
    }

    private ByteBuffer bounce(int size) {
        if (bounce == null || bounce.capacity() < size) {
            bounce = ByteBuffer.allocateDirect(Math.max(size, bounce == null ? 64 : bounce.capacity() * 2))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        return bounce;
    }

    /**
     * Submits the segments to libusb, in order.
     *
     * @return libusb's code: 0 once at least the first segment is in flight (a later segment that fails
     *     ends the transfer with that error once the earlier ones are back), else the first segment's error
     */
    int submit() {
        lateSubmitError = 0;
        submittedSegments = used;
        pending.set(used);
        for (int i = 0; i < used; i++) {
            int rc = LibUsb.submitTransfer(segments[i].transfer);
            if (rc == LibUsb.SUCCESS) {
                continue;
            }
            if (i == 0) {
                return rc;
            }
            // set before pending drops: whoever completes the transfer reads them
            submittedSegments = i;
            lateSubmitError = rc;
            for (int j = 0; j < i; j++) {
                LibUsb.cancelTransfer(segments[j].transfer);
            }
            if (pending.addAndGet(-(used - i)) == 0) {
                // the earlier segments are already back: their last completion saw pending > 0
                device.completedAsync(this);
            }
            return LibUsb.SUCCESS;
        }
        return LibUsb.SUCCESS;
    }

    /** Asks libusb to cancel; the completions still arrive. */
    void cancel() {
        for (int i = 0; i < submittedSegments; i++) {
            LibUsb.cancelTransfer(segments[i].transfer); // NOT_FOUND for a segment already back
        }
    }

    /** One segment is back from libusb (event thread); the transfer completes with the last one. */
    private void segmentDone() {
        if (pending.decrementAndGet() == 0) {
            device.handedBack(this);
        }
    }

    /** Copies libusb's results into the backend transfer (and IN data out of the bounce buffer). */
    void readResults() {
        BackendTransfer t = owner;
        int status = LibUsb.TRANSFER_COMPLETED;
        int ran = submittedSegments;
        for (int i = 0; i < used; i++) {
            Segment s = segments[i];
            s.status = i < ran ? s.transferStatus() : LibUsb.TRANSFER_COMPLETED;
            if (status == LibUsb.TRANSFER_COMPLETED) {
                status = s.status;
            }
        }
        PacketStatus overall = lateSubmitError != 0
                ? LibusbCodes.ofError(lateSubmitError)
                : LibusbCodes.ofTransferStatus(status, false);
        switch (t.type()) {
            case ISOCHRONOUS -> {
                int total = 0;
                boolean copyIn = bounced && t.isIn();
                int slot = 0;
                for (int i = 0; i < used; i++) {
                    Segment s = segments[i];
                    boolean segmentRan = i < ran;
                    boolean cancelled = s.status == LibUsb.TRANSFER_CANCELLED || s.status == LibUsb.TRANSFER_NO_DEVICE;
                    for (int k = 0; k < s.packets; k++) {
                        // usbcore marks every packet -EXDEV when the URB is submitted, so a packet that never
                        // ran reads as an error: NOT_ACCESSED in a cancelled transfer.
                        PacketStatus ps = segmentRan
                                ? LibusbCodes.ofTransferStatus(s.packetStatus(k), cancelled)
                                : PacketStatus.NOT_ACCESSED;
                        int actual = ps == PacketStatus.NOT_ACCESSED ? 0 : s.packetActualLength(k);
                        int packet = s.firstPacket + k;
                        t.setPacketResult(packet, actual, ps);
                        total += actual;
                        if (copyIn) {
                            copy(bounce, slot, t.buffer(), t.offset() + slot, actual);
                            slot += t.packetLength(packet);
                        }
                    }
                }
                t.setResult(overall, total);
            }
            case CONTROL -> {
                int actual = Math.min(Math.max(segments[0].actualLength(), 0), t.length());
                if (t.isIn() && actual > 0) {
                    copy(bounce, SETUP, t.buffer(), t.offset(), actual);
                }
                t.setResult(overall, actual);
            }
            case BULK, INTERRUPT -> {
                int actual = Math.max(segments[0].actualLength(), 0);
                if (bounced && t.isIn() && actual > 0) {
                    copy(bounce, 0, t.buffer(), t.offset(), actual);
                }
                PacketStatus s = overall;
                if (t.shortNotOk()
                        && t.isIn()
                        && actual < t.length()
                        && (s == PacketStatus.OK || s == PacketStatus.HOST_ERROR)) {
                    s = PacketStatus.DATA_UNDERRUN; // usbfs reports SHORT_NOT_OK as -EREMOTEIO, libusb as ERROR
                }
                t.setResult(s, actual);
            }
        }
    }

    BackendTransfer owner() {
        return owner;
    }

    /** The libusb transfer of segment {@code i} (for tests). */
    Transfer nativeTransfer(int i) {
        return segments[i].transfer;
    }

    /** For tests: as if {@link #submit} had handed every segment to libusb (no device is needed). */
    void assumeSubmitted() {
        submittedSegments = used;
    }

    /** Whether fields are read and written in place (for tests). */
    boolean inPlace() {
        return inPlace;
    }

    /** Frees the native transfers; only when none is submitted. */
    void free() {
        for (Segment s : segments) {
            if (s != null) {
                s.free();
            }
        }
    }

    private static void copy(ByteBuffer from, int fromIndex, ByteBuffer to, int toIndex, int length) {
        if (length <= 0) {
            return;
        }
        to.put(toIndex, from, fromIndex, length);
    }

    /** One libusb transfer: at most {@value KernelLimits#MAX_PACKETS_PER_URB} packets, one URB. */
    private final class Segment implements TransferCallback {
        private Transfer transfer;
        /** The native {@code struct libusb_transfer}, for {@link TransferStruct}. */
        private long struct;

        private int isoCapacity = -1;
        private IsoPacketDescriptor[] iso = new IsoPacketDescriptor[0];
        private int firstPacket;
        private int packets;
        // Views of recently used buffers, reused round-robin: a pooled transfer is handed the buffers of a
        // stream's requests in turn (its driver's slots rotate through the pool), so one cached view would
        // be made anew for nearly every transfer.
        private final ByteBuffer[] viewSource = new ByteBuffer[VIEWS];
        private final int[] viewOffset = new int[VIEWS];
        private final int[] viewLength = new int[VIEWS];
        private final ByteBuffer[] view = new ByteBuffer[VIEWS];
        private int nextView;
        /** The buffer object the native transfer points into, the address it holds, and its length there. */
        private ByteBuffer setBuffer;

        private long setAddress;

        private int setLength = -1;
        /** libusb's status of the last completion, read once in {@link #readResults}. */
        private int status;

        // What the native transfer holds now: a pooled stream sets the same values every time, and each
        // setter is a JNI call, so only the ones that changed are made (libusb never writes these fields).
        private DeviceHandle setHandle;
        private int setFlags = -1;
        private int setType = -1;
        private int setEndpoint = -1;
        private int setIsoPackets = -1;
        private int[] setLengths = new int[0];

        void ensure(int packets) {
            if (transfer != null && packets <= isoCapacity) {
                return;
            }
            if (transfer != null) {
                LibUsb.freeTransfer(transfer);
            }
            int capacity = Math.min(Math.max(packets, isoCapacity * 2), KernelLimits.MAX_PACKETS_PER_URB);
            transfer = LibUsb.allocTransfer(capacity);
            if (transfer == null) {
                throw new OutOfMemoryError("libusb could not allocate a transfer with " + capacity + " packets");
            }
            struct = transfer.getPointer();
            isoCapacity = capacity;
            forgetFields();
            // Set once: usb4java keeps a global reference to the callback and user data.
            transfer.setCallback(this);
            transfer.setTimeout(0); // the runtime owns timeouts (CE's synchronous guard); it cancels
            if (capacity > 0 && !inPlace) { // the accessors' packet descriptors; in place they are offsets
                transfer.setNumIsoPackets(capacity);
                iso = transfer.isoPacketDesc(); // allocates: do it once per native transfer
            } else {
                iso = new IsoPacketDescriptor[0];
            }
            setLengths = new int[capacity];
            Arrays.fill(setLengths, -1);
        }

        /** A new native transfer: nothing of it is set yet. */
        private void forgetFields() {
            setHandle = null;
            setFlags = -1;
            setType = -1;
            setEndpoint = -1;
            setIsoPackets = -1;
            setBuffer = null;
            setAddress = 0;
            setLength = -1;
        }

        void packetLength(int k, int length) {
            if (setLengths[k] != length) {
                if (inPlace) {
                    TransferStruct.setPacketLength(struct, k, length);
                } else {
                    iso[k].setLength(length);
                }
                setLengths[k] = length;
            }
        }

        /** libusb's status of the segment (after completion). */
        int transferStatus() {
            return inPlace ? TransferStruct.status(struct) : transfer.status();
        }

        /** The segment's actual length (bulk, interrupt, control; after completion). */
        int actualLength() {
            return inPlace ? TransferStruct.actualLength(struct) : transfer.actualLength();
        }

        int packetStatus(int k) {
            return inPlace ? TransferStruct.packetStatus(struct, k) : iso[k].status();
        }

        int packetActualLength(int k) {
            return inPlace ? TransferStruct.packetActualLength(struct, k) : iso[k].actualLength();
        }

        @SuppressWarnings("ReferenceEquality") // the same usb4java handle object is the same native handle
        void start(DeviceHandle handle, int flags, int type, int endpoint, int firstPacket, int packets) {
            this.firstPacket = firstPacket;
            this.packets = packets;
            if (handle != setHandle) {
                transfer.setDevHandle(handle);
                setHandle = handle;
            }
            if (flags != setFlags) {
                transfer.setFlags((byte) flags);
                setFlags = flags;
            }
            if (type != setType) {
                transfer.setType((byte) type);
                setType = type;
            }
            if (endpoint != setEndpoint) {
                transfer.setEndpoint((byte) endpoint);
                setEndpoint = endpoint;
            }
            if (packets != setIsoPackets) {
                if (inPlace) {
                    TransferStruct.setNumIsoPackets(struct, packets);
                } else {
                    transfer.setNumIsoPackets(packets);
                }
                setIsoPackets = packets;
            }
        }

        /** Points the transfer at {@code length} bytes of {@code b} from {@code offset}. */
        @SuppressWarnings("ReferenceEquality") // the native transfer holds the address of this very buffer object
        void buffer(ByteBuffer b, int offset, int length) {
            if (inPlace) {
                long address = TransferStruct.address(b) + offset;
                if (address != setAddress) {
                    TransferStruct.setBuffer(struct, address);
                    setAddress = address;
                }
                setBuffer = b; // keeps the memory reachable while libusb may write it
                if (length != setLength) {
                    TransferStruct.setLength(struct, length);
                    setLength = length;
                }
                return;
            }
            ByteBuffer v = view(b, offset, length);
            if (v != setBuffer) {
                transfer.setBuffer(v); // also sets the native length to the view's capacity
                setBuffer = v;
                setLength = v.capacity();
            }
            if (length != setLength) {
                transfer.setLength(length);
                setLength = length;
            }
        }

        /**
         * A direct buffer whose address is that of byte {@code offset} of {@code b}: {@code b} itself at
         * offset 0 (libusb takes a buffer's start address, whatever its position), else a cached slice.
         */
        @SuppressWarnings("ReferenceEquality") // views are cached per buffer object, not per buffer content
        private ByteBuffer view(ByteBuffer b, int offset, int length) {
            if (offset == 0) {
                return b;
            }
            for (int i = 0; i < VIEWS; i++) {
                if (viewSource[i] == b && viewOffset[i] == offset && viewLength[i] == length) {
                    return view[i];
                }
            }
            int i = nextView;
            nextView = (i + 1) % VIEWS;
            viewSource[i] = b;
            viewOffset[i] = offset;
            viewLength[i] = length;
            view[i] = b.slice(offset, length);
            return view[i];
        }

        @Override
        public void processTransfer(Transfer ignored) {
            segmentDone();
        }

        void free() {
            if (transfer != null) {
                LibUsb.freeTransfer(transfer);
                transfer = null;
                struct = 0;
                isoCapacity = -1;
            }
        }
    }
}
