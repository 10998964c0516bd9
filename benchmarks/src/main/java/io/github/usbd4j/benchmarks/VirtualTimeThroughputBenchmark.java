package io.github.usbd4j.benchmarks;

import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.sim.SimulatedHostController;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Isochronous packets per second on one core in virtual time: a CE driver streams iso IN from a high-speed
 * device on one pipe, 8 packets (1 ms) per transfer, 8 transfers in flight (more than CE's 6-frame ASAP lead,
 * so the stream never has a gap), each checked with {@code GetIsochResults}, closed and reissued from its
 * callback; the benchmark thread advances the virtual bus. One operation is one microframe, which carries
 * exactly one packet: ops/s is packets/s. {@code device}: {@code LOOPBACK} fills every 1024-byte packet with
 * real pattern data, {@code NO_DATA} writes nothing (the runtime's and the bus's own cost).
 *
 * <p>On a shared machine the wall-clock score depends on how much CPU the benchmark thread got; the
 * auxiliary counters {@code packets} and {@code cpuMicros} (summed over the measured iterations) count the
 * packets and the benchmark thread's own CPU time: their ratio is packets/s per core.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VirtualTimeThroughputBenchmark {
    private static final int MICROFRAMES = 1024;

    @Param({"NO_DATA", "LOOPBACK"})
    public String device;

    /**
     * {@code off}: no capture (the runtime holds no tap); {@code headers}: every transfer captured into a
     * usbmon pcapng file in the temporary directory without data (snap length 0: headers, packet descriptors
     * and statuses); {@code file}: the same with every data byte. The file is emptied between iterations.
     */
    @Param({"off", "headers", "file"})
    public String capture;

    private Path captureFile;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CeIsochStream stream;
    private long advanced;

    /** Packets and the benchmark thread's CPU time, per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PerCore {
        public long packets;
        public long cpuMicros;
        long cpu0;

        @Setup(Level.Iteration)
        public void start() {
            cpu0 = THREADS.getCurrentThreadCpuTime();
            packets = 0;
            cpuMicros = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        CaptureTap tap = null;
        if (!capture.equals("off")) {
            captureFile = Files.createTempFile("usbd4j-bench", ".pcapng");
            tap = CaptureTap.toFile(captureFile, 1L << 40, capture.equals("file") ? CaptureTap.MAX_SNAP_LENGTH : 0);
        }
        stream = new CeIsochStream(
                SimulatedHostController.ClockMode.VIRTUAL,
                CeIsochStream.Device.valueOf(device),
                1,
                8,
                8,
                null,
                false,
                tap);
        stream.start();
        stream.sim.advanceFrames(16); // past the first transfer's lead
        stream.reset(0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long packets = stream.packetsOk + stream.packetsBad;
        System.out.printf(
                "%n%d microframes advanced, %d packets completed (%d with an error), %d gap microframes%n",
                advanced, packets, stream.packetsBad, stream.gapMicroframes);
        if (stream.packetsBad != 0 || stream.gapMicroframes != 0 || packets < advanced - 8 * 8) {
            throw new IllegalStateException("the stream did not carry one good packet per microframe");
        }
        stream.close();
        if (captureFile != null) {
            System.out.printf(
                    "capture: %d bytes written%n", captureFile.toFile().length());
            captureFile.toFile().delete();
        }
    }

    /** Keeps the disk from filling: the capture file is emptied between iterations (the writer goes on appending). */
    @TearDown(Level.Iteration)
    public void trimCapture() throws IOException {
        if (captureFile != null) {
            try (java.nio.channels.FileChannel c =
                    java.nio.channels.FileChannel.open(captureFile, java.nio.file.StandardOpenOption.WRITE)) {
                c.truncate(0);
            }
        }
    }

    /** Runs 1024 microframes of the bus: 1024 packets. */
    @Benchmark
    @OperationsPerInvocation(MICROFRAMES)
    public void packets(PerCore c) {
        stream.sim.advanceMicroframes(MICROFRAMES);
        advanced += MICROFRAMES;
        c.packets += MICROFRAMES;
        c.cpuMicros = (THREADS.getCurrentThreadCpuTime() - c.cpu0) / 1000;
    }
}
