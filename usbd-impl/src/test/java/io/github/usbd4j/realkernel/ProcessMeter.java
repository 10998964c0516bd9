package io.github.usbd4j.realkernel;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What this JVM process spent between two points, from Linux's per-thread accounting: CPU time
 * ({@code /proc/self/task/<tid>/schedstat}, nanoseconds, native threads included; the measuring thread's own
 * through its CPU clock, the same count), context switches
 * (voluntary ones are the thread's wake-ups), and heap bytes allocated by Java threads
 * ({@code com.sun.management.ThreadMXBean}). Threads are grouped by name with the digits dropped, so
 * a pool's workers add up.
 */
final class ProcessMeter {
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");

    private ProcessMeter() {}

    /** One thread's counters at one moment. */
    record Task(String name, long cpuNanos, long voluntary, long involuntary) {}

    /** The process's counters at one moment. */
    record Snapshot(long wallNanos, Map<Long, Task> tasks, Allocation allocation, long processCpuNanos) {}

    /**
     * Heap bytes allocated so far by each live Java thread ({@code bytes[i]} by thread {@code ids[i]}, -1 for
     * one that ended meanwhile), kept as the JVM returns them: nothing more is allocated after the read.
     */
    static final class Allocation {
        private final long[] ids;
        private final long[] bytes;

        Allocation(long[] ids, long[] bytes) {
            this.ids = ids;
            this.bytes = bytes;
        }
    }

    /** A thread group's share of a {@link Delta}. */
    record Share(String name, long cpuNanos, long voluntary, long involuntary) {}

    /**
     * What happened between two snapshots. Threads that ended in between are missing from the per-thread
     * figures and from the allocated bytes (the whole-process CPU still counts them); the allocated bytes are
     * -1 where the JVM does not count them.
     */
    record Delta(
            long wallNanos,
            long cpuNanos,
            long processCpuNanos,
            long voluntary,
            long involuntary,
            long allocatedBytes,
            List<Share> threads) {

        /** {@code name:cpuMs/wakeups} per thread group, busiest first. */
        String threadSummary() {
            StringBuilder b = new StringBuilder();
            for (Share s : threads) {
                if (s.cpuNanos() < 1_000_000 && s.voluntary() < 10) {
                    continue;
                }
                b.append(b.length() == 0 ? "" : ",")
                        .append(s.name())
                        .append(':')
                        .append(s.cpuNanos() / 1_000_000)
                        .append("ms/")
                        .append(s.voluntary() + s.involuntary())
                        .append("cs");
            }
            return b.toString();
        }
    }

    /**
     * Taken at the start of a window. What the calling thread spends taking it (reading a few files per thread
     * of the process) stays outside the window: the allocation counter, its own CPU time, the process's and the
     * clock are read last, after /proc.
     */
    static Snapshot start() {
        Map<Long, Task> tasks = readTasks();
        long tid = ownTid();
        Allocation allocated = allocated();
        long ownCpu = ownCpu();
        long processCpu = processCpu();
        long wall = System.nanoTime();
        return new Snapshot(wall, withOwnCpu(tasks, tid, ownCpu), allocated, processCpu);
    }

    /**
     * Taken at the end of a window: the clock, the process's CPU time, the calling thread's and the allocation
     * counter first, before /proc.
     */
    static Snapshot end() {
        long wall = System.nanoTime();
        long processCpu = processCpu();
        long ownCpu = ownCpu();
        Allocation allocated = allocated();
        return new Snapshot(wall, withOwnCpu(readTasks(), ownTid(), ownCpu), allocated, processCpu);
    }

    /** The tasks, with the calling thread's CPU time as read at the window's edge. */
    private static Map<Long, Task> withOwnCpu(Map<Long, Task> tasks, long tid, long cpu) {
        tasks.computeIfPresent(tid, (k, t) -> new Task(t.name(), cpu, t.voluntary(), t.involuntary()));
        return tasks;
    }

    /** The calling thread's id in /proc. */
    private static long ownTid() {
        try {
            return Long.parseLong(
                    Files.readSymbolicLink(THREAD_SELF).getFileName().toString());
        } catch (IOException e) {
            throw new AssertionError("cannot read " + THREAD_SELF, e);
        }
    }

    /**
     * The calling thread's CPU time, nanoseconds: the scheduler's count that schedstat shows, read through the
     * thread CPU clock, which allocates nothing (a /proc file read would, inside the window).
     */
    private static long ownCpu() {
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        if (cpu < 0) {
            throw new AssertionError("the JVM's thread CPU clock is off");
        }
        return cpu;
    }

    /** Every thread's name, CPU time and context switches, by thread id, from /proc. */
    private static Map<Long, Task> readTasks() {
        Map<Long, Task> tasks = new HashMap<>();
        try (Stream<Path> s = Files.list(TASKS)) {
            for (Path t : s.toList()) {
                try {
                    long tid = Long.parseLong(t.getFileName().toString());
                    String name = Files.readString(t.resolve("comm"), StandardCharsets.US_ASCII)
                            .trim();
                    long cpu = Long.parseLong(Files.readString(t.resolve("schedstat"), StandardCharsets.US_ASCII)
                            .trim()
                            .split(" ")[0]);
                    long vol = 0;
                    long invol = 0;
                    for (String line : Files.readAllLines(t.resolve("status"), StandardCharsets.US_ASCII)) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            vol = Long.parseLong(
                                    line.substring(line.indexOf(':') + 1).trim());
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            invol = Long.parseLong(
                                    line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                    tasks.put(tid, new Task(name, cpu, vol, invol));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we read it
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read " + TASKS, e);
        }
        return tasks;
    }

    static Delta between(Snapshot a, Snapshot b) {
        Map<String, long[]> byName = new TreeMap<>();
        long cpu = 0;
        long vol = 0;
        long invol = 0;
        for (Map.Entry<Long, Task> e : b.tasks().entrySet()) {
            Task now = e.getValue();
            Task then = a.tasks().getOrDefault(e.getKey(), new Task(now.name(), 0, 0, 0));
            long[] acc = byName.computeIfAbsent(group(now.name()), k -> new long[3]);
            acc[0] += now.cpuNanos() - then.cpuNanos();
            acc[1] += now.voluntary() - then.voluntary();
            acc[2] += now.involuntary() - then.involuntary();
            cpu += now.cpuNanos() - then.cpuNanos();
            vol += now.voluntary() - then.voluntary();
            invol += now.involuntary() - then.involuntary();
        }
        List<Share> shares = new ArrayList<>();
        byName.forEach((n, v) -> shares.add(new Share(n, v[0], v[1], v[2])));
        shares.sort((x, y) -> Long.compare(y.cpuNanos(), x.cpuNanos()));
        return new Delta(
                b.wallNanos() - a.wallNanos(),
                cpu,
                b.processCpuNanos() - a.processCpuNanos(),
                vol,
                invol,
                allocatedBetween(a.allocation(), b.allocation()),
                shares);
    }

    /**
     * "usbd-callback-2" and "usbd-callback-1" are one group; so are the compiler threads. (A native thread
     * is named after the thread that created it: libusb's udev monitor thread after the thread that called
     * libusb_init.)
     */
    static String group(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /**
     * What the threads alive at the end allocated since the start (a thread that started in between: all of
     * it). Per thread, because a sum over the live threads drops when one ends, and could go negative.
     */
    private static long allocatedBetween(Allocation start, Allocation end) {
        if (start == null || end == null) {
            return -1;
        }
        Map<Long, Long> before = new HashMap<>();
        for (int i = 0; i < start.ids.length; i++) {
            before.put(start.ids[i], Math.max(start.bytes[i], 0));
        }
        long sum = 0;
        for (int i = 0; i < end.ids.length; i++) {
            if (end.bytes[i] >= 0) { // -1: the thread ended meanwhile
                sum += end.bytes[i] - before.getOrDefault(end.ids[i], 0L);
            }
        }
        return sum;
    }

    /** What each live Java thread has allocated so far; null where the JVM does not count it. */
    private static Allocation allocated() {
        java.lang.management.ThreadMXBean m = ManagementFactory.getThreadMXBean();
        if (!(m instanceof com.sun.management.ThreadMXBean x) || !x.isThreadAllocatedMemoryEnabled()) {
            return null;
        }
        long[] ids = m.getAllThreadIds();
        return new Allocation(ids, x.getThreadAllocatedBytes(ids));
    }

    private static long processCpu() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The guest's load average line. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
