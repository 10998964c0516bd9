package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Concurrent calls (reference page of the device manager, [§D7](reference/ce-devmgr.html#d7)): the device manager does not serialize
 * them, and a deactivation racing reads on several threads keeps its promises whatever the interleaving.
 * The race is seeded and bounded ({@code -Dusbd4j.devmgr.races=N} runs more rounds).
 */
class DeviceManagerConcurrencyTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void close() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                .isTrue();
        f.close();
    }

    private FileHandle open(String name) {
        FileHandle h = f.dm.createFile(name, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
        assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);
        return h;
    }

    @Test
    void callsFromSeveralThreads_runInTheDriverAtOnce() throws Exception {
        int threads = 6;
        Probe p = new Probe();
        f.dm.activateDeviceEx(f.deviceKey("Par", Probe.PreDriver.class, "PAR"), null, 0, p);
        FileHandle shared = open("PAR1:");
        CyclicBarrier allInside = new CyclicBarrier(threads);
        p.onIoControl = probe -> {
            try {
                // only passes if every thread is inside at once; serialized calls would wait here until the guard
                allInside.await(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("not all threads reached the driver together", e);
            }
        };
        List<Future<Boolean>> calls = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            FileHandle h = i % 2 == 0 ? shared : open("PAR1:"); // one handle or several: no serialization
            byte[] in = {(byte) i, 1};
            calls.add(pool.submit(() -> {
                ByteBuffer out = ByteBuffer.allocate(2);
                int[] n = new int[1];
                boolean ok = f.dm.deviceIoControl(h, 0x222000, ByteBuffer.wrap(in), 2, out, 2, n, null);
                return ok && n[0] == 2 && out.get(0) == 1 && out.get(1) == in[0];
            }));
        }
        for (Future<Boolean> c : calls) {
            assertThat(c.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                    .isTrue();
        }
        assertThat(p.maxInDriver).hasValue(threads);
    }

    @Test
    void deactivationRacingReads_keepsCeOrder_seeded() throws Exception {
        int rounds = Integer.getInteger("usbd4j.devmgr.races", 60);
        Random random = new Random(20260117L);
        long reads = 0;
        long start = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            reads += race(random.nextLong());
        }
        System.out.printf(
                "DeviceManagerConcurrencyTest: %d deactivation races, %d reads, %.1f s%n",
                rounds, reads, (System.nanoTime() - start) / 1e9);
    }

    /** One round: readers loop on their handles while the device is deactivated after a random count. */
    private long race(long seed) throws Exception {
        Random random = new Random(seed);
        int readers = 1 + random.nextInt(4);
        int deactivateAfter = random.nextInt(200);
        Probe p = new Probe();
        ActivationHandle device =
                f.dm.activateDeviceEx(f.deviceKey("Race" + seed, Probe.PreDriver.class, "RCE"), null, 0, p);
        assertThat(device).as("seed %d", seed).isNotNull();
        String name = f.dm.activeDevices().get(0).legacyName();
        AtomicInteger succeeded = new AtomicInteger();
        AtomicInteger deactivated = new AtomicInteger();
        List<Future<String>> loops = new ArrayList<>();
        for (int r = 0; r < readers; r++) {
            FileHandle h = open(name);
            loops.add(pool.submit(() -> {
                ByteBuffer b = ByteBuffer.allocate(16);
                int[] n = new int[1];
                while (true) {
                    boolean afterDeactivation = deactivated.get() == 1;
                    if (f.dm.readFile(h, b, 16, n, null)) {
                        if (afterDeactivation) {
                            return "a read succeeded after DeactivateDevice returned";
                        }
                        succeeded.incrementAndGet();
                        continue;
                    }
                    int error = Win32.getLastError();
                    if (error != ERROR_INVALID_HANDLE_STATE) {
                        return "a read failed with " + Win32.errorName(error);
                    }
                    if (!f.dm.closeHandle(h)) {
                        return "CloseHandle of an orphaned handle failed";
                    }
                    return f.dm.closeHandle(h) || Win32.getLastError() != ERROR_INVALID_HANDLE
                            ? "a second CloseHandle succeeded"
                            : null;
                }
            }));
        }
        while (succeeded.get() < deactivateAfter && loops.stream().noneMatch(Future::isDone)) {
            Thread.onSpinWait();
        }
        assertThat(f.dm.deactivateDevice(device)).isTrue();
        deactivated.set(1);
        for (Future<String> l : loops) {
            assertThat(l.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                    .as("seed %d", seed)
                    .isNull();
        }
        assertThat(p.deinits).as("seed %d: one Deinit", seed).hasValue(1);
        assertThat(p.deinitWithThreadsInside)
                .as("seed %d: Deinit after the last read", seed)
                .isFalse();
        List<String> events = p.events();
        assertThat(events.subList(events.indexOf("Deinit"), events.size()))
                .as("seed %d: nothing reaches the driver after Deinit", seed)
                .containsExactly("Deinit");
        assertThat(f.dm.activeDevices()).isEmpty();
        return succeeded.get();
    }
}
