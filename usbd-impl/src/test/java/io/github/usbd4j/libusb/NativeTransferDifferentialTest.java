package io.github.usbd4j.libusb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.host.spi.BackendTransfer;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;

/**
 * Seeded differential test of the two ways {@link NativeTransfer} reaches a libusb transfer's fields: in place
 * ({@link TransferStruct}) and through usb4java's accessors. Two pooled transfers are driven through the same
 * random sequence of isochronous requests (1 to 300 packets, so one to three URBs; random lengths, directions,
 * direct buffers at random offsets and heap buffers), and the same random completions (a status and an actual
 * length per packet, a status per URB, as libusb writes them). After each preparation the libusb transfers
 * must hold the same fields, and after each completion the requests the same results. Reusing the two
 * transfers across changing shapes exercises what each way caches. {@code -Dusbd4j.fuzz.seed=N} replays one
 * seed (it is in the failure message).
 */
class NativeTransferDifferentialTest {
    private static final int[] STATUSES = {
        LibUsb.TRANSFER_COMPLETED,
        LibUsb.TRANSFER_ERROR,
        LibUsb.TRANSFER_TIMED_OUT,
        LibUsb.TRANSFER_CANCELLED,
        LibUsb.TRANSFER_STALL,
        LibUsb.TRANSFER_NO_DEVICE,
        LibUsb.TRANSFER_OVERFLOW
    };

    @Test
    void inPlaceAndThroughUsb4java_agreeOnEveryFieldAndResult() {
        Usb4javaAssumptions.assumeFieldsInPlace();
        long seed = Long.getLong("usbd4j.fuzz.seed", 0x1B05_13L);
        SplittableRandom random = new SplittableRandom(seed);
        BackendTransfer a = new BackendTransfer(t -> {});
        BackendTransfer b = new BackendTransfer(t -> {});
        NativeTransfer inPlace = new NativeTransfer(null, a, true);
        NativeTransfer accessors = new NativeTransfer(null, b, false);
        ByteBuffer[] direct = new ByteBuffer[3];
        try {
            for (int round = 0; round < 400; round++) {
                String where = "seed " + seed + ", round " + round;
                int packets = 1 + random.nextInt(random.nextInt(4) == 0 ? 300 : 16);
                int[] lengths = new int[packets];
                int total = 0;
                for (int k = 0; k < packets; k++) {
                    lengths[k] = random.nextInt(4) == 0 ? random.nextInt(3) : random.nextInt(1, 1025);
                    total += lengths[k];
                }
                int endpoint = random.nextBoolean() ? 0x81 : 0x02;
                int offset = random.nextInt(4) == 0 ? 0 : random.nextInt(64);
                ByteBuffer bufA;
                ByteBuffer bufB;
                if (random.nextInt(5) == 0) { // heap: bounced
                    bufA = ByteBuffer.allocate(offset + total + random.nextInt(16));
                    bufB = ByteBuffer.allocate(bufA.capacity());
                } else { // a few direct buffers reused, as a stream's slots are
                    int slot = random.nextInt(direct.length);
                    if (direct[slot] == null || direct[slot].capacity() < offset + total) {
                        direct[slot] = ByteBuffer.allocateDirect(offset + total + random.nextInt(16));
                    }
                    bufA = direct[slot];
                    bufB = direct[slot];
                }
                a.isochronous(endpoint, bufA, offset, 0, 1, lengths, packets);
                b.isochronous(endpoint, bufB, offset, 0, 1, lengths, packets);
                a.accept();
                b.accept();
                inPlace.prepare(null);
                accessors.prepare(null);

                int urbs = (packets + KernelLimits.MAX_PACKETS_PER_URB - 1) / KernelLimits.MAX_PACKETS_PER_URB;
                int first = 0;
                int bytesBefore = 0;
                for (int i = 0; i < urbs; i++) {
                    Transfer ta = inPlace.nativeTransfer(i);
                    Transfer tb = accessors.nativeTransfer(i);
                    int count = Math.min(packets - first, KernelLimits.MAX_PACKETS_PER_URB);
                    int bytes = 0;
                    for (int k = 0; k < count; k++) {
                        bytes += lengths[first + k];
                    }
                    assertThat(ta.numIsoPackets()).as(where + ", URB " + i).isEqualTo(count);
                    assertThat(tb.numIsoPackets()).as(where + ", URB " + i).isEqualTo(count);
                    assertThat(ta.length()).as(where + ", URB " + i).isEqualTo(bytes);
                    assertThat(tb.length()).as(where + ", URB " + i).isEqualTo(bytes);
                    if (bufA.isDirect()) {
                        long at = TransferStruct.address(bufA) + offset + bytesBefore;
                        assertThat(TransferStruct.buffer(ta.getPointer()))
                                .as(where)
                                .isEqualTo(at);
                        assertThat(TransferStruct.buffer(tb.getPointer()))
                                .as(where)
                                .isEqualTo(at);
                    }
                    IsoPacketDescriptor[] da = ta.isoPacketDesc();
                    IsoPacketDescriptor[] db = tb.isoPacketDesc();
                    for (int k = 0; k < count; k++) {
                        assertThat(da[k].length())
                                .as(where + ", packet " + (first + k))
                                .isEqualTo(lengths[first + k]);
                        assertThat(db[k].length())
                                .as(where + ", packet " + (first + k))
                                .isEqualTo(lengths[first + k]);
                    }
                    // libusb's completion, the same into both
                    int status = random.nextInt(3) == 0 ? STATUSES[random.nextInt(STATUSES.length)] : 0;
                    TransferStruct.complete(ta.getPointer(), status, 0);
                    TransferStruct.complete(tb.getPointer(), status, 0);
                    for (int k = 0; k < count; k++) {
                        int s = random.nextInt(4) == 0 ? STATUSES[random.nextInt(STATUSES.length)] : 0;
                        int actual = random.nextInt(lengths[first + k] + 1);
                        TransferStruct.completePacket(ta.getPointer(), k, actual, s);
                        TransferStruct.completePacket(tb.getPointer(), k, actual, s);
                    }
                    first += count;
                    bytesBefore += bytes;
                }
                inPlace.assumeSubmitted();
                accessors.assumeSubmitted();
                inPlace.readResults();
                accessors.readResults();

                assertThat(a.status()).as(where).isEqualTo(b.status());
                assertThat(a.actualLength()).as(where).isEqualTo(b.actualLength());
                for (int k = 0; k < packets; k++) {
                    assertThat(a.packetActual(k)).as(where + ", packet " + k).isEqualTo(b.packetActual(k));
                    assertThat(a.packetStatus(k)).as(where + ", packet " + k).isEqualTo(b.packetStatus(k));
                }
                assertThat(bufA.duplicate().clear())
                        .as(where)
                        .isEqualTo(bufB.duplicate().clear());
                a.complete();
                b.complete();
            }
        } finally {
            inPlace.free();
            accessors.free();
        }
    }
}
