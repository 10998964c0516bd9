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

/** A WDM caller's transfers, captured: the comment gives the packets' USBD_STATUS its caller saw, not CE's codes. */
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
        List<UsbmonRecord> in = CaptureReader.read(file).stream()
                .filter(r -> r.type() == Usbmon.COMPLETE && r.xferType() == Usbmon.XFER_ISOCHRONOUS)
                .toList();
        assertThat(in).hasSize(1);
        assertThat(in.get(0).comment()).isEqualTo("USBD_STATUS: packets " + bad + "=USBD_STATUS_CRC");
        assertThat(in.get(0).iso().get(bad).status()).isEqualTo(Usbmon.EILSEQ);
    }
}
