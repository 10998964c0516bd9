package io.github.usbd4j.host.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One request to a backend and its results: a control transfer, a bulk or interrupt transfer, or an
 * isochronous batch of packets. Its owner (the runtime, or the USB/IP server) pools these objects
 * (steady-state streaming allocates nothing): it prepares one, calls {@link BackendDevice#submit}, and the
 * backend fills the result fields and calls {@link #complete()} exactly once, which tells the
 * {@link Listener}.
 *
 * <p><b>Phases.</b> Each submission goes through {@link Phase#PREPARED} → {@link Phase#SUBMITTED} →
 * {@link Phase#COMPLETED}, and every method checks that it is called in its phase; a call in the wrong
 * one throws {@link IllegalStateException}:
 *
 * <ul>
 *   <li>the owner prepares ({@link #control}, {@link #bulk}, {@link #isochronous}) in any phase but
 *       {@code SUBMITTED};
 *   <li>the backend takes a prepared transfer with {@link #accept()} before anything of it can run or
 *       complete, and may give it back with {@link #refuse()} (then its {@code submit} throws and no
 *       completion follows);
 *   <li>the backend writes results ({@link #setResult}, {@link #setPacketResult}, {@link #setActualStartFrame},
 *       {@link #resetResults}) only while {@code SUBMITTED}, and {@link #complete()} moves it to
 *       {@code COMPLETED} exactly once: a second {@code complete()}, or one before {@code accept()}, throws.
 * </ul>
 *
 * <p>Data lives in {@link #buffer()} from {@link #offset()} for {@link #length()} bytes; the buffer's
 * position and limit are not used. Isochronous packet {@code k} occupies {@code packetLength(k)} bytes
 * right after packet {@code k-1}'s slot; an IN packet's data is written at the start of its slot even
 * when short. Packet {@code k} runs in bus interval {@code startFrame * intervalsPerFrame + k * period}
 * (intervals are frames at full speed, microframes at high speed).
 */
public final class BackendTransfer {

    /** Where a transfer is in its submission. */
    public enum Phase {
        /** New: nothing prepared yet. */
        IDLE,
        /** Prepared by its owner; not yet taken by a backend (or given back with {@link #refuse()}). */
        PREPARED,
        /** Taken by a backend ({@link #accept()}); results are being written. */
        SUBMITTED,
        /** {@link #complete()} ran: results are final until the next preparation. */
        COMPLETED
    }

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

    private static final Phase[] PHASES = Phase.values();
    private static final int IDLE = 0;
    private static final int PREPARED = 1;
    private static final int SUBMITTED = 2;
    private static final int COMPLETED = 3;
    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(BackendTransfer.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Listener listener;
    private final byte[] setup = new byte[8];

    // read as a volatile field (as cheap as it gets with every compiler: the backend checks it per packet);
    // compare-and-set and release stores through PHASE
    private volatile int phase = IDLE;

    private TransferType type = TransferType.CONTROL;
    private int endpointAddress;
    private ByteBuffer buffer;
    private int offset;
    private int length;
    private boolean shortNotOk;
    private long startFrame;
    /** The bytes the request covers, summed without overflow; -1 when a packet length is negative. */
    private long requestedBytes;

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

    // ---- phases -------------------------------------------------------------------------------------

    /** The current phase. */
    public Phase phase() {
        return PHASES[phase];
    }

    /** Moves from {@code from} to {@code to}, or throws naming what was wrong. */
    private void move(int from, int to, String what) {
        if (!PHASE.compareAndSet(this, from, to)) {
            throw new IllegalStateException(what + " in phase " + phase() + " (needs " + PHASES[from] + ")");
        }
    }

    private void requirePhase(int expected, String what) {
        int p = phase;
        if (p != expected) {
            throw wrongPhase(p, expected, what);
        }
    }

    /** Out of line, so that the check itself stays small enough for every compiler to inline. */
    private static IllegalStateException wrongPhase(int p, int expected, String what) {
        return new IllegalStateException(what + " in phase " + PHASES[p] + " (needs " + PHASES[expected] + ")");
    }

    /**
     * For a preparation: any phase but SUBMITTED becomes PREPARED. Only the owner touches a transfer that is
     * not submitted, so a plain release store does (no compare-and-set per transfer).
     */
    private void beginPreparation() {
        if (phase == SUBMITTED) {
            throw new IllegalStateException("prepared while SUBMITTED: a submission is still under way");
        }
        PHASE.setRelease(this, PREPARED);
    }

    /**
     * Called by a backend when it takes a prepared transfer, before anything of it can run or complete.
     *
     * @throws IllegalStateException if it is not prepared (never prepared, or submitted twice)
     */
    public void accept() {
        move(PREPARED, SUBMITTED, "accepted");
    }

    /**
     * Called by a backend that gives an accepted transfer back before anything of it ran: its
     * {@code submit} then throws, and no completion follows.
     *
     * @throws IllegalStateException if it was not accepted, or already completed
     */
    public void refuse() {
        move(SUBMITTED, PREPARED, "refused");
    }

    /**
     * Hands the finished transfer back: exactly once per submission, after {@link #accept()}.
     *
     * @throws IllegalStateException for a second completion, or one without a submission
     */
    public void complete() {
        move(SUBMITTED, COMPLETED, "completed");
        listener.completed(this);
    }

    /**
     * Drops the reference to the data buffer of a finished (or never submitted) transfer, so that a pooled
     * transfer keeps nothing of its last request alive; the phase stays as it is.
     *
     * @throws IllegalStateException while submitted
     */
    public void clear() {
        if (phase == SUBMITTED) {
            throw new IllegalStateException("cleared while " + phase());
        }
        buffer = null;
    }

    // ---- request, set by the owner ------------------------------------------------------------------

    /**
     * Prepares a control transfer on endpoint 0 (or another control endpoint).
     *
     * @param endpointAddress the control endpoint, usually 0
     * @param setupPacket the 8-byte setup packet
     * @param buffer data stage buffer, may be {@code null} when {@code length} is 0
     * @param offset data start in {@code buffer}
     * @param length data stage length (must equal the setup packet's wLength or be smaller)
     * @return this
     * @throws IllegalStateException while submitted
     */
    public BackendTransfer control(int endpointAddress, byte[] setupPacket, ByteBuffer buffer, int offset, int length) {
        beginPreparation();
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
     * @throws IllegalStateException while submitted
     */
    public BackendTransfer bulk(
            TransferType type, int endpointAddress, ByteBuffer buffer, int offset, int length, boolean shortNotOk) {
        beginPreparation();
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
     * @throws IllegalStateException while submitted
     */
    public BackendTransfer isochronous(
            int endpointAddress,
            ByteBuffer buffer,
            int offset,
            long startFrame,
            int period,
            int[] lengths,
            int packets) {
        beginPreparation();
        ensurePackets(packets);
        long total = 0;
        int signs = 0;
        for (int k = 0; k < packets; k++) {
            int len = lengths[k]; // read once: the copy is what is checked and sent
            packetLengths[k] = len;
            total += len;
            signs |= len;
        }
        this.packets = packets;
        this.startFrame = startFrame;
        this.period = period;
        data(TransferType.ISOCHRONOUS, endpointAddress, buffer, offset, (int) total);
        requestedBytes = signs < 0 ? -1 : total;
        return this;
    }

    private BackendTransfer data(TransferType type, int endpointAddress, ByteBuffer buffer, int offset, int length) {
        this.type = type;
        this.endpointAddress = endpointAddress;
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.requestedBytes = length;
        if (type != TransferType.ISOCHRONOUS) {
            packets = 0;
        }
        clearResults();
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

    /**
     * Clears the results to "nothing happened yet": every packet {@link PacketStatus#NOT_ACCESSED}.
     *
     * @throws IllegalStateException unless submitted
     */
    public void resetResults() {
        requirePhase(SUBMITTED, "results reset");
        clearResults();
    }

    private void clearResults() {
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

    /**
     * Why the request's bytes do not lie within its buffer, or {@code null} when they do: a negative packet length,
     * or data beyond the buffer's capacity (the sum of the packet lengths included, counted without overflow). A
     * backend refuses such a transfer before any of it reaches native code or a device model. The runtime checks its
     * callers' arguments first; this holds also when a caller's array changed between those checks and the copy made
     * here.
     *
     * @return the reason, or {@code null}
     */
    public String bufferProblem() {
        long bytes = requestedBytes;
        if (bytes < 0) {
            return "a negative length (of a packet, or of the data)";
        }
        if (bytes > 0 && (buffer == null || offset < 0 || offset + bytes > buffer.capacity())) {
            return "the data (" + bytes + " bytes from " + offset + ") does not fit the buffer"
                    + (buffer == null ? "" : " of " + buffer.capacity() + " bytes");
        }
        return null;
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

    // ---- results, set by the backend ----------------------------------------------------------------

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
     * @throws IllegalStateException unless submitted
     */
    public void setPacketResult(int k, int actual, PacketStatus packetStatus) {
        requirePhase(SUBMITTED, "packet result set");
        packetActual[k] = actual;
        this.packetStatus[k] = packetStatus;
    }

    /**
     * Records the overall result.
     *
     * @param status the outcome
     * @param actualLength bytes transferred in total
     * @throws IllegalStateException unless submitted
     */
    public void setResult(PacketStatus status, int actualLength) {
        requirePhase(SUBMITTED, "result set");
        this.status = status;
        this.actualLength = actualLength;
    }

    /**
     * Records where the batch actually started.
     *
     * @param frame the frame of packet 0
     * @throws IllegalStateException unless submitted
     */
    public void setActualStartFrame(long frame) {
        requirePhase(SUBMITTED, "start frame set");
        this.actualStartFrame = frame;
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
