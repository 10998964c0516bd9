package io.github.usbd4j.libusb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;

/**
 * How a pooled transfer points its libusb transfers at the caller's data and reads their results, both with
 * the fields in place ({@link TransferStruct}) and through usb4java's accessors. Only usb4java's native
 * library is needed (no device, no libusb context): the transfers are prepared, never submitted.
 */
class NativeTransferTest {
    private static final int PACKETS = 8;
    private static final int PACKET = 192;

    private final BackendTransfer owner = new BackendTransfer(t -> {});
    private NativeTransfer n;

    @BeforeEach
    void nativeLibrary() {
        Usb4javaAssumptions.assumeNativeLibrary();
    }

    /** A native transfer that works {@code inPlace} or through usb4java; in place only where possible. */
    private void create(boolean inPlace) {
        if (inPlace) {
            Usb4javaAssumptions.assumeFieldsInPlace();
        }
        n = new NativeTransfer(null, owner, inPlace);
        assertThat(n.inPlace()).isEqualTo(inPlace);
    }

    @AfterEach
    void free() {
        if (n != null) {
            n.free();
        }
    }

    private void prepare(ByteBuffer b, int offset, int packets) {
        int[] lengths = new int[packets];
        Arrays.fill(lengths, PACKET);
        owner.isochronous(0x01, b, offset, 0, 1, lengths, packets);
        n.prepare(null); // the handle is not touched while it stays what the native transfer holds (none)
    }

    /**
     * Segment {@code segment} hands libusb {@code length} bytes starting at the caller's byte {@code at}:
     * writing through what libusb was given writes the caller's byte.
     */
    private void assertHandsOver(int segment, ByteBuffer caller, int at, int length) {
        Transfer t = n.nativeTransfer(segment);
        assertThat(t.length()).as("native length").isEqualTo(length);
        if (TransferStruct.available()) {
            assertThat(TransferStruct.buffer(t.getPointer()))
                    .as("native buffer address")
                    .isEqualTo(TransferStruct.address(caller) + at);
        }
        if (!n.inPlace()) { // usb4java's own record of the buffer is only kept up to date through its accessors
            ByteBuffer given = t.buffer();
            assertThat(given.isDirect()).isTrue();
            byte mark = (byte) (caller.get(at) + 1);
            given.put(0, mark);
            assertThat(caller.get(at)).isEqualTo(mark);
            if (at == 0) {
                assertThat(given).as("the caller's own buffer, no view").isSameAs(caller);
            }
        }
    }

    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void dataAtIndexZero_isHandedOverAsIs_withTheTransfersLength(boolean inPlace) {
        create(inPlace);
        ByteBuffer b = ByteBuffer.allocateDirect(4 * PACKETS * PACKET);
        prepare(b, 0, PACKETS);

        assertHandsOver(0, b, 0, PACKETS * PACKET);
        assertThat(n.nativeTransfer(0).numIsoPackets()).isEqualTo(PACKETS);
    }

    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void dataAtAnOffset_isHandedOverFromThere(boolean inPlace) {
        create(inPlace);
        ByteBuffer b = ByteBuffer.allocateDirect(4 * PACKETS * PACKET);
        int offset = 3 * PACKET + 5;
        prepare(b, offset, PACKETS);

        assertHandsOver(0, b, offset, PACKETS * PACKET);
    }

    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void aTransferOfMoreThanOneUrb_pointsEachSegmentAtItsOwnPackets(boolean inPlace) {
        create(inPlace);
        int packets = KernelLimits.MAX_PACKETS_PER_URB + PACKETS;
        ByteBuffer b = ByteBuffer.allocateDirect(packets * PACKET);
        prepare(b, 0, packets);

        assertHandsOver(0, b, 0, KernelLimits.MAX_PACKETS_PER_URB * PACKET);
        assertHandsOver(1, b, KernelLimits.MAX_PACKETS_PER_URB * PACKET, PACKETS * PACKET);
        assertThat(n.nativeTransfer(1).numIsoPackets()).isEqualTo(PACKETS);
    }

    /**
     * A driver that closes a finished transfer and issues the next from its callback gets a different
     * pooled transfer each time (its own is still in the callback), so each pooled transfer sees the
     * driver's buffers in turn: the native transfer follows every change, and nothing is allocated for it
     * once each buffer has been seen (before, each change made a new view: about 120 B per transfer).
     */
    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void buffersRotatingThroughAPooledTransfer_areFollowed_withNothingAllocatedInSteadyState(boolean inPlace) {
        create(inPlace);
        int packets = KernelLimits.MAX_PACKETS_PER_URB + PACKETS; // two segments: the second at an offset
        ByteBuffer[] slots = new ByteBuffer[4];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = ByteBuffer.allocateDirect(packets * PACKET);
        }
        int[] lengths = new int[packets];
        Arrays.fill(lengths, PACKET);
        rotate(slots, lengths, 5_000); // warm up: every slot's views made once, the loop compiled
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        rotate(slots, lengths, 5_000);
        double perPreparation = (mx.getCurrentThreadAllocatedBytes() - before) / 20_000.0;

