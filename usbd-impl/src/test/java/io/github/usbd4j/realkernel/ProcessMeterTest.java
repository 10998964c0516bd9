package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The real-stack benchmark's meter: a run's allocated bytes count what the run allocated, whatever threads end. */
class ProcessMeterTest {
    private static volatile byte[] sink;

    /**
     * Starts a thread that allocates {@code chunks} × 256 KiB, then waits for {@code release}; returns once
     * it has allocated.
     */
    private static Thread allocateThenWait(int chunks, CountDownLatch release) throws InterruptedException {
        CountDownLatch allocated = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            for (int i = 0; i < chunks; i++) {
                sink = new byte[256 * 1024];
            }
            allocated.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        allocated.await();
        return t;
    }

    private static boolean countsAllocation() {
        return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean x
                && x.isThreadAllocatedMemoryEnabled();
    }

    @Test
    void aThreadThatEndsInsideTheWindowDoesNotTakeItsEarlierAllocationAway() throws Exception {
        assumeTrue(countsAllocation(), "this JVM counts heap bytes per thread");
        CountDownLatch release = new CountDownLatch(1);
        Thread before = allocateThenWait(64, release); // 16 MiB before the window opens

        ProcessMeter.Snapshot start = ProcessMeter.start();
        release.countDown();
        before.join(); // it ends inside the window
        for (int i = 0; i < 16; i++) {
            sink = new byte[64 * 1024]; // 1 MiB inside it, on this thread
        }
        ProcessMeter.Snapshot end = ProcessMeter.end();

        long bytes = ProcessMeter.between(start, end).allocatedBytes();
        // a sum over the live threads would have dropped by the ended thread's 16 MiB and gone negative
        assertThat(bytes).isBetween(1L << 20, 4L << 20);
        assertThat(sink).hasSize(64 * 1024);
    }

    @Test
    void theMetersOwnReadingIsNotInTheWindow() throws Exception {
        // many threads make a reading of /proc long: one file or three per thread
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> idle = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            idle.add(allocateThenWait(0, release));
        }
        try {
            ProcessMeter.start(); // warm: class loading and first compilation out of the way
            ProcessMeter.end();

            // the name /proc gives this thread (the launcher's main thread is "java", not "main")
            String ownGroup = ProcessMeter.group(
                    Files.readString(Path.of("/proc/thread-self/comm")).trim());
            java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long before = mx.getCurrentThreadCpuTime();
            ProcessMeter.Snapshot start = ProcessMeter.start();
            ProcessMeter.Snapshot end = ProcessMeter.end();
            long taking = mx.getCurrentThreadCpuTime() - before; // both snapshots, in full

            ProcessMeter.Delta d = ProcessMeter.between(start, end);
            long inWindow = d.threads().stream()
                    .filter(s -> s.name().equals(ownGroup))
                    .mapToLong(ProcessMeter.Share::cpuNanos)
                    .sum();
            // an empty window: what the calling thread spent in it is a small part of taking the two snapshots
            assertThat(d.threads()).extracting(ProcessMeter.Share::name).contains(ownGroup);
            assertThat(inWindow).isLessThan(taking / 4);
            // and its allocations are not either: only what the JVM allocates to list the threads and their
            // counts at the end (a few arrays of 8 bytes per thread) comes before its read of the counters
            if (countsAllocation()) {
                assertThat(d.allocatedBytes()).isBetween(0L, 96L * mx.getThreadCount());
            }
        } finally {
            release.countDown();
            for (Thread t : idle) {
                t.join();
            }
        }
    }

    @Test
    void aThreadThatStartsInsideTheWindowCountsAllItAllocates() throws Exception {
        assumeTrue(countsAllocation(), "this JVM counts heap bytes per thread");
        CountDownLatch release = new CountDownLatch(1);
        ProcessMeter.Snapshot start = ProcessMeter.start();
        Thread inside = allocateThenWait(32, release); // 8 MiB
        ProcessMeter.Snapshot end = ProcessMeter.end();
        release.countDown();
        inside.join();

        assertThat(ProcessMeter.between(start, end).allocatedBytes()).isBetween(8L << 20, 11L << 20);
        assertThat(sink).hasSize(256 * 1024);
    }
}
