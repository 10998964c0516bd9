package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_ACCESS;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static io.github.usbd4j.win32.Win32.ERROR_SHARING_VIOLATION;
import static io.github.usbd4j.win32.Win32.ERROR_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.devmgr.DeviceInformation;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Seeded chaos: application threads call CreateFile, WriteFile, ReadFile, DeviceIoControl and CloseHandle
 * on LBK1: and LBK2: (some with bad arguments) while the test thread plugs and unplugs loopback devices.
 * The threads share their handles, so one thread's CloseHandle races another's ReadFile or DeviceIoControl
 * on the same handle (reference page of the device manager, [§D5](reference/ce-devmgr.html#d5) and
 * [§D7](reference/ce-devmgr.html#d7)). Whatever the interleaving, no call throws, every failure carries an
 * error CE's device manager or the driver documents for that call, a call that succeeds reports no more
 * bytes than asked, a plugged device takes the lowest free index
 * ([§D3](reference/ce-devmgr.html#d3)), each unplugged device is deinitialized exactly once, and nothing is
 * left loaded. Fixed seeds and a bounded number of rounds in CI; {@code -Dusbd4j.lbk.chaos.rounds=N} and
 * {@code -Dusbd4j.lbk.chaos.seed=S} run others. Prints how many calls it made.
 */
class LbkChaosTest {
    private static final Set<Integer> CREATE_ERRORS =
            Set.of(ERROR_DEV_NOT_EXIST, ERROR_SHARING_VIOLATION, ERROR_DEVICE_NOT_CONNECTED);
    /**
     * ERROR_TIMEOUT: a transfer of the call (a write, alone or in IOCTL_LBK_TRANSACT, or an IOCTL's request)
     * the device did not answer within the 20-frame WriteTimeout, e.g. while its loop buffer was full and the bus ran
     * on; which calls meet it depends on how the application threads interleave with the bus, i.e. on load.
     */
    private static final Set<Integer> IO_ERRORS = Set.of(
            ERROR_INVALID_HANDLE_STATE,
            ERROR_DEVICE_NOT_CONNECTED,
            ERROR_INVALID_ACCESS,
            ERROR_ACCESS_DENIED,
            ERROR_TIMEOUT,
            ERROR_INVALID_HANDLE, // another thread closed the handle before the call
            ERROR_OPERATION_ABORTED); // another thread closed it during the call: LBK_PreClose woke it

    private final AtomicLong calls = new AtomicLong();
    private final java.util.Map<String, AtomicLong> failures = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();

    @Test
    void applicationCallsRacingUnplug_keepCeSemantics() throws Exception {
        int rounds = Integer.getInteger("usbd4j.lbk.chaos.rounds", 20);
        long seed = Long.getLong("usbd4j.lbk.chaos.seed", 1717L);
        long start = System.nanoTime();
        int unplugs = 0;
        for (int r = 0; r < rounds; r++) {
            unplugs += round(seed + r);
            assertThat(problems).as("seed %d", seed + r).isEmpty();
        }
        System.out.printf(
                "LbkChaosTest: %d rounds (seeds %d..%d), %d application calls, %d unplugs, %.1f s; failures %s%n",
                rounds, seed, seed + rounds - 1, calls.get(), unplugs, (System.nanoTime() - start) / 1e9, failures);
        assertThat(failures)
                .as("calls raced the unplugs: some met a removed device")
                .containsKey("ERROR_INVALID_HANDLE_STATE");
    }

    /** One round: three application threads against a bus on which devices come and go. */
    private int round(long seed) throws Exception {
        Random random = new Random(seed);
        SimulatedHostController sim = SimulatedHostController.builder()
                .speed(UsbSpeed.FULL)
                .seed(seed)
                .build();
        // a write the device does not take fails after its WriteTimeout, and a read with nothing queued returns 0
        // bytes after its ReadTimeout: 20 frames keeps the rounds short
        Usbd usbd = Usbd.builder().backend(sim).syncTimeoutMillis(20).build();
        int unplugs = 0;
        try {
            DeviceManager dm = usbd.deviceManager();
            LbkUsbDriver driver = new LbkUsbDriver(dm);
            usbd.registerDriver(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
            ClientRegistryKey key = usbd.funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID);
            key.setDword(LbkStream.READ_TIMEOUT_VALNAME, 20);
            key.setDword(LbkStream.WRITE_TIMEOUT_VALNAME, 20);
            List<SimulatedDevice> plugged = new ArrayList<>();
            plugged.add(sim.attach(LoopbackDevice.fullSpeed()));

            List<Thread> apps = new ArrayList<>();
            List<FileHandle> shared = new CopyOnWriteArrayList<>(); // every thread uses and closes these
            for (int i = 0; i < 3; i++) {
                long appSeed = random.nextLong();
                Thread t = new Thread(() -> application(dm, new Random(appSeed), seed, shared), "lbk-app-" + i);
                t.start();
                apps.add(t);
            }
            for (int event = 0; event < 12; event++) {
                sim.advanceFrames(random.nextInt(40));
                if (!plugged.isEmpty() && (plugged.size() == 2 || random.nextBoolean())) {
                    sim.detach(plugged.remove(random.nextInt(plugged.size())));
                    unplugs++;
                } else {
                    plugged.add(sim.attach(LoopbackDevice.fullSpeed()));
                    checkLowestFreeIndex(dm, seed);
                }
            }
            for (SimulatedDevice d : plugged) {
                sim.detach(d);
                unplugs++;
            }
            for (Thread t : apps) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                if (t.isAlive()) {
                    problems.add("seed " + seed + ": " + t.getName() + " still running after 60 s");
                }
            }
            for (LbkDevice d : driver.devices()) {
                if (d.deinits() != 1) {
                    problems.add("seed " + seed + ": a device was deinitialized " + d.deinits() + " times");
                }
            }
            if (!dm.activeDevices().isEmpty()) {
                problems.add("seed " + seed + ": devices left loaded: " + dm.activeDevices());
            }
        } finally {
            usbd.close();
        }
        return unplugs;
    }

    /** The device plugged last is named with the lowest index the others leave free. */
    private void checkLowestFreeIndex(DeviceManager dm, long seed) {
        List<DeviceInformation> loaded = dm.activeDevices();
        if (loaded.isEmpty()) {
            problems.add("seed " + seed + ": a plugged device was not loaded");
            return;
        }
        Set<String> others = new HashSet<>();
        for (DeviceInformation d : loaded.subList(0, loaded.size() - 1)) {
            others.add(d.legacyName());
        }
        int lowest = 1;
        while (others.contains("LBK" + lowest + ":")) {
            lowest++;
        }
        String newest = loaded.get(loaded.size() - 1).legacyName();
        if (!newest.equals("LBK" + lowest + ":")) {
            problems.add("seed " + seed + ": plugged as " + newest + " beside " + others);
        }
    }

    /** 60 random calls; every failure must carry an error documented for that call. */
    private void application(DeviceManager dm, Random random, long seed, List<FileHandle> open) {
        int[] accesses = {GENERIC_READ | GENERIC_WRITE, GENERIC_READ, GENERIC_WRITE, 0};
        int[] shares = {FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SHARE_READ, 0};
        try {
            for (int i = 0; i < 60; i++) {
                calls.incrementAndGet();
                int op = random.nextInt(10);
                if (open.isEmpty() || op == 0) {
                    String name = "LBK" + (1 + random.nextInt(2)) + ":";
                    FileHandle h = dm.createFile(
                            name,
                            accesses[random.nextInt(accesses.length)],
                            shares[random.nextInt(shares.length)],
                            null,
                            OPEN_EXISTING,
                            0,
                            null);
                    if (h == INVALID_HANDLE_VALUE) {
                        expect(seed, "CreateFile", CREATE_ERRORS);
                    } else {
                        open.add(h);
                    }
                    continue;
                }
                FileHandle[] now = open.toArray(new FileHandle[0]);
                if (now.length == 0) {
                    continue; // another thread closed the last one meanwhile
                }
                FileHandle h = now[random.nextInt(now.length)];
                int n = 1 + random.nextInt(200);
                int[] done = new int[1];
                switch (op) {
                    case 1, 2 -> {
                        if (!dm.writeFile(h, ByteBuffer.allocate(n), n, done, null)) {
                            expect(seed, "WriteFile", IO_ERRORS);
                        } else {
                            expectCount(seed, "WriteFile", done[0], n);
                        }
                    }
                    case 3, 4 -> {
                        if (!dm.readFile(h, ByteBuffer.allocateDirect(n), n, done, null)) {
                            expect(seed, "ReadFile", IO_ERRORS);
                        } else {
                            expectCount(seed, "ReadFile", done[0], n);
                        }
                    }
                    case 5 -> {
                        ByteBuffer out = ByteBuffer.allocate(LbkIoctl.STATS_SIZE);
                        int code = random.nextBoolean() ? LbkIoctl.IOCTL_LBK_GET_STATS : LbkIoctl.IOCTL_LBK_RESET;
                        if (!dm.deviceIoControl(h, code, null, 0, out, LbkIoctl.STATS_SIZE, done, null)) {
                            expect(seed, "DeviceIoControl", IO_ERRORS);
                        }
                    }
                    case 6 -> {
                        if (!dm.deviceIoControl(
                                h,
                                LbkIoctl.IOCTL_LBK_TRANSACT,
                                ByteBuffer.allocate(n),
                                n,
                                ByteBuffer.allocate(n),
                                n,
                                done,
                                null)) {
                            expect(seed, "DeviceIoControl", IO_ERRORS);
                        } else {
                            expectCount(seed, "IOCTL_LBK_TRANSACT", done[0], n);
                        }
                    }
                    case 7 -> {
                        if (dm.readFile(h, ByteBuffer.allocate(1), n + 1, done, null)) {
                            problems.add("seed " + seed + ": ReadFile past the buffer succeeded");
                        } else {
                            expect(
                                    seed,
                                    "ReadFile past the buffer",
                                    Set.of(
                                            ERROR_INVALID_PARAMETER,
                                            ERROR_INVALID_HANDLE_STATE,
                                            ERROR_INVALID_ACCESS,
                                            ERROR_INVALID_HANDLE));
                        }
                    }
                    case 8 -> {
                        if (!dm.deviceIoControl(h, 0x0022FFFC, null, 0, null, 0, null, null)) {
                            expect(
                                    seed,
                                    "an unknown IOCTL",
                                    Set.of(ERROR_NOT_SUPPORTED, ERROR_INVALID_HANDLE_STATE, ERROR_INVALID_HANDLE));
                        }
                    }
                    default -> {
                        if (open.remove(h) && !dm.closeHandle(h)) { // only the thread that took it out closes it
                            problems.add(
                                    "seed " + seed + ": CloseHandle failed: " + Win32.errorName(Win32.getLastError()));
                        }
                    }
                }
            }
            for (FileHandle h : open.toArray(new FileHandle[0])) {
                if (open.remove(h) && !dm.closeHandle(h)) {
                    problems.add("seed " + seed + ": CloseHandle failed: " + Win32.errorName(Win32.getLastError()));
                }
            }
        } catch (Throwable e) {
            problems.add("seed " + seed + ": " + e + " escaped to the application");
        }
    }

    private void expectCount(long seed, String call, int done, int asked) {
        if (done < 0 || done > asked) {
            problems.add("seed " + seed + ": " + call + " reported " + done + " bytes of " + asked);
        }
    }

    private void expect(long seed, String call, Set<Integer> allowed) {
        int error = Win32.getLastError();
        failures.computeIfAbsent(Win32.errorName(error), e -> new AtomicLong()).incrementAndGet();
        if (!allowed.contains(error)) {
            problems.add("seed " + seed + ": " + call + " failed with " + Win32.errorName(error));
        }
    }
}
