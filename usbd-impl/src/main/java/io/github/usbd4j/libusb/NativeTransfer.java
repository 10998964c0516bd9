package io.github.usbd4j.libusb;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.usb4java.DeviceHandle;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;
import org.usb4java.TransferCallback;

/**
 * The native side of one pooled {@link BackendTransfer}: a libusb transfer, its cached isochronous
 * packet descriptors, and the direct buffer it reads and writes. Created on first submit and kept in
 * {@link BackendTransfer#backendState()}, so a stream that reuses its transfers allocates nothing per
 * transfer here (usb4java's {@code Transfer.isoPacketDesc()} allocates on every call, hence the cache).
 *
 * <p>Data: a direct caller buffer is handed to libusb as is (a view starting at the transfer's offset,
 * cached while the caller reuses the same buffer and offset); a heap buffer is bounce-copied into a
 * direct buffer owned by this object, before submission for OUT and after completion for IN. Control
 * transfers always go through the bounce buffer, which holds the setup packet in front of the data.
 */
final class NativeTransfer implements TransferCallback {
    private static final int SETUP = 8;

    private final LibusbDevice device;
    private final BackendTransfer owner;
    private Transfer transfer;
    private int isoCapacity = -1;
    private IsoPacketDescriptor[] iso = new IsoPacketDescriptor[0];

    private ByteBuffer bounce;
    private boolean bounced;
    private ByteBuffer viewSource;
    private int viewOffset;
    private int viewLength = -1;
    private ByteBuffer view;

    /** Set once the transfer is in libusb's hands; cleared on completion (guarded by the device lock). */
    boolean submitted;

    NativeTransfer(LibusbDevice device, BackendTransfer owner) {
        this.device = device;
        this.owner = owner;
    }

    LibusbDevice device() {
        return device;
    }

    /**
     * Fills the libusb transfer from the backend transfer (copying OUT data when bouncing).
     *
     * @param handle the open device
     */
    void prepare(DeviceHandle handle) {
        BackendTransfer t = owner;
        int packets = t.type() == TransferType.ISOCHRONOUS ? t.packets() : 0;
        ensureTransfer(packets);
        transfer.setDevHandle(handle);
        transfer.setFlags(
                t.type() != TransferType.CONTROL && t.shortNotOk() && t.isIn() ? LibUsb.TRANSFER_SHORT_NOT_OK : 0);
        transfer.setTimeout(0); // the runtime owns timeouts (CE's synchronous guard); it cancels
        transfer.setNumIsoPackets(packets);
        switch (t.type()) {
            case CONTROL -> prepareControl(t);
            case ISOCHRONOUS -> {
                transfer.setType(LibUsb.TRANSFER_TYPE_ISOCHRONOUS);
                transfer.setEndpoint((byte) t.endpointAddress());
                data(t);
                for (int k = 0; k < packets; k++) {
                    iso[k].setLength(t.packetLength(k));
                }
            }
            case BULK, INTERRUPT -> {
                transfer.setType(
                        t.type() == TransferType.BULK ? LibUsb.TRANSFER_TYPE_BULK : LibUsb.TRANSFER_TYPE_INTERRUPT);
                transfer.setEndpoint((byte) t.endpointAddress());
                data(t);
            }
        }
    }

    private void prepareControl(BackendTransfer t) {
        byte[] setup = t.setup();
        int wLength = (setup[6] & 0xFF) | (setup[7] & 0xFF) << 8;
        ByteBuffer b = bounce(SETUP + wLength);
        b.put(0, setup, 0, SETUP);
        if (!t.isIn()) {
            copy(t.buffer(), t.offset(), b, SETUP, Math.min(t.length(), wLength));
        }
        bounced = true;
        transfer.setType(LibUsb.TRANSFER_TYPE_CONTROL);
        transfer.setEndpoint((byte) t.endpointAddress());
        transfer.setBuffer(b);
        transfer.setLength(SETUP + wLength);
    }

    private void data(BackendTransfer t) {
        int length = t.length();
        ByteBuffer src = t.buffer();
        if (src.isDirect()) {
            bounced = false;
            transfer.setBuffer(view(src, t.offset(), length));
        } else {
            ByteBuffer b = bounce(length);
            if (!t.isIn()) {
                copy(src, t.offset(), b, 0, length);
            }
            bounced = true;
            transfer.setBuffer(b);
            transfer.setLength(length);
        }
    }

