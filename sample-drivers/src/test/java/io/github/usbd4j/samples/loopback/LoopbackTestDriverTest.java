package io.github.usbd4j.samples.loopback;

import static io.github.usbd4j.ce.UsbTypes.USB_CRC_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NOT_ACCESSED_ERROR;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.iso.StreamStats;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The loopback test driver against the simulated loopback device, in virtual time
 * ([§1.11](reference/ce-usbd.html#s1-11) usbtest style).
 */
class LoopbackTestDriverTest {

    @Test
    void streamsTenSecondsByteExact() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 10_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            SimulatedDevice dev = bus.attach(LoopbackDevice.fullSpeed());
            assertThat(bus.usbd().driversOf(bus.usbd().devices().get(0))).containsExactly("LoopbackTest");
            assertThat(bus.runUntil(d::isFinished, 11_000)).isTrue();

            assertThat(d.verifiedPackets()).isEqualTo(10_000);
            assertThat(d.mismatchCount()).isZero();
            StreamStats out = d.outStream().stats();
            StreamStats in = d.inStream().stats();
            assertThat(out.frames()).isEqualTo(10_000);
            assertThat(in.frames()).isEqualTo(10_000);
            assertThat(in.bytes()).isEqualTo(out.bytes()).isEqualTo(d.verifiedBytes());
            assertThat(((LoopbackDevice) dev.model()).isoBytesOut()).isEqualTo(out.bytes());
            assertThat(d.stats().errorFrames()).isZero();
            assertThat(d.finished().join().frames()).isEqualTo(20_000);
        }
    }

    @Test
    void reportsInjectedFaultsInTheirFrames() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 5_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            bus.attach(
                    LoopbackDevice.fullSpeed(),
                    FaultPlan.builder()
                            .faultAt(1_000, 0x81, PacketStatus.CRC)
                            .missedFrame(2_000)
                            .build());
            assertThat(bus.runUntil(d::isFinished, 6_000)).isTrue();

            StreamStats all = d.stats();
            assertThat(all.errors(USB_CRC_ERROR)).isEqualTo(1);
            assertThat(all.missed()).isEqualTo(2); // the missed frame hit both OUT and IN
            assertThat(all.errors(USB_NOT_ACCESSED_ERROR)).isEqualTo(2);
            assertThat(d.frameErrors())
                    .extracting(LoopbackTestDriver.FrameError::busFrame)
                    .contains(1_000L, 2_000L);
            assertThat(d.mismatchCount())
                    .as("a CRC frame still carries its data")
                    .isZero();
            assertThat(d.verifiedPackets()).isGreaterThan(4_990);
        }
    }

    /**
     * An OUT packet whose frame failed never reached the device (a real bus reports a late one so): the
     * packets after it still pair with what comes back, and it alone is lost.
     */
    @Test
    void aFailedOutPacketIsLostAloneAndDoesNotShiftTheRest() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 2_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            long at = bus.frame() + 500;
            bus.attach(
                    LoopbackDevice.fullSpeed(),
                    FaultPlan.builder()
                            .faultAt(at, 0x01, PacketStatus.HOST_ERROR)
                            .faultAt(at + 1, 0x01, PacketStatus.HOST_ERROR)
                            .build());
            assertThat(bus.runUntil(d::isFinished, 3_000)).isTrue();

            assertThat(d.outStream().stats().errorFrames()).isEqualTo(2);
            assertThat(d.mismatchCount())
                    .as("the two lost packets do not shift the others")
                    .isZero();
            assertThat(d.verifiedPackets()).isEqualTo(1_998);
        }
    }

    @Test
    void aSubclassChangesThePattern() {
        AtomicLong lengths = new AtomicLong();
        LoopbackTestDriver constant = new LoopbackTestDriver(1, 500) {
            @Override
            protected int packetLength(long n, int maxLength) {
                lengths.incrementAndGet();
                return 100;
            }

            @Override
            protected byte patternByte(long n, int i) {
                return (byte) 0xA5;
            }
        };
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), constant);
            SimulatedDevice dev = bus.attach(LoopbackDevice.fullSpeed());
            assertThat(bus.runUntil(constant::isFinished, 1_000)).isTrue();
            assertThat(constant.verifiedPackets()).isEqualTo(500);
            assertThat(constant.verifiedBytes()).isEqualTo(500 * 100);
            assertThat(((LoopbackDevice) dev.model()).isoBytesOut()).isEqualTo(500 * 100);
            assertThat(lengths.get()).isGreaterThanOrEqualTo(500);
        }
    }

    @Test
    void unplugCancelsTheStreamAndDeliversCloseDevice() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 100_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            SimulatedDevice dev = bus.attach(LoopbackDevice.fullSpeed());
            bus.run(300);
            assertThat(d.isFinished()).isFalse();
            bus.detach(dev);
            assertThat(d.isFinished()).isTrue();
            assertThat(d.isAttached()).isFalse();
            assertThat(d.stats().canceled()).isPositive();
            assertThat(d.mismatchCount()).isZero();
        }
    }

    @Test
    void cleanStopAbortsWaitsAndClosesThePipes() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 100_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            bus.attach(LoopbackDevice.fullSpeed());
            bus.run(300);
            d.stop();
            assertThat(d.isFinished()).isTrue();
            assertThat(d.streams()).allMatch(s -> s.isDone());
            long frames = d.stats().frames();
            bus.run(100);
            assertThat(d.stats().frames()).as("nothing resubmitted after stop").isEqualTo(frames);
            assertThat(d.mismatchCount()).isZero();
        }
    }

    @Test
    void highSpeedStreamsWithoutGaps() {
        // ASAP starts at max(stream end, now + 6 frames) ([§1.8](reference/ce-usbd.html#s1-8)): the queue must cover
        // more than 6 frames
        try (SimBus bus = new SimBus(UsbSpeed.HIGH, 1)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 4_000);
            d.speed(UsbSpeed.HIGH);
            java.util.List<Long> outFrames = new java.util.concurrent.CopyOnWriteArrayList<>();
            d.addFrameListener((s, index, busFrame, length, error) -> {
                if (s.endpointAddress() == 0x01 && index % 8 == 0) {
                    outFrames.add(busFrame);
                }
            });
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            bus.attach(LoopbackDevice.highSpeed());
            long start = bus.frame();
            assertThat(bus.runUntil(d::isFinished, 2_000)).isTrue();

            assertThat(d.outStream().queueShape()).containsExactly(64, 4);
            assertThat(outFrames).hasSize(500);
            for (int i = 1; i < outFrames.size(); i++) {
                assertThat(outFrames.get(i))
                        .as("1 ms of microframes after the previous")
                        .isEqualTo(outFrames.get(0) + i);
            }
            assertThat(bus.frame() - start).isLessThan(500 + 20);
            assertThat(d.verifiedPackets()).isEqualTo(4_000);
        }
    }
}
