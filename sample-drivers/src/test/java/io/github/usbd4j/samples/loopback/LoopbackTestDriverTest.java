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

    /**
     * The OUT stream stops for 10 frames while the IN stream goes on (as a busy host can make happen): the
     * reads that find the device's queue empty get its filler, are counted as empty reads, and the packets
     * sent before and after still pair, none of them different.
     */
    @Test
    void readsThatFindTheQueueEmpty_loseNothingAndDoNotShiftTheRest() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 2_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            long at = bus.frame() + 500;
            FaultPlan.Builder plan = FaultPlan.builder();
            for (int f = 0; f < 10; f++) {
                plan.faultAt(at + f, 0x01, PacketStatus.NOT_ACCESSED);
            }
            bus.attach(LoopbackDevice.fullSpeed(), plan.build());
            assertThat(bus.runUntil(d::isFinished, 3_000)).isTrue();

            assertThat(d.outStream().stats().missed()).isEqualTo(10);
            assertThat(d.mismatchCount()).as("came back different").isZero();
            assertThat(d.neverCameBack()).isZero();
            assertThat(d.emptyReads())
                    .as("reads beyond the 2-frame lead the device had queued")
                    .isGreaterThanOrEqualTo(8);
            assertThat(d.verifiedPackets() + d.emptyReads())
                    .as("every IN read is a packet sent or an empty read")
                    .isEqualTo(2_000);
            assertThat(d.verifiedPackets() + d.unmatchedDelivered())
                    .as("every packet delivered came back, or was still queued at the end")
                    .isEqualTo(1_990);
        }
    }

    /**
     * The IN stream misses 400 frames while the OUT stream goes on: the device's 64 KiB queue fills and
     * it drops what does not fit. Those packets never came back and are counted so, once each; every
     * packet after them pairs again and none is counted different.
     */
    @Test
    void packetsTheDeviceDropped_neverCameBack_andTheRestStillPair() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 2_000);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            long at = bus.frame() + 300;
            FaultPlan.Builder plan = FaultPlan.builder();
            for (int f = 0; f < 400; f++) {
                plan.faultAt(at + f, 0x81, PacketStatus.NOT_ACCESSED);
            }
            LoopbackDevice device = LoopbackDevice.fullSpeed();
            bus.attach(device, plan.build());
            assertThat(bus.runUntil(d::isFinished, 3_000)).isTrue();

            assertThat(d.inStream().stats().missed()).isEqualTo(400);
            assertThat(d.neverCameBack()).as("dropped by the full queue").isGreaterThan(50);
            assertThat(d.mismatchCount()).as("came back different").isZero();
            assertThat(d.emptyReads()).isZero();
            assertThat(d.verifiedPackets() + d.neverCameBack() + d.unmatchedDelivered())
                    .as("every packet sent is verified, lost, or still queued")
                    .isEqualTo(2_000);
            assertThat(d.verifiedPackets()).as("every IN read not missed").isEqualTo(2_000 - 400);
            assertThat(d.mismatches())
                    .first()
                    .satisfies(m -> assertThat(m.description()).contains("never came back"));
        }
    }

    /**
     * Damaged packets (a byte changed on the way in, here by the test) count as different, one each, whether
     * one alone, two in a row, or the stream's last read, which the end of the stream decides.
     */
    @Test
    void damagedPackets_countOnceEach_andTheRestStillPair() {
        java.util.Set<Long> damaged = java.util.Set.of(700L, 1_200L, 1_201L, 1_999L);
        LoopbackTestDriver d = new LoopbackTestDriver(1, 2_000) {
            @Override
            protected void onInFrame(
                    io.github.usbd4j.samples.iso.IsochStream stream,
                    long index,
                    long busFrame,
                    java.nio.ByteBuffer data,
                    int usbError) {
                if (damaged.contains(index)) {
                    java.nio.ByteBuffer copy =
                            java.nio.ByteBuffer.allocate(data.remaining()).put(data.duplicate());
                    copy.flip();
                    copy.put(0, (byte) (copy.get(0) ^ 0x40));
                    data = copy;
                }
                super.onInFrame(stream, index, busFrame, data, usbError);
            }
        };
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            bus.attach(LoopbackDevice.fullSpeed());
            assertThat(bus.runUntil(d::isFinished, 3_000)).isTrue();

            assertThat(d.mismatchCount()).isEqualTo(4);
            assertThat(d.neverCameBack()).isZero();
            assertThat(d.emptyReads()).isZero();
            assertThat(d.verifiedPackets()).isEqualTo(1_996);
            assertThat(d.unmatchedDelivered()).isZero();
            assertThat(d.mismatches())
                    .extracting(LoopbackTestDriver.Mismatch::packet)
                    .containsExactly(700L, 1_200L, 1_201L, 1_999L);
            assertThat(d.mismatches().get(0).description()).startsWith("byte 0 is ");
        }
    }

    /**
     * Seeded chaos: bursts of missed OUT frames (the device's queue runs dry) and of missed IN frames (it
     * fills and drops) at random places never make a packet count as different, and every packet is
     * accounted for once: each IN read is a packet sent or an empty read, each OUT packet delivered is
     * verified, never came back, or was still queued at the end. {@code -Dusbd4j.chaos.seed=N} replays a
     * failure (its seed is in the message).
     */
    @Test
    void timingChaos_neverMakesAPacketDifferent_andAccountsForEveryPacket() {
        long base = Long.getLong("usbd4j.chaos.seed", 0x100B_BAC4L);
        for (int round = 0; round < 12; round++) {
            long seed = base + round;
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
            try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
                LoopbackTestDriver d = new LoopbackTestDriver(1, 3_000);
                bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
                long start = bus.frame() + 100;
                FaultPlan.Builder plan = FaultPlan.builder();
                java.util.Set<Long> outMissed = new java.util.HashSet<>();
                java.util.Set<Long> inMissed = new java.util.HashSet<>();
                for (int burst = random.nextInt(1, 6); burst > 0; burst--) {
                    boolean out = random.nextBoolean();
                    long at = start + random.nextInt(2_500);
                    int length = out ? random.nextInt(1, 80) : random.nextInt(1, 400);
                    for (long f = at; f < at + length; f++) {
                        if ((out ? outMissed : inMissed).add(f)) {
                            plan.faultAt(f, out ? 0x01 : 0x81, PacketStatus.NOT_ACCESSED);
                        }
                    }
                }
                bus.attach(LoopbackDevice.fullSpeed(), plan.build());
                String where = "seed " + seed + " (OUT missed in frames " + new java.util.TreeSet<>(outMissed)
                        + ", IN missed in " + new java.util.TreeSet<>(inMissed) + ")";
                assertThat(bus.runUntil(d::isFinished, 6_000)).as(where).isTrue();

                long outDelivered =
                        d.outStream().stats().frames() - d.outStream().stats().missed();
                long inRead =
                        d.inStream().stats().frames() - d.inStream().stats().missed();
                assertThat(d.mismatchCount())
                        .as(where + ": came back different: " + d.mismatches())
                        .isZero();
                assertThat(d.errorPackets()).as(where).isZero();
                assertThat(d.verifiedPackets() + d.emptyReads())
                        .as(where + ": every IN read is a packet sent or an empty read")
                        .isEqualTo(inRead);
                assertThat(d.verifiedPackets() + d.neverCameBack() + d.unmatchedDelivered())
                        .as(where + ": every OUT packet delivered is verified, lost, or still queued")
                        .isEqualTo(outDelivered);
            }
        }
    }

    /**
     * An OUT stream that keeps falling behind its IN stream (one transfer in flight, so each ASAP reissue
     * leaves a gap, against four on IN) makes the IN stream read the device's queue empty again and again,
     * up to its last reads, which no later read can explain: they are empty reads by their length, not
     * damaged packets, and every read and every packet is accounted for.
     */
    @Test
    void anOutStreamThatKeepsFallingBehind_givesEmptyReads_notDamagedPackets() {
        LoopbackTestDriver d = new LoopbackTestDriver(1, 2_000) {
            @Override
            protected int transfersInFlight(io.github.usbd4j.samples.iso.IsochStream stream) {
                return stream.isIn() ? 4 : 1;
            }
        }.inLagPackets(8);
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 7)) {
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            bus.attach(LoopbackDevice.fullSpeed());
            assertThat(bus.runUntil(d::isFinished, 20_000)).isTrue();

            assertThat(d.emptyReads()).isGreaterThan(100);
            assertThat(d.mismatchCount())
                    .as("came back different: %s", d.mismatches())
                    .isZero();
            assertThat(d.neverCameBack()).isZero();
            assertThat(d.verifiedPackets() + d.emptyReads()).isEqualTo(2_000);
            assertThat(d.verifiedPackets() + d.unmatchedDelivered()).isEqualTo(2_000);
        }
    }
}
