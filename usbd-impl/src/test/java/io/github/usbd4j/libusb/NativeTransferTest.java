package io.github.usbd4j.libusb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.host.spi.BackendTransfer;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.usb4java.Transfer;

/**
 * How a pooled transfer points its libusb transfers at the caller's data. Only usb4java's native library
 * is needed (no device, no libusb context): the transfers are prepared, never submitted.
 */
class NativeTransferTest {
    private static final int PACKETS = 8;
    private static final int PACKET = 192;

    private final BackendTransfer owner = new BackendTransfer(t -> {});
    private NativeTransfer n;

    @BeforeEach
    void nativeLibrary() {
        assumeTrue(
                LibusbHostController.isAvailable(),
                () -> "usb4java cannot load here: "
                        + LibusbHostController.unavailabilityCause().orElseThrow());
        n = new NativeTransfer(null, owner);
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

    /** Writing through what libusb was given writes the caller's byte {@code at}. */
    private static void assertAliases(Transfer t, ByteBuffer caller, int at) {
        ByteBuffer given = t.buffer();
        assertThat(given.isDirect()).isTrue();
        byte mark = (byte) (caller.get(at) + 1);
        given.put(0, mark);
        assertThat(caller.get(at)).isEqualTo(mark);
    }

    @Test
    void dataAtIndexZero_isHandedOverAsTheCallersOwnBuffer_withTheTransfersLength() {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * PACKETS * PACKET);
        prepare(b, 0, PACKETS);

        Transfer t = n.nativeTransfer(0);
        assertThat(t.buffer()).isSameAs(b);
        assertThat(t.length()).isEqualTo(PACKETS * PACKET);
        assertThat(t.numIsoPackets()).isEqualTo(PACKETS);
    }

    @Test
    void dataAtAnOffset_isASliceStartingThere() {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * PACKETS * PACKET);
        int offset = 3 * PACKET + 5;
        prepare(b, offset, PACKETS);

        Transfer t = n.nativeTransfer(0);
        assertThat(t.length()).isEqualTo(PACKETS * PACKET);
        assertAliases(t, b, offset);
    }

    @Test
    void aTransferOfMoreThanOneUrb_pointsEachSegmentAtItsOwnPackets() {
        int packets = KernelLimits.MAX_PACKETS_PER_URB + PACKETS;
        ByteBuffer b = ByteBuffer.allocateDirect(packets * PACKET);
        prepare(b, 0, packets);

        assertThat(n.nativeTransfer(0).buffer()).isSameAs(b);
        assertThat(n.nativeTransfer(0).length()).isEqualTo(KernelLimits.MAX_PACKETS_PER_URB * PACKET);
        assertThat(n.nativeTransfer(1).length()).isEqualTo(PACKETS * PACKET);
        assertAliases(n.nativeTransfer(1), b, KernelLimits.MAX_PACKETS_PER_URB * PACKET);
    }

    /**
     * A driver that closes a finished transfer and issues the next from its callback gets a different
     * pooled transfer each time (its own is still in the callback), so each pooled transfer sees the
     * driver's buffers in turn: the native transfer follows every change, and nothing is allocated for it
     * once each buffer has been seen (before, each change made a new view: about 120 B per transfer).
     */
    @Test
    void buffersRotatingThroughAPooledTransfer_areFollowed_withNothingAllocatedInSteadyState() {
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
            assertThat(n.nativeTransfer(0).buffer()).isSameAs(b);
            assertThat(n.nativeTransfer(0).length()).isEqualTo(secondAt);
            assertAliases(n.nativeTransfer(1), b, secondAt);
        }
    }

    /** More buffers than a segment keeps views of: each is handed over right, in every round. */
    @Test
    void moreBuffersThanViewsKept_areStillEachHandedOverRight() {
        ByteBuffer[] slots = new ByteBuffer[13];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = ByteBuffer.allocateDirect(PACKETS * PACKET + 16);
        }
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < slots.length; i++) {
                int offset = i % 2 == 0 ? 0 : 16;
                prepare(slots[i], offset, PACKETS);
                assertThat(n.nativeTransfer(0).length()).isEqualTo(PACKETS * PACKET);
                assertAliases(n.nativeTransfer(0), slots[i], offset);
            }
        }
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
