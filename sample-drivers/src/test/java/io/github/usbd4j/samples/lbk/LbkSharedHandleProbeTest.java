package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_GET_STATS;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_RESET;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_TRANSACT;
import static io.github.usbd4j.samples.lbk.LbkIoctl.STATS_SIZE;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_INSUFFICIENT_BUFFER;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Probes of the device manager with the LBK sample (reference page of the device manager,
 * [§D5](reference/ce-devmgr.html#d5) to [§D7](reference/ce-devmgr.html#d7)): several threads calling ReadFile,
 * WriteFile, DeviceIoControl, CreateFile and CloseHandle on one shared handle while the round ends with a
 * CloseHandle, an unplug or the runtime's close; a handle used again after its close; and DeviceIoControl with
 * absent, short, oversized and negative buffers. Every call answers with TRUE or FALSE and an error documented for
 * it, none throws, and none hangs: the driver's timeouts are INFINITE here, so only the pre-entry points can end a
 * call that waits, and a lost wake-up is a thread still running at the bound.
 */
class LbkSharedHandleProbeTest {
    private static final int INFINITE = 0xFFFFFFFF;
    /** What a call on the shared handle may fail with, whatever the interleaving. */
    private static final Set<Integer> CALL_ERRORS = Set.of(
            ERROR_INVALID_HANDLE, // closed before the call
            ERROR_INVALID_HANDLE_STATE, // its device deactivated before the call
            ERROR_OPERATION_ABORTED, // closed during the call: LBK_PreClose woke it
            ERROR_DEVICE_NOT_CONNECTED, // unplugged or the runtime closed during the call
            ERROR_INVALID_PARAMETER, // the buffers given do not hold the sizes given
            ERROR_INSUFFICIENT_BUFFER, // IOCTL_LBK_GET_STATS with less than its 24 bytes
            ERROR_NOT_SUPPORTED); // an IOCTL the driver does not know

    private final List<String> problems = new CopyOnWriteArrayList<>();

    /**
     * The bound is for a hang of the test's own thread too: on the virtual clock a call that waited INFINITE held the
     * bus, and the other threads' waits and this thread's advance with it, until it ended.
     */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void callsOnOneSharedHandle_endedByACloseAnUnplugOrTheRuntimesClose_allAnswer() throws Exception {
        int rounds = Integer.getInteger("usbd4j.lbk.probe.rounds", 24);
        long seed = Long.getLong("usbd4j.lbk.probe.seed", 4242L);
        long calls = 0;
        for (int r = 0; r < rounds; r++) {
            calls += round(seed + r, r % 3, SimulatedHostController.ClockMode.VIRTUAL);
            assertThat(problems).as("seed %d", seed + r).isEmpty();
        }
        System.out.printf("LbkSharedHandleProbeTest: %d rounds, %d calls%n", rounds, calls);
    }

    /**
     * The same on a real-time bus, where the callbacks that set the events run on the simulator's clock thread while
     * the calls wait on theirs: a wake-up lost between a call's check and its wait would hang it.
     */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void onARealTimeBus_callsOnOneSharedHandle_allAnswer() throws Exception {
        int rounds = Integer.getInteger("usbd4j.lbk.probe.rounds", 24) / 2;
        long seed = Long.getLong("usbd4j.lbk.probe.seed", 4242L) + 1000;
        for (int r = 0; r < rounds; r++) {
            round(seed + r, r % 3, SimulatedHostController.ClockMode.REAL_TIME);
            assertThat(problems).as("seed %d", seed + r).isEmpty();
        }
    }

    /** One round; {@code end} 0: CloseHandle of the shared handle, 1: an unplug, 2: Usbd.close(). */
    private long round(long seed, int end, SimulatedHostController.ClockMode clock) throws Exception {
        Random random = new Random(seed);
        SimulatedHostController sim = SimulatedHostController.builder()
                .speed(UsbSpeed.FULL)
                .seed(seed)
                .clockMode(clock)
                .build();
        Usbd usbd = Usbd.builder().backend(sim).build();
        long[] calls = {0};
        try {
            DeviceManager dm = usbd.deviceManager();
            LbkUsbDriver driver = new LbkUsbDriver(dm);
            usbd.registerDriver(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
            ClientRegistryKey key = usbd.funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID);
            key.setDword(LbkStream.READ_TIMEOUT_VALNAME, INFINITE);
            key.setDword(LbkStream.WRITE_TIMEOUT_VALNAME, INFINITE);
            LbkPromptIoTest.NakingLoopback model = new LbkPromptIoTest.NakingLoopback();
            model.refuse = random.nextBoolean();
            SimulatedDevice device = sim.attach(model);
            long attached = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (driver.devices().isEmpty() && System.nanoTime() < attached) {
                Thread.sleep(1); // real time: USBDeviceAttach runs on the runtime's attach thread
            }
            FileHandle h = dm.createFile(
                    "LBK1:",
                    GENERIC_READ | GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE,
                    null,
                    OPEN_EXISTING,
                    0,
                    null);
            assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);

            List<Thread> apps = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long appSeed = random.nextLong();
                Thread t = new Thread(
                        () -> application(dm, h, new Random(appSeed), seed, calls), "lbk-probe-" + seed + "-" + i);
                t.start();
                apps.add(t);
            }
            if (sim.isVirtual()) {
                sim.advanceFrames(random.nextInt(30));
                Thread.sleep(random.nextInt(5)); // the calls' interleaving with the end varies; the checks do not
            } else {
                Thread.sleep(random.nextInt(30));
            }
            LbkDevice lbk = driver.devices().get(0);
            switch (end) {
                case 0 -> dm.closeHandle(h);
                case 1 -> sim.detach(device);
                default -> usbd.close();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (Thread t : apps) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if (t.isAlive()) {
                    problems.add("seed " + seed + " end " + end + ": " + t.getName() + " hangs at "
                            + Arrays.toString(t.getStackTrace()));
                }
            }
            if (end == 0 && lbk.transfersPending() != 0) {
                problems.add("seed " + seed + ": calls left waiting after all returned: " + lbk.transfersPending());
            }
            if (end == 0) {
                sim.detach(device);
            }
            usbd.close();
            if (lbk.deinits() != 1) {
                problems.add("seed " + seed + ": LBK_Deinit ran " + lbk.deinits() + " times");
            }
            if (!dm.activeDevices().isEmpty()) {
                problems.add("seed " + seed + ": left loaded: " + dm.activeDevices());
            }
        } finally {
            usbd.close();
        }
        return calls[0];
    }

    /** Up to 8 calls on the shared handle, with good and bad buffers, until one fails as the end's. */
    private void application(DeviceManager dm, FileHandle h, Random random, long seed, long[] calls) {
        try {
            for (int i = 0; i < 8; i++) {
                synchronized (calls) {
                    calls[0]++;
                }
                int n = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(300);
                int[] done = {-1};
                boolean ok;
                String call;
                switch (random.nextInt(7)) {
                    case 0 -> {
                        call = "ReadFile";
                        ok = dm.readFile(h, ByteBuffer.allocate(n), n, done, null);
                        if (ok && (done[0] < 0 || done[0] > n)) {
                            problems.add("seed " + seed + ": ReadFile of " + n + " reported " + done[0]);
                        }
                    }
                    case 1 -> {
                        call = "WriteFile";
                        ok = dm.writeFile(h, ByteBuffer.allocate(n), n, done, null);
                        if (ok && (done[0] < 0 || done[0] > n)) {
                            problems.add("seed " + seed + ": WriteFile of " + n + " reported " + done[0]);
                        }
                    }
                    case 2 -> {
                        call = "IOCTL_LBK_TRANSACT";
                        ok = dm.deviceIoControl(
                                h,
                                IOCTL_LBK_TRANSACT,
                                ByteBuffer.allocate(n),
                                n,
                                ByteBuffer.allocate(n),
                                n,
                                done,
                                null);
                    }
                    case 3 -> {
                        int code = random.nextBoolean() ? IOCTL_LBK_GET_STATS : IOCTL_LBK_RESET;
                        call = "IOCTL 0x" + Integer.toHexString(code);
                        int size = random.nextBoolean() ? STATS_SIZE : random.nextInt(STATS_SIZE);
                        ok = dm.deviceIoControl(h, code, null, 0, ByteBuffer.allocate(size), size, done, null);
                    }
                    case 4 -> {
                        call = "DeviceIoControl with bad buffers";
                        ok = dm.deviceIoControl(
                                h,
                                IOCTL_LBK_TRANSACT,
                                random.nextBoolean() ? null : ByteBuffer.allocate(2),
                                random.nextBoolean() ? Integer.MAX_VALUE : -1,
                                ByteBuffer.allocate(4),
                                4,
                                done,
                                null);
                        if (ok) {
                            problems.add("seed " + seed + ": " + call + " succeeded");
                        }
                    }
                    case 5 -> {
                        call = "CreateFile and CloseHandle";
                        FileHandle other = dm.createFile("LBK1:", 0, 0, null, OPEN_EXISTING, 0, null);
                        ok = other != INVALID_HANDLE_VALUE;
                        if (!ok
                                && !Set.of(ERROR_DEV_NOT_EXIST, ERROR_DEVICE_NOT_CONNECTED)
                                        .contains(Win32.getLastError())) {
                            problems.add("seed " + seed + ": CreateFile failed with "
                                    + Win32.errorName(Win32.getLastError()));
                        }
                        if (ok && !dm.closeHandle(other)) {
                            problems.add("seed " + seed + ": CloseHandle of a fresh handle failed");
                        }
                        continue;
                    }
                    default -> {
                        call = "SetFilePointer";
                        ok = dm.setFilePointer(h, 0, null, 0) != INVALID_SET_FILE_POINTER;
                    }
                }
                if (!ok) {
                    int error = Win32.getLastError();
                    if (!CALL_ERRORS.contains(error)) {
                        problems.add("seed " + seed + ": " + call + " failed with " + Win32.errorName(error));
                    }
                }
            }
        } catch (Throwable e) {
            problems.add("seed " + seed + ": " + e + " escaped to the application");
        }
    }

    /**
     * A closed handle stays invalid: every call with it fails with ERROR_INVALID_HANDLE without reaching the driver,
     * also after a new handle to the same device was opened and after the device was unplugged and plugged again; a
     * second CloseHandle fails the same way ([§D5](reference/ce-devmgr.html#d5)).
     */
    @Test
    void aClosedHandle_usedAgain_failsWithInvalidHandle_whateverCameAfter() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            DeviceManager dm = bus.usbd().deviceManager();
            LbkUsbDriver driver = new LbkUsbDriver(dm);
            bus.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
            SimulatedDevice device = bus.attach(LoopbackDevice.fullSpeed());
            FileHandle old = dm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
            assertThat(dm.closeHandle(old)).isTrue();
            FileHandle fresh = dm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
            assertThat(fresh).as("the exclusive open is free again").isNotEqualTo(INVALID_HANDLE_VALUE);
            assertClosed(dm, old, "beside a new handle");
            assertThat(dm.writeFile(fresh, ByteBuffer.wrap(new byte[] {7}), 1, new int[1], null))
                    .isTrue();

            bus.detach(device);
            bus.attach(LoopbackDevice.fullSpeed());
            assertClosed(dm, old, "after the device came back");
            assertThat(dm.readFile(fresh, ByteBuffer.allocate(1), 1, new int[1], null))
                    .isFalse();
            assertThat(Win32.getLastError())
                    .as("a handle of the unplugged device")
                    .isEqualTo(ERROR_INVALID_HANDLE_STATE);
            assertThat(dm.closeHandle(fresh)).isTrue();
            assertClosed(dm, fresh, "closed after its device left");
            assertThat(driver.devices().get(1).openHandles()).isZero();
        }
    }

    private static void assertClosed(DeviceManager dm, FileHandle h, String when) {
        int[] n = {-1};
        assertThat(dm.readFile(h, ByteBuffer.allocate(1), 1, n, null))
                .as("ReadFile %s", when)
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(n[0]).isZero();
        assertThat(dm.writeFile(h, ByteBuffer.allocate(1), 1, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(dm.deviceIoControl(
                        h, IOCTL_LBK_GET_STATS, null, 0, ByteBuffer.allocate(STATS_SIZE), STATS_SIZE, n, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(dm.setFilePointer(h, 0, null, 0)).isEqualTo(INVALID_SET_FILE_POINTER);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(dm.closeHandle(h)).as("CloseHandle again %s", when).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
    }

    /**
     * DeviceIoControl's buffers as an application may get them wrong: absent with a size, smaller than their size,
     * sizes negative or past any buffer, read-only output, an empty bytes-returned array; and the largest buffers
     * that are right. The wrong ones fail with ERROR_INVALID_PARAMETER before the driver; the right ones work.
     */
    @Test
    void deviceIoControlBuffers_absentShortHugeOrNegative() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            DeviceManager dm = bus.usbd().deviceManager();
            bus.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), new LbkUsbDriver(dm));
            bus.attach(LoopbackDevice.fullSpeed());
            FileHandle h = dm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
            ByteBuffer four = ByteBuffer.allocate(4);
            Object[][] bad = {
                {null, 4, four, 4, new int[1]},
                {four, 5, four, 4, new int[1]},
                {four, 4, null, 4, new int[1]},
                {four, 4, ByteBuffer.allocate(3), 4, new int[1]},
                {four, -1, four, 4, new int[1]},
                {four, 4, four, -4, new int[1]},
                {four, Integer.MAX_VALUE, four, 4, new int[1]},
                {four, 4, four, Integer.MIN_VALUE, new int[1]},
                {four, 4, ByteBuffer.allocate(4).asReadOnlyBuffer(), 4, new int[1]},
                {four, 4, four, 4, new int[0]},
            };
            for (Object[] b : bad) {
                int[] returned = (int[]) b[4];
                boolean ok = dm.deviceIoControl(
                        h,
                        IOCTL_LBK_TRANSACT,
                        (ByteBuffer) b[0],
                        (Integer) b[1],
                        (ByteBuffer) b[2],
                        (Integer) b[3],
                        returned,
                        null);
                assertThat(ok).as("TRANSACT %s", Arrays.deepToString(b)).isFalse();
                assertThat(Win32.getLastError())
                        .as("%s", Arrays.deepToString(b))
                        .isEqualTo(ERROR_INVALID_PARAMETER);
            }

            int big = 60 * 1024; // what the loopback queues, nearly: all of it comes back
            ByteBuffer in = ByteBuffer.allocate(big);
            for (int i = 0; i < big; i++) {
                in.put(i, (byte) (i * 31));
            }
            ByteBuffer out = ByteBuffer.allocateDirect(big);
            int[] returned = {-1};
            assertThat(dm.deviceIoControl(h, IOCTL_LBK_TRANSACT, in, big, out, big, returned, null))
                    .as("TRANSACT of %d bytes: %s", big, Win32.errorName(Win32.getLastError()))
                    .isTrue();
            assertThat(returned[0]).isBetween(1, big);
            for (int i = 0; i < returned[0]; i++) {
                assertThat(out.get(i)).as("byte %d", i).isEqualTo((byte) (i * 31));
            }
            assertThat(dm.deviceIoControl(h, IOCTL_LBK_TRANSACT, null, 0, null, 0, returned, null))
                    .as("no buffers at all")
                    .isTrue();
            assertThat(returned[0]).isZero();
            assertThat(dm.deviceIoControl(
                            h, IOCTL_LBK_GET_STATS, null, 0, ByteBuffer.allocate(1 << 20), 1 << 20, null, null))
                    .as("statistics into a buffer far larger than they are, no count asked")
                    .isTrue();
        }
    }
}
