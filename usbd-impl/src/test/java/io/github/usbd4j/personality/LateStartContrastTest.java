package io.github.usbd4j.personality;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.UsbdStatus.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The one scheduling rule that differs between the personalities, shown side by side on the same bus
 * time ([§5](reference/cross-api.html#s5) "late start"): CE refuses a transfer whose start frame has passed
 * ({@code ERROR_CAN_NOT_COMPLETE}, [§1.8](reference/ce-usbd.html#s1-8)); WinUSB and WDM run it and fail only the late
 * packets ([§2.3](reference/winusb.html#s2-3), [§3.5](reference/wdm.html#s3-5)). And the window: CE accepts any future
 * start frame; WinUSB and WDM refuse one 1024 frames away.
 */
class LateStartContrastTest {

    private static CeDriverFixture bus() {
        CeDriverFixture fx = new CeDriverFixture(new SimHarness(), Usbd.builder(), UsbSpeed.FULL).plug();
        fx.harness.runFrames(50);
        ((SimHarness) fx.harness).alignToFrame();
        return fx;
    }

    @Test
    void aStartTwoFramesInThePast_isRefusedByCe_butRunsWithTwoLatePacketsOnWinUsb() {
        try (CeDriverFixture ce = bus();
                CeDriverFixture win = bus()) {
            UsbPipe pipe = ce.openIsoPipe(1, 0x01);
            int ceNow = ce.frame();
            Win32.setLastError(0);
            assertThat(ce.funcs.issueIsochTransfer(
                            pipe,
                            null,
                            null,
                            USB_OUT_TRANSFER,
                            ceNow - 2,
                            4,
                            new int[] {8, 8, 8, 8},
                            ByteBuffer.allocate(32),
                            0))
                    .isNull();
            assertThat(Win32.getLastError()).isEqualTo(Win32.ERROR_CAN_NOT_COMPLETE);

            WinUsb w = win.usbd.winUsb();
            WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
            w.initialize(win.usbd.devices().get(0), ih);
            w.setCurrentAlternateSetting(ih[0], 1);
            WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
            w.registerIsochBuffer(ih[0], 0x81, ByteBuffer.allocate(4 * 512), 4 * 512, bh);
            ((SimHarness) win.harness).alignToFrame();
            UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(4);
            assertThat(w.readIsochPipe(bh[0], 0, 4 * 512, new int[] {win.frame() - 2}, 4, d, null))
                    .isTrue();
            assertThat(d)
                    .extracting(x -> x.status)
                    .containsExactly(
                            USBD_STATUS_ISO_NOT_ACCESSED_LATE,
                            USBD_STATUS_ISO_NOT_ACCESSED_LATE,
                            USBD_STATUS_SUCCESS,
                            USBD_STATUS_SUCCESS);
        }
    }

    @Test
    void aStart1024FramesAhead_isAcceptedByCe_butRefusedByWinUsb() {
        try (CeDriverFixture ce = bus();
                CeDriverFixture win = bus()) {
            UsbPipe pipe = ce.openIsoPipe(1, 0x01);
            var t = ce.funcs.issueIsochTransfer(
                    pipe, null, null, USB_NO_WAIT, ce.frame() + 1024, 1, new int[] {8}, ByteBuffer.allocate(8), 0);
            assertThat(t).isNotNull();
            ce.funcs.closeTransfer(t);

            WinUsb w = win.usbd.winUsb();
            WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
            w.initialize(win.usbd.devices().get(0), ih);
            w.setCurrentAlternateSetting(ih[0], 1);
            WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
            w.registerIsochBuffer(ih[0], 0x01, ByteBuffer.allocate(512), 512, bh);
            Win32.setLastError(0);
            assertThat(w.writeIsochPipe(bh[0], 0, 512, new int[] {win.frame() + 1024}, null))
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(Win32.ERROR_INVALID_PARAMETER);
        }
    }
}
