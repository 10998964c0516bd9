package io.github.usbd4j.sim;

import static io.github.usbd4j.host.spi.PacketStatus.DATA_OVERRUN;
import static io.github.usbd4j.host.spi.PacketStatus.NOT_ACCESSED;
import static io.github.usbd4j.host.spi.PacketStatus.OK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.sim.ProbeDevice.Seen;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Isochronous packets run in their bus interval (usb-iso-apis.md §4). */
class IsochronousTest {

    @Test
    void fullSpeedOutPacketsRunOnePerFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 1023, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 3;
        BackendTransfer t = b.iso(d, 0x01, start, 1, ByteBuffer.allocate(4000), 100, 200, 0, 1023);
        b.host.advanceTo(start + 3);
        assertThat(b.completed).doesNotContain(t);
        b.host.advanceFrames(1);
        assertThat(b.completed).contains(t);
        assertThat(probe.outs)
                .containsExactly(
                        new Seen(start, 0, 100),
                        new Seen(start + 1, 0, 200),
                        new Seen(start + 2, 0, 0),
                        new Seen(start + 3, 0, 1023));
        assertThat(Bench.statuses(t)).containsOnly(OK);
        assertThat(t.actualLength()).isEqualTo(1323);
        assertThat(t.actualStartFrame()).isEqualTo(start);
    }

    @Test
    void fullSpeedInPacketsWithPeriodEightLandEveryEighthFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 4, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 2;
        ByteBuffer buf = ByteBuffer.allocate(3 * 64);
        BackendTransfer t = b.iso(d, 0x81, start, 8, buf, 64, 64, 64);
        b.host.advanceFrames(40);
        assertThat(probe.ins).extracting(Seen::frame).containsExactly(start, start + 8, start + 16);
        for (int k = 0; k < 3; k++) {
            assertThat(t.packetActual(k)).isEqualTo(64);
            assertThat(buf.get(k * 64)).isEqualTo((byte) (start + 8L * k));
        }
        // completes right after the interval of its last packet, still inside that frame
        assertThat(b.completedAtFrame).last().isEqualTo(start + 16);
    }

    @Test
    void highSpeedPacketsRunOnePerMicroframe() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.HIGH, 1024, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        ByteBuffer buf = ByteBuffer.allocate(10 * 16);
        BackendTransfer t = b.iso(d, 0x81, start, 1, buf, Bench.lengths(10, 16));
        b.host.advanceFrames(3);
        assertThat(probe.ins)
                .extracting(s -> s.frame() * 8 + s.microframe())
                .containsExactly(
                        start * 8,
                        start * 8 + 1,
                        start * 8 + 2,
                        start * 8 + 3,
                        start * 8 + 4,
                        start * 8 + 5,
                        start * 8 + 6,
                        start * 8 + 7,
                        start * 8 + 8,
                        start * 8 + 9);
        assertThat(buf.get(9 * 16)).isEqualTo((byte) (start + 1));
        assertThat(buf.get(9 * 16 + 1)).isEqualTo((byte) 1);
        assertThat(Bench.statuses(t)).containsOnly(OK);
    }

    @Test
    void highSpeedBIntervalFourRunsOncePerFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.HIGH, 1024, 4, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        b.iso(d, 0x01, start, 8, ByteBuffer.allocate(4096), Bench.lengths(4, 1024));
        b.host.advanceFrames(6);
        assertThat(probe.outs)
                .containsExactly(
                        new Seen(start, 0, 1024),
                        new Seen(start + 1, 0, 1024),
                        new Seen(start + 2, 0, 1024),
                        new Seen(start + 3, 0, 1024));
    }

    @Test
    void highBandwidthLoopbackReturnsEachPacketByteForByte() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        LoopbackDevice loop = LoopbackDevice.highSpeed();
        SimulatedDevice d = b.attach(loop);
        b.setInterface(d, 0, 2);
        ByteBuffer out = ByteBuffer.allocate(8 * 3072);
        for (int i = 0; i < out.capacity(); i++) {
            out.put(i, (byte) (i * 7 + 3));
        }
        long start = b.host.currentFrame() + 1;
        BackendTransfer w = b.iso(d, 0x01, start, 1, out, Bench.lengths(8, 3072));
        ByteBuffer in = ByteBuffer.allocate(8 * 3072);
        BackendTransfer r = b.iso(d, 0x81, start + 1, 1, in, Bench.lengths(8, 3072));
        b.host.advanceFrames(3);
        assertThat(Bench.statuses(w)).containsOnly(OK);
        assertThat(Bench.statuses(r)).containsOnly(OK);
        assertThat(r.actualLength()).isEqualTo(8 * 3072);
        assertThat(in.array()).isEqualTo(out.array());
        assertThat(loop.isoBytesOut()).isEqualTo(8 * 3072);
    }

    @Test
    void loopbackSendsThePatternWhenEmptyAndBabblesOnALongerQueuedPacket() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(LoopbackDevice.fullSpeed());
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        ByteBuffer in = ByteBuffer.allocate(100);
        BackendTransfer r = b.iso(d, 0x81, start, 1, in, 50);
        b.iso(d, 0x01, start + 1, 1, ByteBuffer.allocate(80), 80);
        BackendTransfer r2 = b.iso(d, 0x81, start + 2, 1, ByteBuffer.allocate(60), 60);
        b.host.advanceFrames(4);
        for (int i = 0; i < 50; i++) {
            assertThat(in.get(i)).isEqualTo(LoopbackDevice.pattern(start, 0, i));
        }
        assertThat(r.packetStatus(0)).isEqualTo(OK);
        assertThat(r2.packetStatus(0)).isEqualTo(DATA_OVERRUN);
        assertThat(r2.packetActual(0)).isEqualTo(60);
    }

    @Test
    void latePacketsAreNotAccessedAndTheRestRun() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        b.host.advanceFrames(10);
        long now = b.host.currentFrame();
        BackendTransfer t = b.iso(d, 0x81, now - 3, 1, ByteBuffer.allocate(6 * 8), Bench.lengths(6, 8));
        b.host.advanceFrames(5);
        assertThat(Bench.statuses(t)).containsExactly(NOT_ACCESSED, NOT_ACCESSED, NOT_ACCESSED, OK, OK, OK);
        assertThat(t.packetActual(0)).isZero();
        assertThat(t.actualLength()).isEqualTo(24);
        assertThat(probe.ins).extracting(Seen::frame).containsExactly(now, now + 1, now + 2);
    }

    @Test
    void packetsPastWhenTheirTransferReachesTheQueueHeadAreNotAccessed() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        BackendTransfer first = b.iso(d, 0x81, start, 1, ByteBuffer.allocate(64), Bench.lengths(4, 8));
        // overlaps the first: its packets in frames start..start+3 are past when it reaches the head
        BackendTransfer second = b.iso(d, 0x81, start + 2, 1, ByteBuffer.allocate(64), Bench.lengths(4, 8));
        b.host.advanceFrames(8);
        assertThat(Bench.statuses(first)).containsOnly(OK);
        assertThat(Bench.statuses(second)).containsExactly(NOT_ACCESSED, OK, OK, OK);
    }

    @Test
    void handlerClaimingMoreThanAskedIsBabble() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        probe.inClaim = 70;
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x81, b.host.currentFrame() + 1, 1, ByteBuffer.allocate(64), 40);
        b.host.advanceFrames(3);
        assertThat(t.packetStatus(0)).isEqualTo(DATA_OVERRUN);
        assertThat(t.packetActual(0)).isEqualTo(40);
    }

    @Test
    void submitChecksEndpointAndPacketSize() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1));
        assertThatThrownBy(() -> b.iso(d, 0x81, 5, 1, ByteBuffer.allocate(64), 8))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("not in the active alternate settings");
        b.setInterface(d, 0, 1);
        assertThatThrownBy(() -> b.iso(d, 0x81, 5, 1, ByteBuffer.allocate(100), 65))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("at most 64");
    }

    @Test
    void framesCrossTheThirtyTwoBitWrap() throws BackendException {
        Bench b = new Bench(
                SimulatedHostController.builder().startFrame(0xFFFF_FFFEL).build());
        ProbeDevice probe = new ProbeDevice(UsbSpeed.FULL, 64, 1, 1);
        SimulatedDevice d = b.attach(probe);
        b.setInterface(d, 0, 1);
        long start = b.host.currentFrame() + 1;
        assertThat(start).isLessThan(0x1_0000_0000L);
        BackendTransfer t = b.iso(d, 0x81, start, 1, ByteBuffer.allocate(64), Bench.lengths(4, 8));
        b.host.advanceFrames(6);
        assertThat(Bench.statuses(t)).containsOnly(OK);
        assertThat(probe.ins).extracting(Seen::frame).contains(0x1_0000_0000L, 0x1_0000_0001L);
        assertThat((int) b.host.currentFrame()).isBetween(0, 8);
        List<Long> frames = probe.ins.stream().map(Seen::frame).toList();
        assertThat(frames).isSorted();
    }
}
