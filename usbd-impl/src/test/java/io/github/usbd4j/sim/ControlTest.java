package io.github.usbd4j.sim;

import static io.github.usbd4j.host.spi.PacketStatus.OK;
import static io.github.usbd4j.host.spi.PacketStatus.STALL;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Standard requests answered by the simulator, class and vendor requests passed to the model. */
class ControlTest {

    @Test
    void getDescriptorDeviceConfigurationAndString() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        LoopbackDevice loop = LoopbackDevice.fullSpeed();
        SimulatedDevice d = b.attach(loop);
        assertThat(b.controlIn(d, 0x80, 6, 0x0100, 0, 18))
                .isEqualTo(loop.deviceDescriptor().toBytes());
        assertThat(b.controlIn(d, 0x80, 6, 0x0100, 0, 8)).hasSize(8);
        byte[] config = loop.configurationDescriptors().get(0);
        assertThat(b.controlIn(d, 0x80, 6, 0x0200, 0, 9)).isEqualTo(java.util.Arrays.copyOf(config, 9));
        assertThat(b.controlIn(d, 0x80, 6, 0x0200, 0, 1000)).isEqualTo(config);
        assertThat(b.controlIn(d, 0x80, 6, 0x0300, 0, 255)).containsExactly(4, 3, 0x09, 0x04);
        byte[] product = b.controlIn(d, 0x80, 6, 0x0302, 0x0409, 255);
        assertThat(new String(product, 2, product.length - 2, java.nio.charset.StandardCharsets.UTF_16LE))
                .isEqualTo("Loopback FS");
        assertThat(b.control(d, new UsbDeviceRequest(0x80, 6, 0x0309, 0x0409, 255))
                        .status())
                .isEqualTo(STALL);
        assertThat(b.control(d, new UsbDeviceRequest(0x80, 6, 0x0201, 0, 9)).status())
                .isEqualTo(STALL);
    }

    @Test
    void configurationAndInterfaceStateIsTrackedAndReported() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        SimulatedDevice d = b.attach(probe);
        assertThat(d.activeConfigurationValue()).isEqualTo(1);
        assertThat(b.controlIn(d, 0x80, 8, 0, 0, 1)).containsExactly(1);
        assertThat(b.controlIn(d, 0x81, 10, 0, 0, 1)).containsExactly(0);
        b.setInterface(d, 0, 1);
        assertThat(b.controlIn(d, 0x81, 10, 0, 0, 1)).containsExactly(1);
        assertThat(d.alternateSetting(0)).isEqualTo(1);
        assertThat(b.controlOut(d, 0x01, 11, 5, 0)).isEqualTo(STALL);
        assertThat(b.controlOut(d, 0x00, 9, 7, 0)).isEqualTo(STALL);
        assertThat(b.controlOut(d, 0x00, 9, 0, 0)).isEqualTo(OK);
        assertThat(d.activeConfigurationValue()).isZero();
        assertThat(b.controlOut(d, 0x00, 9, 1, 0)).isEqualTo(OK);
        assertThat(d.alternateSetting(0)).isZero();
        assertThat(probe.changes).containsExactly("config 1", "interface 0 alt 1", "config 0", "config 1");
    }

    @Test
    void alternateSettingChangeCancelsTransfersOnEndpointsThatGoAway() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x81, b.host.currentFrame() + 50, 1, ByteBuffer.allocate(8), 8);
        b.setInterface(d, 0, 0);
        assertThat(t.status()).isEqualTo(io.github.usbd4j.host.spi.PacketStatus.CANCELED);
    }

    @Test
    void endpointHaltIsSetReportedAndCleared() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        assertThat(b.controlIn(d, 0x82, 0, 0, 0x82, 2)).containsExactly(0, 0);
        assertThat(b.controlOut(d, 0x02, 3, 0, 0x82)).isEqualTo(OK);
        assertThat(b.controlIn(d, 0x82, 0, 0, 0x82, 2)).containsExactly(1, 0);
        BackendTransfer t = b.bulk(d, TransferType.BULK, 0x82, ByteBuffer.allocate(64), 64, false);
        b.host.advanceFrames(2);
        assertThat(t.status()).isEqualTo(STALL);
        d.resetEndpoint(0x82);
        assertThat(d.isHalted(0x82)).isTrue();
        assertThat(b.controlOut(d, 0x02, 1, 0, 0x82)).isEqualTo(OK);
        assertThat(b.controlIn(d, 0x82, 0, 0, 0x82, 2)).containsExactly(0, 0);
        assertThat(b.controlIn(d, 0x80, 0, 0, 0, 2)).containsExactly(0, 0);
        assertThat(b.control(d, new UsbDeviceRequest(0x82, 0, 0, 0x85, 2)).status())
                .isEqualTo(STALL);
    }

    @Test
    void synchFrameReturnsTheElevenBitFrameNumber() throws BackendException {
        Bench b = new Bench(
                SimulatedHostController.builder().startFrame(0x1234_5678L).build());
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        b.setInterface(d, 0, 1);
        byte[] r = b.controlIn(d, 0x82, 12, 0, 0x81, 2);
        long frame = b.completedAtFrame.get(b.completedAtFrame.size() - 1); // the frame it ran in
        int reported = (r[0] & 0xFF) | (r[1] & 0xFF) << 8;
        assertThat(reported).isEqualTo((int) (frame & 0x7FF));
    }

    @Test
    void vendorRequestsGoToTheModel() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.bulk(d, TransferType.BULK, 0x02, ByteBuffer.allocate(700), 700, false);
        b.host.advanceFrames(1);
        ByteBuffer counters = ByteBuffer.wrap(b.controlIn(d, 0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(counters.getInt(8)).isEqualTo(700);
        assertThat(b.controlOut(d, 0x40, LoopbackDevice.REQUEST_RESET, 0, 0)).isEqualTo(OK);
        assertThat(((LoopbackDevice) d.model()).bulkBytesOut()).isZero();
        assertThat(b.controlOut(d, 0x21, 0x0A, 0, 0)).isEqualTo(STALL);
    }
}
