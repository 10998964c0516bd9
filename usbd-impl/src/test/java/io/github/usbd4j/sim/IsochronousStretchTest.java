package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bus runs the microframes of a sole high-speed device streaming on one isochronous endpoint in one call
 * per frame; what a device model and a listener see must be exactly what the one-call-per-microframe path
 * gives. The same seeded schedule (IN and OUT streams, late and spaced packets, injected faults, a stall,
 * resubmissions from completions, control requests between them) runs once on the device alone and once with
 * an idle second device on the bus, which keeps the bus on the per-microframe path; the two logs must be
 * equal.
 *
 * <p>Seeds 1 to {@value #SEEDS}; {@code -Dusbd4j.fuzz.seconds=N} goes on with further seeds for N seconds,
 * {@code -Dusbd4j.fuzz.seed=S} replays one. It prints how many schedules it compared.
 */
class IsochronousStretchTest {
    private static final int SEEDS = 20;

    @Test
    void aSoleStreamingDeviceRunsExactlyAsOneAmongOthers() throws BackendException {
        Long only = Long.getLong("usbd4j.fuzz.seed");
        long deadline = System.nanoTime() + Long.getLong("usbd4j.fuzz.seconds", 0) * 1_000_000_000L;
        int schedules = 0;
        int events = 0;
        for (long seed = only != null ? only : 1;
                only != null ? schedules == 0 : seed <= SEEDS || System.nanoTime() < deadline;
                seed++) {
            List<String> alone = run(seed, false);
            List<String> withNeighbour = run(seed, true);
            assertThat(alone).as("seed %d", seed).isEqualTo(withNeighbour);
            schedules++;
            events += alone.size();
        }
        if (only == null) { // the schedules are busy ones: on average over 500 packets and completions each
            assertThat(events).isGreaterThan(schedules * 500);
        }
        System.out.printf("IsochronousStretchTest: %d schedules, %d events compared%n", schedules, events);
    }

    private static List<String> run(long seed, boolean idleNeighbour) throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        List<String> log = new ArrayList<>();
        FaultPlan faults = FaultPlan.builder()
                .packetErrorRate(0x81, 0.05, PacketStatus.CRC)
                .faultAt(40, 0x81, PacketStatus.BIT_STUFFING)
                .missedFrame(70)
                .stallAt(150, 0x01)
                .build();
        SimulatedDevice d = b.attach(new Recorder(b.host, log), faults);
        b.setInterface(d, 0, 1);
        if (idleNeighbour) {
            b.attach(new ProbeDevice(UsbSpeed.HIGH, 1024, 1, 1));
        }
        Random r = new Random(seed);
        int[] resubmits = {0};
        for (int step = 0; step < 120; step++) {
            if (r.nextInt(3) != 0) {
                submit(d, r, b.host, log, resubmits);
            }
            if (r.nextInt(8) == 0) { // a control request queued mid-stream runs in the next frame's microframe 0
                SimulatedHostController host = b.host;
                BackendTransfer c = new BackendTransfer(done -> log.add(String.format(
                        "control done at %d: %s %d", host.currentMicroframe(), done.status(), done.actualLength())));
                d.submit(c.control(
                        0, new UsbDeviceRequest(0x80, 0x00, 0, 0, 2).toBytes(), ByteBuffer.allocate(2), 0, 2));
            }
            b.host.advanceMicroframes(r.nextInt(24));
        }
        b.host.advanceFrames(40); // everything submitted completes
        return log;
    }

    private static void submit(SimulatedDevice d, Random r, SimulatedHostController host, List<String> log, int[] again)
            throws BackendException {
        int ep = r.nextInt(5) == 0 ? 0x01 : 0x81;
        int packets = 1 + r.nextInt(20);
        int[] lengths = new int[packets];
        for (int k = 0; k < packets; k++) {
            lengths[k] = r.nextInt(1025);
        }
        int period = 1 << r.nextInt(4);
        long start = host.currentFrame() + r.nextInt(4) - 1; // some start late: their first packets are missed
        BackendTransfer t = new BackendTransfer(done -> {
            StringBuilder s = new StringBuilder(String.format(
                    "done %02X at %d: %s %d from %d:",
                    done.endpointAddress(),
                    host.currentMicroframe(),
                    done.status(),
                    done.actualLength(),
                    done.actualStartFrame()));
            for (int k = 0; k < done.packets(); k++) {
                s.append(' ').append(done.packetStatus(k)).append('/').append(done.packetActual(k));
            }
            log.add(s.toString());
            if (again[0] < 40 && done.packets() % 3 == 0) { // a streaming driver resubmits from its completion
                again[0]++;
                try {
                    d.submit(done.isochronous(
                            done.endpointAddress(),
                            done.buffer(),
                            0,
                            host.currentFrame() + 1,
                            done.period(),
                            lengths,
                            done.packets()));
                } catch (BackendException e) {
                    log.add("refused: " + e.getMessage());
                }
            }
        });
        d.submit(t.isochronous(ep, ByteBuffer.allocate(packets * 1024), 0, start, period, lengths, packets));
    }

    /** The probe's descriptors; every packet is logged with the clock the model reads during it. */
    private static final class Recorder extends ProbeDevice {
        private final SimulatedHostController host;
        private final List<String> log;

        Recorder(SimulatedHostController host, List<String> log) {
            super(UsbSpeed.HIGH, 1024, 1, 1);
            this.host = host;
            this.log = log;
        }

        @Override
        public EndpointHandler endpoint(int address) {
            return new EndpointHandler() {
                @Override
                public void out(long frame, int microframe, ByteBuffer data) {
                    log.add(String.format(
                            "out %02X %d.%d clock %d: %d",
                            address, frame, microframe, host.currentMicroframe(), data.remaining()));
                }

                @Override
                public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                    log.add(String.format(
                            "in %02X %d.%d clock %d frame %d: %d",
                            address, frame, microframe, host.currentMicroframe(), currentFrame(), maxLength));
                    return (int) ((frame * 8 + microframe) % 3) == 0 ? maxLength / 2 : maxLength;
                }
            };
        }
    }
}
