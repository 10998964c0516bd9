package io.github.usbd4j.capture;

import static io.github.usbd4j.wdm.NtStatus.STATUS_SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.Wdm;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WDM caller's transfers, captured: the comment gives the packets' USBD_STATUS its caller saw, not CE's codes,
 * and the flags what it asked for; the engine's own requests are captured too, without a caller's status.
 */
class DesktopCaptureTest {
    @TempDir
    Path dir;

    @Test
    void wdmUrbWithACrcPacket_isCommentedWithUsbdStatus() throws Exception {
        Path file = dir.resolve("wdm.pcapng");
        SimHarness harness = new SimHarness()
                .faults(FaultPlan.builder().faultAt(8, 0x81, PacketStatus.CRC).build());
        Urb urb;
        try (CeDriverFixture fx =
                new CeDriverFixture(harness, Usbd.builder().capture(CaptureTap.toFile(file)), UsbSpeed.FULL).plug()) {
            Wdm wdm = fx.usbd.wdm();
            UsbdHandle[] h = new UsbdHandle[1];
            assertThat(wdm.usbdCreateHandle(fx.usbd.devices().get(0), h)).isEqualTo(STATUS_SUCCESS);
            assertThat(wdm.selectInterface(h[0], 0, 1)).isEqualTo(STATUS_SUCCESS);
            harness.alignToFrame();
            Urb[] u = new Urb[1];
            assertThat(wdm.usbdIsochUrbAllocate(h[0], 4, u)).isEqualTo(STATUS_SUCCESS);
            urb = u[0];
            urb.pipeHandle = wdm.pipeHandle(h[0], 0x81);
            urb.transferFlags = Urb.USBD_TRANSFER_DIRECTION_IN | Urb.USBD_START_ISO_TRANSFER_ASAP;
            urb.transferBuffer = ByteBuffer.allocate(4 * 512);
            urb.transferBufferLength = 4 * 512;
            urb.numberOfPackets = 4;
            for (int k = 0; k < 4; k++) {
                urb.isoPacket[k].offset = k * 512;
            }
            wdm.submitUrb(h[0], urb, (x, nt, ctx) -> {}, null);
            harness.runFrames(15);
        }
        int bad = 8 - urb.startFrame;
        List<UsbmonRecord> records = CaptureReader.read(file);
        List<UsbmonRecord> in = records.stream()
                .filter(r -> r.type() == Usbmon.COMPLETE && r.xferType() == Usbmon.XFER_ISOCHRONOUS)
                .toList();
        assertThat(in).hasSize(1);
        assertThat(in.get(0).comment()).isEqualTo("USBD_STATUS: packets " + bad + "=USBD_STATUS_CRC");
        assertThat(in.get(0).iso().get(bad).status()).isEqualTo(Usbmon.EILSEQ);
        // what the WDM caller asked for: ASAP; a short packet is no error to it
        assertThat(in.get(0).transferFlags() & Usbmon.URB_ISO_ASAP).isNotZero();
        assertThat(in.get(0).transferFlags() & Usbmon.URB_SHORT_NOT_OK).isZero();

        // selectInterface's SET_INTERFACE is the engine's own request: captured, with no caller's status
        UsbmonRecord setInterface = records.stream()
                .filter(r -> r.type() == Usbmon.SUBMIT
                        && r.xferType() == Usbmon.XFER_CONTROL
                        && r.setup() != null
                        && r.setup()[1] == 0x0B)
                .findFirst()
                .orElseThrow();
        assertThat(setInterface.setup()).startsWith((byte) 0x01, (byte) 0x0B, (byte) 1, (byte) 0, (byte) 0);
        UsbmonRecord done = records.stream()
                .filter(r -> r.type() == Usbmon.COMPLETE && r.urbId() == setInterface.urbId())
                .findFirst()
                .orElseThrow();
        assertThat(done.status()).isZero();
        assertThat(done.comment()).isNull();
    }
}
