package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.ce.devmgr.StreamInterfaceDriver;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded race of application threads that share their handles (reference page of the device manager,
 * [§D5](reference/ce-devmgr.html#d5) to [§D7](reference/ce-devmgr.html#d7)): each thread reads, writes,
 * seeks, controls and closes handles any thread opened, while the test thread deactivates the device and
 * activates a new one under the same name. A ledger driver checks, at each entry point, what the device
 * manager promises: nothing reaches an open context after its {@code XXX_Close} or a device after its
 * {@code XXX_Deinit}; {@code XXX_Close} runs at most once and never while a thread is inside on that handle
 * (the driver has {@code XXX_PreClose}); {@code XXX_Deinit} runs exactly once, after the last thread has left.
 * The applications see only the handle errors. {@code -Dusbd4j.devmgr.shared.rounds=N} runs more rounds.
 */
class SharedHandleRaceTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final AtomicInteger calls = new AtomicInteger();

    @AfterEach
    void close() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                .isTrue();
        f.close();
    }

    /** One activation's record, the driver's device context. */
    static final class Ledger {
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger deinits = new AtomicInteger();
        final List<OpenCtx> opens = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<String> violations;

        Ledger(ConcurrentLinkedQueue<String> violations) {
            this.violations = violations;
        }

        void enter(String what) {
            inside.incrementAndGet();
            if (deinits.get() > 0) {
                violations.add(what + " after Deinit");
            }
        }

        void leave() {
            inside.decrementAndGet();
        }
    }

    /** One open context. */
    static final class OpenCtx {
        final Ledger ledger;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();

        OpenCtx(Ledger ledger) {
            this.ledger = ledger;
        }

        void enter(String what) {
            ledger.enter(what);
            inside.incrementAndGet();
            if (closes.get() > 0) {
                ledger.violations.add(what + " after Close");
            }
        }

        void leave() {
            inside.decrementAndGet();
            ledger.leave();
        }
    }

    /** The ledger driver: every entry point checks the promises, and does no I/O. */
    public static final class LedgerDriver implements StreamInterfaceDriver<Ledger, OpenCtx> {
        @Override
        public Ledger init(String context, Object busContext) {
            return (Ledger) busContext;
        }

        @Override
        public boolean preDeinit(Ledger l) {
            l.enter("PreDeinit");
            l.leave();
            return true;
        }

        @Override
        public boolean deinit(Ledger l) {
            if (l.inside.get() != 0) {
                l.violations.add("Deinit with " + l.inside.get() + " threads inside");
            }
            if (l.deinits.incrementAndGet() != 1) {
                l.violations.add("Deinit twice");
            }
            return true;
        }

        @Override
        public OpenCtx open(Ledger l, int accessCode, int shareMode) {
            l.enter("Open");
            try {
                OpenCtx o = new OpenCtx(l);
                l.opens.add(o);
                return o;
            } finally {
                l.leave();
            }
        }

        @Override
        public boolean preClose(OpenCtx o) {
            o.ledger.enter("PreClose");
            if (o.closes.get() > 0) {
                o.ledger.violations.add("PreClose after Close");
            }
            o.ledger.leave();
            return true;
        }

        @Override
        public boolean close(OpenCtx o) {
            o.ledger.enter("Close");
            if (o.inside.get() != 0) {
                o.ledger.violations.add("Close with " + o.inside.get() + " threads inside on the handle");
            }
            if (o.closes.incrementAndGet() != 1) {
                o.ledger.violations.add("Close twice");
            }
            o.ledger.leave();
            return true;
        }

        @Override
        public int read(OpenCtx o, ByteBuffer buffer, int count) {
            o.enter("Read");
            try {
                Thread.onSpinWait(); // a wider window for a racing CloseHandle
                return count;
            } finally {
                o.leave();
            }
        }

        @Override
        public int write(OpenCtx o, ByteBuffer buffer, int numberOfBytes) {
            o.enter("Write");
            try {
                return numberOfBytes;
            } finally {
                o.leave();
            }
        }

        @Override
        public int seek(OpenCtx o, int amount, int type) {
            o.enter("Seek");
            try {
                return amount;
            } finally {
                o.leave();
            }
        }

        @Override
        public boolean ioControl(
                OpenCtx o, int code, ByteBuffer bufIn, int lenIn, ByteBuffer bufOut, int lenOut, int[] actualOut) {
            o.enter("IOControl");
            try {
                Thread.onSpinWait(); // a wider window for a racing CloseHandle
                return true;
            } finally {
                o.leave();
            }
        }
    }

    @Test
    void closeHandleOnOneThread_racingCallsOnAnother_andDeactivation_keepCePromises_seeded() throws Exception {
        long start = System.nanoTime();
        int rounds = Integer.getInteger("usbd4j.devmgr.shared.rounds", 40);
        Random random = new Random(20261129L);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        String devKey = f.deviceKey("Shared", LedgerDriver.class, "SHR");
        List<Ledger> ledgers = new ArrayList<>();
        for (int round = 0; round < rounds && violations.isEmpty(); round++) {
            long seed = random.nextLong();
            Ledger ledger = new Ledger(violations);
            ledgers.add(ledger);
            ActivationHandle device = f.dm.activateDeviceEx(devKey, null, 0, ledger);
            assertThat(device).isNotNull();
            List<FileHandle> shared = new CopyOnWriteArrayList<>();
            calls.set(0);
            List<Future<?>> apps = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random r = new Random(seed + t);
                apps.add(pool.submit(() -> application(r, shared, violations)));
            }
            int deactivateAfter = new Random(seed).nextInt(600);
            while (calls.get() < deactivateAfter && apps.stream().noneMatch(Future::isDone)) {
                Thread.onSpinWait(); // the deactivation lands after a seeded number of calls
            }
            assertThat(f.dm.deactivateDevice(device)).isTrue();
            for (Future<?> a : apps) {
                a.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            }
            for (FileHandle h : shared) {
                f.dm.closeHandle(h);
            }
        }
        System.out.printf(
                "SharedHandleRaceTest: %d rounds, %d opens, %.1f s%n",
                ledgers.size(),
                ledgers.stream().mapToInt(l -> l.opens.size()).sum(),
                (System.nanoTime() - start) / 1e9);
        assertThat(violations).isEmpty();
        for (Ledger l : ledgers) {
            assertThat(l.deinits).hasValue(1);
            assertThat(l.inside).hasValue(0);
            assertThat(l.opens).allSatisfy(o -> assertThat(o.closes.get()).isBetween(0, 1));
        }
        assertThat(f.dm.activeDevices()).isEmpty();
    }

    private void application(Random r, List<FileHandle> shared, ConcurrentLinkedQueue<String> violations) {
        Set<Integer> handleErrors = Set.of(ERROR_INVALID_HANDLE, ERROR_INVALID_HANDLE_STATE);
        try {
            for (int i = 0; i < 400; i++) {
                calls.incrementAndGet();
                FileHandle[] now = shared.toArray(new FileHandle[0]);
                int op = r.nextInt(10);
                if (now.length == 0 || op == 0) {
                    FileHandle h =
                            f.dm.createFile("SHR1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
                    if (h != INVALID_HANDLE_VALUE) {
                        shared.add(h);
                    } else if (Win32.getLastError() != ERROR_DEV_NOT_EXIST) {
                        violations.add("CreateFile failed with " + Win32.errorName(Win32.getLastError()));
                    } else {
                        return; // the device is gone
                    }
                    continue;
                }
                FileHandle h = now[r.nextInt(now.length)];
                int[] n = new int[1];
                boolean ok;
                String call;
                switch (op) {
                    case 1, 2, 3 -> {
                        ok = f.dm.readFile(h, ByteBuffer.allocate(8), 8, n, null);
                        call = "ReadFile";
                    }
                    case 4 -> {
                        ok = f.dm.writeFile(h, ByteBuffer.allocate(8), 8, n, null);
                        call = "WriteFile";
                    }
                    case 5 -> {
                        ok = f.dm.setFilePointer(h, 5, null, 0) != INVALID_SET_FILE_POINTER;
                        call = "SetFilePointer";
                    }
                    case 6, 7 -> {
                        ok = f.dm.deviceIoControl(h, 0x222000, null, 0, null, 0, n, null);
                        call = "DeviceIoControl";
                    }
                    default -> {
                        if (shared.remove(h) && !f.dm.closeHandle(h)) { // one thread closes each handle
                            violations.add("CloseHandle failed: " + Win32.errorName(Win32.getLastError()));
                        }
                        continue;
                    }
                }
                if (!ok && !handleErrors.contains(Win32.getLastError())) {
                    violations.add(call + " failed with " + Win32.errorName(Win32.getLastError()));
                }
            }
        } catch (RuntimeException | Error e) {
            violations.add(e + " escaped");
        }
    }
}