    /** A view of a direct caller buffer from {@code offset}, reused while the caller reuses its buffer. */
    private ByteBuffer view(ByteBuffer src, int offset, int length) {
        if (src != viewSource || offset != viewOffset || length != viewLength) {
            view = src.duplicate()
                    .clear()
                    .position(offset)
                    .limit(offset + length)
                    .slice();
            viewSource = src;
            viewOffset = offset;
            viewLength = length;
        }
        return view;
    }

    private ByteBuffer bounce(int size) {
        if (bounce == null || bounce.capacity() < size) {
            bounce = ByteBuffer.allocateDirect(Math.max(size, bounce == null ? 64 : bounce.capacity() * 2))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        return bounce;
    }

    private void ensureTransfer(int packets) {
        if (transfer != null && packets <= isoCapacity) {
            return;
        }
        if (transfer != null) {
            LibUsb.freeTransfer(transfer);
        }
        int capacity = Math.max(packets, isoCapacity * 2);
        transfer = LibUsb.allocTransfer(capacity);
        if (transfer == null) {
            throw new OutOfMemoryError("libusb could not allocate a transfer with " + capacity + " packets");
        }
        isoCapacity = capacity;
        // Set once: usb4java keeps a global reference to the callback and user data.
        transfer.setCallback(this);
        if (capacity > 0) {
            transfer.setNumIsoPackets(capacity);
            iso = transfer.isoPacketDesc(); // allocates: do it once per native transfer
        } else {
            iso = new IsoPacketDescriptor[0];
        }
    }

    /** Submits to libusb; returns libusb's code (0 on success). */
    int submit() {
        return LibUsb.submitTransfer(transfer);
    }

    /** Asks libusb to cancel; its completion still arrives. */
    void cancel() {
        LibUsb.cancelTransfer(transfer);
    }

    /** libusb's completion callback, on the backend's event thread. */
    @Override
    public void processTransfer(Transfer ignored) {
        device.completed(this);
    }

    /** Copies libusb's results into the backend transfer (and IN data out of the bounce buffer). */
    void readResults() {
        BackendTransfer t = owner;
        int status = transfer.status();
        boolean cancelled = status == LibUsb.TRANSFER_CANCELLED || status == LibUsb.TRANSFER_NO_DEVICE;
        PacketStatus overall = LibusbCodes.ofTransferStatus(status, false);
        switch (t.type()) {
            case ISOCHRONOUS -> {
                int total = 0;
                int slot = 0;
                for (int k = 0; k < t.packets(); k++) {
                    int actual = iso[k].actualLength();
                    // usbcore marks every packet -EXDEV when the URB is submitted, so a packet that never
                    // ran reads as an error: NOT_ACCESSED in a cancelled transfer.
                    PacketStatus ps = LibusbCodes.ofTransferStatus(iso[k].status(), cancelled);
                    if (ps == PacketStatus.NOT_ACCESSED) {
                        actual = 0;
                    }
                    t.setPacketResult(k, actual, ps);
                    if (bounced && t.isIn() && actual > 0) {
                        copy(bounce, slot, t.buffer(), t.offset() + slot, actual);
                    }
                    total += actual;
                    slot += t.packetLength(k);
                }
                t.setResult(status == LibUsb.TRANSFER_COMPLETED ? PacketStatus.OK : overall, total);
            }
            case CONTROL -> {
                int actual = Math.min(Math.max(transfer.actualLength(), 0), t.length());
                if (t.isIn() && actual > 0) {
                    copy(bounce, SETUP, t.buffer(), t.offset(), actual);
                }
                t.setResult(overall, actual);
            }
            case BULK, INTERRUPT -> {
                int actual = Math.max(transfer.actualLength(), 0);
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

    /** Frees the native transfer; only when it is not submitted. */
    void free() {
        if (transfer != null) {
            LibUsb.freeTransfer(transfer);
            transfer = null;
            isoCapacity = -1;
        }
    }

    private static void copy(ByteBuffer from, int fromIndex, ByteBuffer to, int toIndex, int length) {
        if (length <= 0) {
            return;
        }
        to.put(toIndex, from, fromIndex, length);
    }
}
