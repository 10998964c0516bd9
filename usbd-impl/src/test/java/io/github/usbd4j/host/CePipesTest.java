package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.Usb100.USB_FEATURE_ENDPOINT_STALL;
import static io.github.usbd4j.win32.Win32.ERROR_BUSY;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pipe members of {@code USB_FUNCS} (usb-iso-apis.md §1.6 #23–#27, #37/#38; §1.10). */
class CePipesTest {
    private CeHost h;

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    private UsbEndpointDescriptor endpoint(int iface, int alt, int address) {
        return h.f.findInterface(h.f.getDeviceInfo(h.device), iface, alt)
                .findEndpoint(address)
                .descriptor();
    }

    @Test
    void openPipeTwice_isErrorBusy() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbPipe first = h.open(1, 0, 0x02);
        Win32.setLastError(0);
        assertThat(h.f.openPipe(h.device, endpoint(1, 0, 0x02))).isNull();
        assertThat(Win32.getLastError()).as("§1.10 same endpoint already open").isEqualTo(ERROR_BUSY);
        assertThat(h.f.closePipe(first)).isTrue();
        assertThat(h.f.openPipe(h.device, endpoint(1, 0, 0x02)))
                .as("free again after ClosePipe")
                .isNotNull();
    }

    @Test
    void openPipe_beyondThePeriodicBudget_isErrorBusyUntilAnotherPipeCloses() {
        h = CeHost.with(new TestModels.BigIso());
        h.selectAlt(0, 1);
        UsbPipe out = h.f.openPipe(h.device, endpoint(0, 1, 0x01));
        assertThat(out)
                .as("one 1023-byte iso endpoint fits 90 %% of a full-speed frame")
                .isNotNull();
        Win32.setLastError(0);
        assertThat(h.f.openPipe(h.device, endpoint(0, 1, 0x81))).isNull();
        assertThat(Win32.getLastError()).as("§1.10 no bandwidth").isEqualTo(ERROR_BUSY);

        assertThat(h.f.closePipe(out)).isTrue();
        UsbPipe in = h.f.openPipe(h.device, endpoint(0, 1, 0x81));
        assertThat(in).as("the bandwidth came back with ClosePipe").isNotNull();
        assertThat(h.f.openPipe(h.device, endpoint(0, 1, 0x01))).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_BUSY);
    }

    @Test
    void stalledBulkTransfer_haltsThePipe_resetPipeClearsIt() {
        h = new CeHost(
                LoopbackDevice.fullSpeed().speed(), 0, io.github.usbd4j.ce.UsbDriverSettings.forVendor(0x1209, 1));
        h.plug(LoopbackDevice.fullSpeed(), FaultPlan.builder().stallAt(50, 0x02).build());
        UsbPipe out = h.open(1, 0, 0x02);
        boolean[] halted = {true};
        assertThat(h.f.isPipeHalted(out, halted)).isTrue();
        assertThat(halted[0]).isFalse();

        h.sim.advanceTo(60);
        UsbTransfer t = h.f.issueBulkTransfer(out, null, null, 0, 8, ByteBuffer.allocate(8), 0);
        assertThat(h.error(t)).isEqualTo(USB_STALL_ERROR);
        h.f.closeTransfer(t);
        assertThat(h.f.isPipeHalted(out, halted)).isTrue();
        assertThat(halted[0]).as("halted after the STALL").isTrue();

        assertThat(h.f.resetPipe(out)).isTrue();
        assertThat(h.f.isPipeHalted(out, halted)).isTrue();
        assertThat(halted[0]).as("§1.10 ResetPipe clears the host-side halt").isFalse();

        // §1.10: ResetPipe does not clear the device's STALL; CLEAR_FEATURE(ENDPOINT_HALT) does
        assertThat(h.simDevice.isHalted(0x02)).isTrue();
        UsbTransfer clear =
                h.f.clearFeature(h.device, null, null, USB_SEND_TO_ENDPOINT, USB_FEATURE_ENDPOINT_STALL, 0x02);
        assertThat(h.error(clear)).isEqualTo(USB_NO_ERROR);
        h.f.closeTransfer(clear);
        UsbTransfer again = h.f.issueBulkTransfer(out, null, null, 0, 8, ByteBuffer.allocate(8), 0);
        assertThat(h.error(again)).isEqualTo(USB_NO_ERROR);
        h.f.closeTransfer(again);
    }

    @Test
    void stalledControlRequest_haltsTheDefaultPipe_resetDefaultPipeClearsIt() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        boolean[] halted = {true};
        assertThat(h.f.isDefaultPipeHalted(h.device, halted)).isTrue();
        assertThat(halted[0]).isFalse();

        UsbTransfer t =
                h.f.issueVendorTransfer(h.device, null, null, 0, new UsbDeviceRequest(0x40, 0x55, 0, 0, 0), null, 0);
        assertThat(h.error(t)).isEqualTo(USB_STALL_ERROR);
        h.f.closeTransfer(t);
        assertThat(h.f.isDefaultPipeHalted(h.device, halted)).isTrue();
        assertThat(halted[0]).isTrue();

        assertThat(h.f.resetDefaultPipe(h.device)).isTrue();
        assertThat(h.f.isDefaultPipeHalted(h.device, halted)).isTrue();
        assertThat(halted[0]).isFalse();
    }

    @Test
    void closePipe_laterTransfersOnItFailWithInvalidHandle() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbPipe out = h.open(1, 0, 0x02);
        assertThat(h.f.closePipe(out)).isTrue();
        Win32.setLastError(0);
        assertThat(h.f.issueBulkTransfer(out, null, null, 0, 8, ByteBuffer.allocate(8), 0))
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        boolean[] halted = {false};
        assertThat(h.f.isPipeHalted(out, halted)).isFalse();
        assertThat(h.f.resetPipe(out)).isFalse();
        assertThat(h.f.abortPipeTransfers(out, 0)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
    }

    @Test
    void closePipe_withAPendingTransfer_cancelsItAndRunsItsCallback() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbPipe in = h.open(1, 0, 0x82);
        List<Object> called = new CopyOnWriteArrayList<>();
        UsbTransfer t = h.f.issueBulkTransfer(
                in, param -> called.add(param) ? 0 : 1, "p", USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
        h.sim.advanceFrames(10);
        assertThat(h.f.closePipe(in)).isTrue();
        assertThat(called).containsExactly("p");
        assertThat(h.error(t)).isEqualTo(USB_CANCELED_ERROR);
    }

    @Test
    void abortPipeTransfers_cancelsEveryPendingBulkTransfer_andThePipeStaysUsable() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbPipe out = h.open(1, 0, 0x02);
        UsbPipe in = h.open(1, 0, 0x82);
        List<Object> called = new CopyOnWriteArrayList<>();
        UsbTransfer a = h.f.issueBulkTransfer(
                in, param -> called.add(param) ? 0 : 1, "a", USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
        UsbTransfer b = h.f.issueBulkTransfer(
                in, param -> called.add(param) ? 0 : 1, "b", USB_IN_TRANSFER, 64, ByteBuffer.allocate(64), 0);
        h.sim.advanceFrames(10);
        assertThat(h.f.isTransferComplete(a)).isFalse();

        assertThat(h.f.abortPipeTransfers(in, 0)).isTrue();
        assertThat(h.error(a)).isEqualTo(USB_CANCELED_ERROR);
        assertThat(h.error(b)).isEqualTo(USB_CANCELED_ERROR);
        assertThat(called).containsExactlyInAnyOrder("a", "b");
        h.f.closeTransfer(a);
        h.f.closeTransfer(b);

        h.f.closeTransfer(h.f.issueBulkTransfer(out, null, null, 0, 4, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 0));
        ByteBuffer got = ByteBuffer.allocate(4);
        UsbTransfer r = h.f.issueBulkTransfer(in, null, null, USB_IN_TRANSFER, 4, got, 0);
        assertThat(h.error(r)).isEqualTo(USB_NO_ERROR);
        assertThat(got.array()).containsExactly(1, 2, 3, 4);
        h.f.closeTransfer(r);
    }
}
