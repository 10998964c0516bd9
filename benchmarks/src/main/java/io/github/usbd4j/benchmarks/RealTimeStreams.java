package io.github.usbd4j.benchmarks;

import io.github.usbd4j.sim.SimulatedHostController;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs {@link CeIsochStream}s on real-time simulated buses for a while and measures what the benchmarks
 * report: missed microframes, process CPU, heap allocated per transfer and bus done → callback entry.
 */
final class RealTimeStreams {
    private final List<CeIsochStream> streams = new ArrayList<>();
    private final ExecutorService shared;

    long transfers;
    long packets;
    long missedMicroframes;
    double cpuCores;
    double allocatedBytesPerTransfer;
    long p50;
    long p99;
    long max;

    RealTimeStreams(
            int count,
            int alternateSetting,
            int packetsPerTransfer,
            int inFlight,
            boolean sharedExecutor,
            int handleQuarantine) {
        shared = sharedExecutor ? Executors.newFixedThreadPool(2) : null;
        for (int i = 0; i < count; i++) {
            streams.add(new CeIsochStream(
                    SimulatedHostController.ClockMode.REAL_TIME,
                    CeIsochStream.Device.LOOPBACK,
                    alternateSetting,
                    packetsPerTransfer,
                    inFlight,
                    shared,
                    true,
                    null,
                    handleQuarantine));
        }
    }

    /** Streams for {@code warmUpSeconds} (not counted), then for {@code seconds}, measuring. */
    void run(int warmUpSeconds, int seconds) throws InterruptedException {
        streams.forEach(CeIsochStream::start);
        Thread.sleep(warmUpSeconds * 1000L);
        int expected = seconds * 1000 + 1000; // at most one transfer per ms per stream
        streams.forEach(s -> s.reset(expected));
        long cpu0 = processCpu();
        long alloc0 = allocated();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long wall = System.nanoTime() - t0;
        long cpu = processCpu() - cpu0;
        long alloc = allocated() - alloc0;
        List<long[]> lat = new ArrayList<>();
        for (CeIsochStream s : streams) {
            synchronized (s) {
                transfers += s.transfers;
                packets += s.packetsOk + s.packetsBad;
                missedMicroframes += s.packetsBad + s.gapMicroframes;
            }
            lat.add(s.sortedLatencies());
        }
        long[] all =
                lat.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
        if (all.length > 0) {
            p50 = all[all.length / 2];
            p99 = all[(int) Math.min(all.length - 1, Math.ceil(all.length * 0.99) - 1)];
            max = all[all.length - 1];
        }
        cpuCores = (double) cpu / wall;
        allocatedBytesPerTransfer = transfers == 0 ? 0 : (double) alloc / transfers;
        System.out.printf(
                "%n%d streams, %d s: %d transfers, %d packets, %d missed microframes, %.3f cores of CPU, %.1f B"
                        + " allocated per transfer; bus done -> callback entry p50 %.1f us, p99 %.1f us, max %.1f us%n",
                streams.size(),
                seconds,
                transfers,
                packets,
                missedMicroframes,
                cpuCores,
                allocatedBytesPerTransfer,
                p50 / 1e3,
                p99 / 1e3,
                max / 1e3);
    }

    void close() {
        streams.forEach(CeIsochStream::stop);
        streams.forEach(CeIsochStream::close);
        if (shared != null) {
            shared.shutdownNow();
        }
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long allocated() {
        com.sun.management.ThreadMXBean m = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long v : m.getThreadAllocatedBytes(m.getAllThreadIds())) {
            sum += Math.max(v, 0);
        }
        return sum;
    }
}
