package io.github.usbd4j.libusb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;

/**
 * The in-place fields of a libusb transfer agree with usb4java's accessors, both ways, on transfers of
 * several sizes (the class's own start-up check does the same on one transfer, and falls back if it fails).
 */
class TransferStructTest {

    @BeforeEach
    void nativeLibrary() {
        Usb4javaAssumptions.assumeNativeLibrary();
    }

    @Test
    void onJava17To23WithUsb4javasLibusb_theLayoutCheckPasses() {
        assumeTrue(Runtime.version().feature() <= 23, "newer Java: usb4java's accessors by design");
        assumeTrue(Boolean.parseBoolean(System.getProperty(TransferStruct.PROPERTY, "true")));
        assertThat(TransferStruct.unavailabilityCause()).isEmpty();
    }

    @Test
    void everyField_agreesWithUsb4javasAccessors_bothWays() {
        Usb4javaAssumptions.assumeFieldsInPlace();
        for (int packets : new int[] {0, 1, 8, 128}) {
            Transfer t = LibUsb.allocTransfer(packets);
            try {
                long p = t.getPointer();
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                t.setBuffer(b);
                t.setLength(1234);
                t.setNumIsoPackets(packets);
                assertThat(TransferStruct.buffer(p)).isEqualTo(TransferStruct.address(b));
                IsoPacketDescriptor[] iso = t.isoPacketDesc();
                for (int k = 0; k < packets; k++) {
                    iso[k].setLength(k * 3 + 1);
                }

                TransferStruct.setLength(p, 999);
                TransferStruct.setBuffer(p, TransferStruct.address(b) + 16);
                TransferStruct.complete(p, LibUsb.TRANSFER_STALL, 321);
                for (int k = 0; k < packets; k++) {
                    TransferStruct.setPacketLength(p, k, 1000 + k);
                    TransferStruct.completePacket(p, k, 500 + k, k % 5);
                }

                assertThat(t.length()).isEqualTo(999);
                assertThat(t.status()).isEqualTo(LibUsb.TRANSFER_STALL);
                assertThat(t.actualLength()).isEqualTo(321);
                assertThat(TransferStruct.status(p)).isEqualTo(LibUsb.TRANSFER_STALL);
                assertThat(TransferStruct.actualLength(p)).isEqualTo(321);
                assertThat(TransferStruct.buffer(p)).isEqualTo(TransferStruct.address(b) + 16);
                for (int k = 0; k < packets; k++) {
                    assertThat(iso[k].length()).isEqualTo(1000 + k);
                    assertThat(iso[k].actualLength()).isEqualTo(500 + k);
                    assertThat(iso[k].status()).isEqualTo(k % 5);
                    assertThat(TransferStruct.packetActualLength(p, k)).isEqualTo(500 + k);
                    assertThat(TransferStruct.packetStatus(p, k)).isEqualTo(k % 5);
                }
                if (packets > 1) {
                    TransferStruct.setNumIsoPackets(p, packets - 1);
                    assertThat(t.numIsoPackets()).isEqualTo(packets - 1);
                }
            } finally {
                LibUsb.freeTransfer(t);
            }
        }
    }

    @Test
    void aBuffersAddress_isThatOfItsIndexZero_whateverItsPosition() {
        Usb4javaAssumptions.assumeFieldsInPlace();
        ByteBuffer b = ByteBuffer.allocateDirect(64);
        long at = TransferStruct.address(b);
        b.position(10);
        assertThat(TransferStruct.address(b)).isEqualTo(at);
        assertThat(TransferStruct.address(b.slice(8, 8))).isEqualTo(at + 8);
    }
}
