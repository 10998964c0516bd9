package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * When the real-time clock must wake ({@link SimulatedDevice#nextEvent}): at the microframe in which a
 * transfer completes or other work is due, never later, and not at all for an idle device. Checked on the
 * virtual clock, where the same bus runs deterministically.
 */
class RealTimeScheduleTest {

    private static long next(Bench b, SimulatedDevice d) {
        synchronized (b.host.lock) {
            return d.nextEvent(b.host.currentMicroframe());
        }
    }

    @Test
    void idleDevice_needsNoWakeUp() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.host.advanceFrames(3);
        assertThat(next(b, d)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void highSpeedIsoTransfer_wakesAtItsLastPacketsMicroframe_andCompletesThere() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 2;
        BackendTransfer t = b.iso(d, 0x81, start, 1, ByteBuffer.allocateDirect(8 * 1024), Bench.lengths(8, 1024));
        long last = start * 8 + 7;
        assertThat(next(b, d)).isEqualTo(last);
        b.host.advanceMicroframes(last - b.host.currentMicroframe());
        assertThat(b.completed).doesNotContain(t);
        assertThat(next(b, d)).isEqualTo(last);
        b.host.advanceMicroframes(1);
        assertThat(b.completed).contains(t);
        assertThat(Bench.statuses(t)).containsOnly(PacketStatus.OK);
        assertThat(next(b, d)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void isoTransferBehindAnother_doesNotMakeAnEarlierEvent() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 2;
        b.iso(d, 0x81, start, 1, ByteBuffer.allocateDirect(8 * 1024), Bench.lengths(8, 1024));
        b.iso(d, 0x81, start + 1, 1, ByteBuffer.allocateDirect(8 * 1024), Bench.lengths(8, 1024));
        assertThat(next(b, d)).isEqualTo(start * 8 + 7);
        b.host.advanceTo(start + 1);
        assertThat(next(b, d)).isEqualTo((start + 1) * 8 + 7);
    }

    @Test
    void fullSpeedIsoTransfer_wakesAtTheFrameOfItsLastPacket() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 3;
        b.iso(d, 0x81, start, 1, ByteBuffer.allocate(4 * 64), Bench.lengths(4, 64));
        assertThat(next(b, d)).isEqualTo((start + 3) * 8);
    }

    @Test
    void latePackets_wakeAtOnce() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
        b.setInterface(d, 0, 1);
        b.host.advanceFrames(10);
        b.iso(d, 0x81, 2, 1, ByteBuffer.allocate(4 * 64), Bench.lengths(4, 64));
        assertThat(next(b, d)).isEqualTo(b.host.currentMicroframe());
    }

    @Test
    void interruptTransfer_wakesAtTheEndpointsNextInterval() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 4));
        b.host.advanceFrames(5);
        b.bulk(d, TransferType.INTERRUPT, 0x83, ByteBuffer.allocate(8), 8, false);
        long frame = b.host.currentFrame();
        assertThat(next(b, d)).isEqualTo((frame + 3) / 4 * 4 * 8);
    }

    @Test
    void bulkTransfer_wakesInTheCurrentMicroframe_atHighSpeed() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.host.advanceMicroframes(3);
        b.bulk(d, TransferType.BULK, 0x82, ByteBuffer.allocate(512), 512, false); // NAKs: nothing queued
        assertThat(next(b, d)).isEqualTo(b.host.currentMicroframe());
        b.host.advanceMicroframes(5);
        assertThat(next(b, d)).isEqualTo(b.host.currentMicroframe());
    }

    @Test
    void controlTransfer_wakesAtTheNextFrameStart() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.host.advanceMicroframes(3);
        d.submit(b.newTransfer()
                .control(0, new UsbDeviceRequest(0x80, 0x00, 0, 0, 2).toBytes(), ByteBuffer.allocate(2), 0, 2));
        assertThat(next(b, d)).isEqualTo((b.host.currentMicroframe() + 7) & ~7L);
    }

    @Test
    void scheduledDeparture_wakesAtItsFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        b.host.scheduleDetach(d, 40);
        assertThat(next(b, d)).isEqualTo(40 * 8);
    }
}
