package io.github.usbd4j.sim;

import static io.github.usbd4j.host.spi.PacketStatus.CRC;
import static io.github.usbd4j.host.spi.PacketStatus.DATA_OVERRUN;
import static io.github.usbd4j.host.spi.PacketStatus.NOT_ACCESSED;
import static io.github.usbd4j.host.spi.PacketStatus.OK;
import static io.github.usbd4j.host.spi.PacketStatus.STALL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Seeded, deterministic faults, each reported in the frame it was injected in. */
class FaultInjectionTest {

    @Test
    void explicitFaultHitsExactlyItsFrameAndACrcPacketKeepsItsData() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        FaultPlan plan = FaultPlan.builder().faultAt(1234, 0x81, CRC).build();
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1), plan);
        b.setInterface(d, 0, 1);
        ByteBuffer buf = ByteBuffer.allocate(5 * 8);
        BackendTransfer t = b.iso(d, 0x81, 1232, 1, buf, Bench.lengths(5, 8));
        b.host.advanceTo(1240);
        assertThat(Bench.statuses(t)).containsExactly(OK, OK, CRC, OK, OK);
        assertThat(t.packetActual(2)).isEqualTo(8);
        assertThat(buf.get(16)).isEqualTo((byte) 1234);
        assertThat(d.injectedFaults()).containsExactly(new InjectedFault(1234, 0, 0x81, CRC));
    }

    @Test
    void missedFrameLeavesItsPacketsNotAccessedAndOutDataNeverArrives() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        ProbeDevice probe = new ProbeDevice(UsbSpeed.HIGH, 1024, 1, 1);
        SimulatedDevice d = b.attach(probe, FaultPlan.builder().missedFrame(11).build());
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x01, 10, 1, ByteBuffer.allocate(24 * 4), Bench.lengths(24, 4));
        b.host.advanceTo(14);
        List<PacketStatus> s = Bench.statuses(t);
        assertThat(s.subList(0, 8)).containsOnly(OK);
        assertThat(s.subList(8, 16)).containsOnly(NOT_ACCESSED);
        assertThat(s.subList(16, 24)).containsOnly(OK);
        assertThat(probe.outs).hasSize(16).noneMatch(x -> x.frame() == 11);
        assertThat(d.injectedFaults()).hasSize(8).allMatch(f -> f.frame() == 11 && f.status() == NOT_ACCESSED);
        assertThat(d.injectedFaults()).extracting(InjectedFault::microframe).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void sameSeedSameFaultsDifferentSeedDifferentFaults() throws BackendException {
        List<InjectedFault> a = randomRun(42);
        assertThat(a).isNotEmpty().allMatch(f -> f.status() == PacketStatus.BIT_STUFFING);
        assertThat(randomRun(42)).isEqualTo(a);
        assertThat(randomRun(43)).isNotEqualTo(a);
    }

    private static List<InjectedFault> randomRun(long seed) throws BackendException {
        Bench b = new Bench(SimulatedHostController.builder().seed(seed).build());
        FaultPlan plan = FaultPlan.builder()
                .packetErrorRate(0.2, PacketStatus.BIT_STUFFING)
                .build();
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1), plan);
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x81, 5, 1, ByteBuffer.allocate(100 * 8), Bench.lengths(100, 8));
        b.host.advanceTo(110);
        for (InjectedFault f : d.injectedFaults()) {
            assertThat(t.packetStatus((int) (f.frame() - 5))).isEqualTo(f.status());
        }
        return d.injectedFaults();
    }

    @Test
    void endpointRateOverridesTheDeviceRate() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        FaultPlan plan = FaultPlan.builder()
                .packetErrorRate(1.0, CRC)
                .packetErrorRate(0x81, 0.0, CRC)
                .build();
        SimulatedDevice d = b.attach(new ProbeDevice(UsbSpeed.FULL, 64, 1, 1), plan);
        b.setInterface(d, 0, 1);
        BackendTransfer in = b.iso(d, 0x81, 5, 1, ByteBuffer.allocate(80), Bench.lengths(10, 8));
        BackendTransfer out = b.iso(d, 0x01, 5, 1, ByteBuffer.allocate(80), Bench.lengths(10, 8));
        b.host.advanceTo(20);
        assertThat(Bench.statuses(in)).containsOnly(OK);
        assertThat(Bench.statuses(out)).containsOnly(CRC);
        assertThat(out.packetActual(0)).isEqualTo(8);
    }

    @Test
    void stallAtFrameHaltsTheEndpointUntilCleared() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(
                new ProbeDevice(UsbSpeed.FULL, 64, 1, 1),
                FaultPlan.builder().stallAt(8, 0x81).build());
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x81, 6, 1, ByteBuffer.allocate(40), Bench.lengths(5, 8));
        b.host.advanceTo(12);
        assertThat(Bench.statuses(t)).containsExactly(OK, OK, STALL, STALL, STALL);
        assertThat(t.packetActual(2)).isZero();
        assertThat(d.injectedFaults()).containsExactly(new InjectedFault(8, 0, 0x81, STALL));
        assertThat(b.controlOut(d, 0x02, 1, 0, 0x81)).isEqualTo(OK);
        BackendTransfer after = b.iso(d, 0x81, b.host.currentFrame() + 1, 1, ByteBuffer.allocate(8), 8);
        b.host.advanceFrames(3);
        assertThat(after.packetStatus(0)).isEqualTo(OK);
    }

    @Test
    void babbleReportsDataOverrunWithTheRequestedLength() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        SimulatedDevice d = b.attach(
                new ProbeDevice(UsbSpeed.FULL, 64, 1, 1),
                FaultPlan.builder().babbleAt(7, 0x81).build());
        b.setInterface(d, 0, 1);
        BackendTransfer t = b.iso(d, 0x81, 6, 1, ByteBuffer.allocate(60), 20, 20, 20);
        b.host.advanceTo(10);
        assertThat(Bench.statuses(t)).containsExactly(OK, DATA_OVERRUN, OK);
        assertThat(t.packetActual(1)).isEqualTo(20);
        assertThat(d.injectedFaults()).containsExactly(new InjectedFault(7, 0, 0x81, DATA_OVERRUN));
    }
    /** A plan that names a frame the bus never reaches, or no endpoint, is refused where it is written. */
    @Test
    void aPlanThatCouldNeverHappen_isRefusedWhenWritten() {
        FaultPlan.Builder b = FaultPlan.builder();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.stallAt(-1, 0x81))
                .withMessageContaining("frame");
        assertThatIllegalArgumentException().isThrownBy(() -> b.missedFrame(-5)).withMessageContaining("frame");
        assertThatIllegalArgumentException().isThrownBy(() -> b.vanishAt(Long.MIN_VALUE));
        for (int notAnEndpoint : new int[] {-1, 0x10, 0x7F, 0x181, Integer.MAX_VALUE}) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> b.faultAt(10, notAnEndpoint, CRC))
                    .withMessageContaining("endpoint address");
            assertThatIllegalArgumentException().isThrownBy(() -> b.packetErrorRate(notAnEndpoint, 0.5, CRC));
        }
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.babbleAt(10, 0x01))
                .withMessageContaining("IN");
        assertThat(b.babbleAt(10, 0x81).stallAt(0, 0x0F).vanishAt(0).build().vanishFrame())
                .isZero();
    }
}
