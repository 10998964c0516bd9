package io.github.usbd4j.host.spi;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One request to a backend and its results: a control transfer, a bulk or interrupt transfer, or an
 * isochronous batch of packets. The runtime owns and pools these objects (steady-state streaming
 * allocates nothing): it fills the request fields, calls {@link BackendDevice#submit}, and the backend
 * fills the result fields and calls {@link Listener#completed} exactly once, on its event thread.
 *
 * <p>Data lives in {@link #buffer()} from {@link #offset()} for {@link #length()} bytes; the buffer's
 * position and limit are not used. Isochronous packet {@code k} occupies {@code packetLength(k)} bytes
 * right after packet {@code k-1}'s slot; an IN packet's data is written at the start of its slot even
 * when short. Packet {@code k} runs in bus interval {@code startFrame * intervalsPerFrame + k * period}
 * (intervals are frames at full speed, microframes at high speed).
 */
public final class BackendTransfer {

    /** Receives a backend transfer's completion. */
    @FunctionalInterface
    public interface Listener {
        /**
         * The transfer is done: results are final. Called once per submission, on the backend's thread.
         *
         * @param transfer the transfer
         */
        void completed(BackendTransfer transfer);
    }

    private final Listener listener;
    private final byte[] setup = new byte[8];

    private TransferType type = TransferType.CONTROL;
    private int endpointAddress;
    private ByteBuffer buffer;
    private int offset;
    private int length;
    private boolean shortNotOk;
    private long startFrame;
    private int period = 1;
    private int packets;
    private int[] packetLengths = new int[0];

    private PacketStatus status = PacketStatus.OK;
    private int actualLength;
    private long actualStartFrame;
    private int[] packetActual = new int[0];
    private PacketStatus[] packetStatus = new PacketStatus[0];

    private Object backendState;

    /**
     * @param listener notified when a submission completes
     */
    public BackendTransfer(Listener listener) {
        this.listener = listener;
    }

    // ---- request, set by the runtime ----------------------------------------------------------

    /**
     * Prepares a control transfer on endpoint 0 (or another control endpoint).
     *
     * @param endpointAddress the control endpoint, usually 0
     * @param setupPacket the 8-byte setup packet
     * @param buffer data stage buffer, may be {@code null} when {@code length} is 0
     * @param offset data start in {@code buffer}
     * @param length data stage length (must equal the setup packet's wLength or be smaller)
     * @return this
     */
    public BackendTransfer control(int endpointAddress, byte[] setupPacket, ByteBuffer buffer, int offset, int length) {
        System.arraycopy(setupPacket, 0, setup, 0, 8);
        return data(TransferType.CONTROL, endpointAddress, buffer, offset, length);
    }

    /**
     * Prepares a bulk or interrupt transfer.
     *
     * @param type {@link TransferType#BULK} or {@link TransferType#INTERRUPT}
     * @param endpointAddress endpoint address, direction bit included
     * @param buffer the data
     * @param offset data start in {@code buffer}
     * @param length bytes to transfer
     * @param shortNotOk {@code true} to report {@link PacketStatus#DATA_UNDERRUN} for a short IN transfer
     * @return this
     */
    public BackendTransfer bulk(
            TransferType type, int endpointAddress, ByteBuffer buffer, int offset, int length, boolean shortNotOk) {
        this.shortNotOk = shortNotOk;
        return data(type, endpointAddress, buffer, offset, length);
    }

    /**
     * Prepares an isochronous batch. Packet lengths are copied into this object's reusable array.
     *
     * @param endpointAddress endpoint address, direction bit included
     * @param buffer the data
     * @param offset data start in {@code buffer}
     * @param startFrame frame (1 ms) the first packet runs in
     * @param period bus intervals between packets (frames at full speed, microframes at high speed)
     * @param lengths per-packet lengths
     * @param packets number of packets
     * @return this
     */
    public BackendTransfer isochronous(
            int endpointAddress,
            ByteBuffer buffer,
            int offset,
            long startFrame,
            int period,
            int[] lengths,
            int packets) {
        ensurePackets(packets);
        int total = 0;
        for (int k = 0; k < packets; k++) {
            packetLengths[k] = lengths[k];
            total += lengths[k];
        }
        this.packets = packets;
        this.startFrame = startFrame;
        this.period = period;
        return data(TransferType.ISOCHRONOUS, endpointAddress, buffer, offset, total);
    }

    private BackendTransfer data(TransferType type, int endpointAddress, ByteBuffer buffer, int offset, int length) {
        this.type = type;
        this.endpointAddress = endpointAddress;
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        if (type != TransferType.ISOCHRONOUS) {
            packets = 0;
        }
        resetResults();
        return this;
    }

    private void ensurePackets(int n) {
        if (packetLengths.length < n) {
            int cap = Math.max(n, packetLengths.length * 2);
            packetLengths = Arrays.copyOf(packetLengths, cap);
            packetActual = Arrays.copyOf(packetActual, cap);
            packetStatus = Arrays.copyOf(packetStatus, cap);
        }
    }

    /** Clears the results to "nothing happened yet": every packet {@link PacketStatus#NOT_ACCESSED}. */
    public void resetResults() {
        status = PacketStatus.OK;
        actualLength = 0;
        actualStartFrame = startFrame;
        for (int k = 0; k < packets; k++) {
            packetActual[k] = 0;
            packetStatus[k] = PacketStatus.NOT_ACCESSED;
        }
    }

    /** The transfer type. */
    public TransferType type() {
        return type;
    }

    /** The endpoint address, direction bit included. */
    public int endpointAddress() {
        return endpointAddress;
    }

    /** {@code true} for device-to-host data (IN endpoint, or a control transfer whose setup says IN). */
    public boolean isIn() {
        return type == TransferType.CONTROL ? (setup[0] & 0x80) != 0 : (endpointAddress & 0x80) != 0;
    }

    /** The 8-byte setup packet of a control transfer (the live array: do not modify). */
    public byte[] setup() {
        return setup;
    }

    /** The data buffer. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where the data starts in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** Requested bytes: the data stage, the bulk length, or the sum of the packet lengths. */
    public int length() {
        return length;
    }

    /** Bulk/interrupt IN: a short transfer is an error. */
    public boolean shortNotOk() {
        return shortNotOk;
    }

    /** Isochronous: the frame the first packet runs in. */
    public long startFrame() {
        return startFrame;
    }

    /** Isochronous: bus intervals between packets. */
    public int period() {
        return period;
    }

    /** Isochronous: number of packets; 0 for other types. */
    public int packets() {
        return packets;
    }

    /**
     * Isochronous: requested length of packet {@code k}.
     *
     * @param k packet index
     * @return the length
     */
    public int packetLength(int k) {
        return packetLengths[k];
    }

    // ---- results, set by the backend ----------------------------------------------------------

    /** The transfer's outcome; for isochronous batches the backend's overall status (usually OK). */
    public PacketStatus status() {
        return status;
    }

    /** Bytes transferred in total. */
    public int actualLength() {
        return actualLength;
    }

    /** The frame the first packet actually ran in (exact on the simulator). */
    public long actualStartFrame() {
        return actualStartFrame;
    }

    /**
     * Isochronous: bytes transferred by packet {@code k}.
     *
     * @param k packet index
     * @return the length
     */
    public int packetActual(int k) {
        return packetActual[k];
    }

    /**
     * Isochronous: status of packet {@code k}; {@link PacketStatus#NOT_ACCESSED} until it ran.
     *
     * @param k packet index
     * @return the status
     */
    public PacketStatus packetStatus(int k) {
        return packetStatus[k];
    }

    /**
     * Records a packet's result.
     *
     * @param k packet index
     * @param actual bytes transferred
     * @param packetStatus its status
     */
    public void setPacketResult(int k, int actual, PacketStatus packetStatus) {
        packetActual[k] = actual;
        this.packetStatus[k] = packetStatus;
    }

    /**
     * Records the overall result.
     *
     * @param status the outcome
     * @param actualLength bytes transferred in total
     */
    public void setResult(PacketStatus status, int actualLength) {
        this.status = status;
        this.actualLength = actualLength;
    }

    /**
     * Records where the batch actually started.
     *
     * @param frame the frame of packet 0
     */
    public void setActualStartFrame(long frame) {
        this.actualStartFrame = frame;
    }

    /** Hands the finished transfer back to the runtime; call exactly once per submission. */
    public void complete() {
        listener.completed(this);
    }

    /** Backend-private state attached to this object (e.g. a pooled native transfer); {@code null} at first. */
    public Object backendState() {
        return backendState;
    }

    /**
     * Attaches backend-private state, kept across reuse.
     *
     * @param state the state
     */
    public void setBackendState(Object state) {
        this.backendState = state;
    }
}