        // not exactly 0: the JVM may allocate once in the window (a compilation's bookkeeping)
        assertThat(perPreparation).as("bytes allocated per preparation").isLessThan(4);
        int secondAt = KernelLimits.MAX_PACKETS_PER_URB * PACKET;
        for (ByteBuffer b : slots) {
            owner.isochronous(0x81, b, 0, 0, 1, lengths, packets);
            n.prepare(null);
            assertHandsOver(0, b, 0, secondAt);
            assertHandsOver(1, b, secondAt, PACKETS * PACKET);
        }
    }

    /** More buffers than a segment keeps views of: each is handed over right, in every round. */
    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void moreBuffersThanViewsKept_areStillEachHandedOverRight(boolean inPlace) {
        create(inPlace);
        ByteBuffer[] slots = new ByteBuffer[13];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = ByteBuffer.allocateDirect(PACKETS * PACKET + 16);
        }
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < slots.length; i++) {
                int offset = i % 2 == 0 ? 0 : 16;
                prepare(slots[i], offset, PACKETS);
                assertHandsOver(0, slots[i], offset, PACKETS * PACKET);
            }
        }
    }

    /** Packet lengths that change from one transfer to the next reach libusb each time. */
    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void changedPacketLengths_reachLibusb(boolean inPlace) {
        create(inPlace);
        ByteBuffer b = ByteBuffer.allocateDirect(PACKETS * PACKET);
        for (int round = 0; round < 3; round++) {
            int[] lengths = new int[PACKETS];
            for (int k = 0; k < PACKETS; k++) {
                lengths[k] = (k * 37 + round * 11) % PACKET;
            }
            owner.isochronous(0x81, b, 0, 0, 1, lengths, PACKETS - round);
            n.prepare(null);
            Transfer t = n.nativeTransfer(0);
            assertThat(t.numIsoPackets()).isEqualTo(PACKETS - round);
            for (int k = 0; k < PACKETS - round; k++) {
                assertThat(t.isoPacketDesc()[k].length())
                        .as("packet %d, round %d", k, round)
                        .isEqualTo(lengths[k]);
            }
        }
    }

    /**
     * What libusb writes into a completed transfer (here written the way libusb does, into the struct)
     * becomes each packet's length and status: an error packet keeps its status, a transfer-level error
     * is the overall status.
     */
    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void completedResults_areReadIntoTheBackendTransfer(boolean inPlace) {
        create(inPlace);
        assumeTrue(TransferStruct.available(), "libusb's side is written into the struct directly");
        int packets = KernelLimits.MAX_PACKETS_PER_URB + 3;
        ByteBuffer b = ByteBuffer.allocateDirect(packets * PACKET);
        int[] lengths = new int[packets];
        Arrays.fill(lengths, PACKET);
        owner.isochronous(0x81, b, 0, 0, 1, lengths, packets);
        owner.accept();
        n.prepare(null);
        n.assumeSubmitted();
        long first = n.nativeTransfer(0).getPointer();
        long second = n.nativeTransfer(1).getPointer();
        for (int k = 0; k < KernelLimits.MAX_PACKETS_PER_URB; k++) {
            complete(first, k, k % PACKET, LibUsb.TRANSFER_COMPLETED);
        }
        complete(second, 0, 100, LibUsb.TRANSFER_COMPLETED);
        complete(second, 1, 0, LibUsb.TRANSFER_ERROR);
        complete(second, 2, 7, LibUsb.TRANSFER_COMPLETED);
        writeStatus(first, LibUsb.TRANSFER_COMPLETED);
        writeStatus(second, LibUsb.TRANSFER_COMPLETED);

        n.readResults();

        int total = 0;
        for (int k = 0; k < KernelLimits.MAX_PACKETS_PER_URB; k++) {
            assertThat(owner.packetActual(k)).isEqualTo(k % PACKET);
            assertThat(owner.packetStatus(k)).isEqualTo(PacketStatus.OK);
            total += k % PACKET;
        }
        int m = KernelLimits.MAX_PACKETS_PER_URB;
        assertThat(owner.packetActual(m)).isEqualTo(100);
        assertThat(owner.packetStatus(m + 1)).isEqualTo(PacketStatus.HOST_ERROR);
        assertThat(owner.packetActual(m + 2)).isEqualTo(7);
        assertThat(owner.actualLength()).isEqualTo(total + 107);
        assertThat(owner.status()).isEqualTo(PacketStatus.OK);

        writeStatus(second, LibUsb.TRANSFER_NO_DEVICE);
        n.readResults();
        assertThat(owner.status()).isEqualTo(PacketStatus.DEVICE_GONE);
    }

    private static void complete(long transfer, int k, int actual, int status) {
        TransferStruct.completePacket(transfer, k, actual, status);
    }

    private static void writeStatus(long transfer, int status) {
        TransferStruct.complete(transfer, status, 0);
    }

    private void rotate(ByteBuffer[] slots, int[] lengths, int rounds) {
        for (int round = 0; round < rounds; round++) {
            for (ByteBuffer b : slots) {
                owner.isochronous(0x81, b, 0, 0, 1, lengths, lengths.length);
                n.prepare(null);
            }
        }
    }
}
