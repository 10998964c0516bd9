package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.usb.Usb100.*;
import static io.github.usbd4j.win32.Win32.ERROR_INSUFFICIENT_BUFFER;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbStringDescriptor;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The standard-request members of {@code USB_FUNCS} ([§1.6](reference/ce-usbd.html#s1-6) #14–#22,
 * [§1.7](reference/ce-usbd.html#s1-7)) against the loopback device, synchronously (no callback) and asynchronously
 * (with a callback).
 */
class CeStandardRequestsTest {
    private CeHost h;
    private final AtomicInteger callbacks = new AtomicInteger();

    @BeforeEach
    void setUp() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private int callback(Object param) {
        callbacks.incrementAndGet();
        return 0;
    }

    @Test
    void getDescriptorDevice_sync_returnsTheModels18Bytes() {
        ByteBuffer buf = ByteBuffer.allocate(18);
        UsbTransfer t = h.f.getDescriptor(h.device, null, null, 0, USB_DEVICE_DESCRIPTOR_TYPE, 0, 0, 18, buf);

        assertThat(t).isNotNull();
        assertThat(h.f.isTransferComplete(t))
                .as("§1.7 synchronous: complete on return")
                .isTrue();
        assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(t)).isEqualTo(18);
        assertThat(buf.array()).isEqualTo(h.model.deviceDescriptor().toBytes());
        assertThat(h.f.closeTransfer(t)).isTrue();
    }

    @Test
    void getDescriptorConfiguration_async_headerThenWholeDescriptor() {
        byte[] expected = h.model.configurationDescriptors().get(0);
        ByteBuffer header = ByteBuffer.allocate(9);
        UsbTransfer t = h.f.getDescriptor(
                h.device, this::callback, null, 0, USB_CONFIGURATION_DESCRIPTOR_TYPE, 0, 0, 9, header);
        assertThat(t).isNotNull();
        h.await(t);
        assertThat(callbacks.get()).as("§1.7 the callback runs exactly once").isEqualTo(1);
        assertThat(h.bytes(t)).isEqualTo(9);
        int total = header.order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xFFFF;
        assertThat(total).isEqualTo(expected.length);
        h.f.closeTransfer(t);

        ByteBuffer all = ByteBuffer.allocate(total);
        UsbTransfer t2 = h.f.getDescriptor(
                h.device, this::callback, null, 0, USB_CONFIGURATION_DESCRIPTOR_TYPE, 0, 0, total, all);
        h.await(t2);
        assertThat(h.bytes(t2)).isEqualTo(total);
        assertThat(all.array()).isEqualTo(expected);
        assertThat(callbacks.get()).isEqualTo(2);
        h.f.closeTransfer(t2);
    }

    @Test
    void getDescriptorString_withLanguage0409_translatesIntoNulTerminatedChars() {
        int iProduct = h.model.deviceDescriptor().iProduct();
        ByteBuffer buf = ByteBuffer.allocate(255);
        UsbTransfer t =
                h.f.getDescriptor(h.device, null, null, 0, USB_STRING_DESCRIPTOR_TYPE, iProduct, 0x0409, 255, buf);
        assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
        int n = h.bytes(t);
        h.f.closeTransfer(t);
        assertThat(buf.get(0) & 0xFF).isEqualTo(n);
        assertThat(buf.get(1)).isEqualTo((byte) USB_STRING_DESCRIPTOR_TYPE);
        char[] text = new char[(n - 2) / 2];
        buf.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < text.length; i++) {
            text[i] = buf.getChar(2 + 2 * i);
        }
        UsbStringDescriptor sd = new UsbStringDescriptor(n, USB_STRING_DESCRIPTOR_TYPE, new String(text));

        char[] out = new char[40];
        Arrays.fill(out, 'x');
        assertThat(h.f.translateStringDesc(sd, out, out.length)).isTrue();
        String expected = h.model.string(iProduct);
        assertThat(new String(out, 0, expected.length())).isEqualTo(expected);
        assertThat(out[expected.length()]).as("NUL-terminated").isEqualTo('\0');

        char[] small = new char[expected.length()]; // no room for the NUL
        Win32.setLastError(0);
        assertThat(h.f.translateStringDesc(sd, small, small.length)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INSUFFICIENT_BUFFER);
    }

    @Test
    void setInterfaceThenGetInterface_roundTripsTheAlternateSetting() {
        UsbTransfer set = h.f.setInterface(h.device, this::callback, null, 0, 0, 2);
        h.await(set);
        assertThat(h.error(set)).isEqualTo(USB_NO_ERROR);
        h.f.closeTransfer(set);
        assertThat(h.simDevice.alternateSetting(0)).isEqualTo(2);

        int[] alt = {-1};
        UsbTransfer get = h.f.getInterface(h.device, null, null, 0, 0, alt);
        assertThat(h.error(get)).isEqualTo(USB_NO_ERROR);
        assertThat(alt[0]).isEqualTo(2);
        h.f.closeTransfer(get);

        h.selectAlt(0, 1);
        int[] alt2 = {-1};
        UsbTransfer get2 = h.f.getInterface(h.device, this::callback, null, 0, 0, alt2);
        h.await(get2);
        assertThat(alt2[0]).isEqualTo(1);
        h.f.closeTransfer(get2);
    }

    private int endpointStatus(int address) {
        int[] status = {-1};
        UsbTransfer t = h.f.getStatus(h.device, null, null, 0, address, status); // USB_SEND_TO_ENDPOINT default
        assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(t)).isEqualTo(2);
        h.f.closeTransfer(t);
        return status[0];
    }

    @Test
    void setFeatureAndClearFeature_endpointHalt_showInGetStatusBit0() {
        assertThat(endpointStatus(0x82) & 1).isZero();

        UsbTransfer set = h.f.setFeature(h.device, null, null, 0, USB_FEATURE_ENDPOINT_STALL, 0x82);
        assertThat(h.error(set)).isEqualTo(USB_NO_ERROR);
        h.f.closeTransfer(set);
        assertThat(h.simDevice.isHalted(0x82)).isTrue();
        assertThat(endpointStatus(0x82) & 1).as("halted").isEqualTo(1);

        UsbTransfer clear = h.f.clearFeature(
                h.device, this::callback, null, USB_SEND_TO_ENDPOINT, USB_FEATURE_ENDPOINT_STALL, 0x82);
        h.await(clear);
        assertThat(h.error(clear)).isEqualTo(USB_NO_ERROR);
        assertThat(callbacks.get()).isEqualTo(1);
        h.f.closeTransfer(clear);
        assertThat(h.simDevice.isHalted(0x82)).isFalse();
        assertThat(endpointStatus(0x82) & 1).as("no longer halted").isZero();
    }

    @Test
    void getStatusDevice_reportsBusPoweredNoWakeup() {
        int[] status = {-1};
        UsbTransfer t = h.f.getStatus(h.device, this::callback, null, USB_SEND_TO_DEVICE, 0, status);
        h.await(t);
        assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(t)).isEqualTo(2);
        assertThat(status[0])
                .as("the loopback configuration is bus powered (bmAttributes 0x80)")
                .isZero();
        h.f.closeTransfer(t);
    }

    @Test
    void syncFrame_onAnIsoEndpoint_returnsTheCurrentFrameNumber() {
        h.selectAlt(0, 1);
        h.sim.advanceFrames(0x7F0); // close to the 11-bit wrap of the SOF frame number
        long before = h.sim.currentFrame();
        int[] frame = {-1};
        UsbTransfer t = h.f.syncFrame(h.device, null, null, USB_IN_TRANSFER, 0x81, frame);
        long after = h.sim.currentFrame();
        assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(t)).isEqualTo(2);
        h.f.closeTransfer(t);
        assertThat(frame[0]).isBetween(0, 0x7FF);
        boolean inWindow = false;
        for (long fr = before; fr <= after; fr++) {
            inWindow |= frame[0] == (fr & 0x7FF);
        }
        assertThat(inWindow)
                .as("frame %d within [%d, %d]", frame[0], before, after)
                .isTrue();

        int[] frame2 = {-1};
        UsbTransfer t2 = h.f.syncFrame(h.device, this::callback, null, 0, 0x81, frame2);
        h.await(t2);
        assertThat(callbacks.get()).isEqualTo(1);
        assertThat(frame2[0]).isBetween(0, 0x7FF);
        h.f.closeTransfer(t2);
    }

    @Test
    void setDescriptor_theLoopbackStallsIt_ceReportsUsbStallError() {
        ByteBuffer data = ByteBuffer.wrap(UsbStringDescriptor.of("new").toBytes());
        UsbTransfer t = h.f.setDescriptor(h.device, null, null, 0, USB_STRING_DESCRIPTOR_TYPE, 4, 0x0409, 8, data);
        assertThat(t).as("§1.7 a failed transfer still returns a handle").isNotNull();
        assertThat(h.f.isTransferComplete(t)).isTrue();
        assertThat(h.error(t)).isEqualTo(USB_STALL_ERROR);
        h.f.closeTransfer(t);

        // EP0 recovers: the next request on the default pipe works after ResetDefaultPipe
        h.f.resetDefaultPipe(h.device);
        int[] status = {-1};
        UsbTransfer s = h.f.getStatus(h.device, null, null, USB_SEND_TO_DEVICE, 0, status);
        assertThat(h.error(s)).isEqualTo(USB_NO_ERROR);
        h.f.closeTransfer(s);
    }

    private int[] counters() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        UsbTransfer t = h.f.issueVendorTransfer(
                h.device,
                null,
                null,
                USB_IN_TRANSFER,
                new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16),
                b,
                0);
        assertThat(h.error(t)).isEqualTo(USB_NO_ERROR);
        assertThat(h.bytes(t)).isEqualTo(16);
        h.f.closeTransfer(t);
        return new int[] {b.getInt(0), b.getInt(4), b.getInt(8), b.getInt(12)};
    }

    @Test
    void issueVendorTransfer_countersAfterBulkTraffic_thenResetZeroesThem() {
        UsbPipe out = h.open(1, 0, 0x02);
        UsbPipe in = h.open(1, 0, 0x82);
        UsbTransfer w = h.f.issueBulkTransfer(out, null, null, 0, 100, ByteBuffer.allocate(100), 0);
        assertThat(h.error(w)).isEqualTo(USB_NO_ERROR);
        h.f.closeTransfer(w);
        UsbTransfer r = h.f.issueBulkTransfer(
                in, null, null, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, 64, ByteBuffer.allocate(64), 0);
        assertThat(h.bytes(r)).isEqualTo(64);
        h.f.closeTransfer(r);

        assertThat(counters()).containsExactly(0, 0, 100, 64);

        UsbTransfer reset = h.f.issueVendorTransfer(
                h.device,
                this::callback,
                null,
                0,
                new UsbDeviceRequest(0x40, LoopbackDevice.REQUEST_RESET, 0, 0, 0),
                null,
                0);
        h.await(reset);
        assertThat(h.error(reset)).isEqualTo(USB_NO_ERROR);
        assertThat(callbacks.get()).isEqualTo(1);
        h.f.closeTransfer(reset);

        assertThat(counters()).containsExactly(0, 0, 0, 0);
    }

    @Test
    void issueVendorTransfer_unknownRequest_stalls() {
        UsbTransfer t =
                h.f.issueVendorTransfer(h.device, null, null, 0, new UsbDeviceRequest(0x40, 0x7E, 0, 0, 0), null, 0);
        assertThat(t).isNotNull();
        assertThat(h.error(t)).isEqualTo(USB_STALL_ERROR);
        h.f.closeTransfer(t);
    }
}
