package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_GET_STATS;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_RESET;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_TRANSACT;
import static io.github.usbd4j.samples.lbk.LbkIoctl.STATS_SIZE;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_INSUFFICIENT_BUFFER;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_ACCESS;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static io.github.usbd4j.win32.Win32.ERROR_SHARING_VIOLATION;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.devmgr.DeviceInformation;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The LBK sample, both edges, on the simulated loopback device (virtual clock): activation from
 * USBDeviceAttach named from the registry values, LBK1: and LBK2:, read and write through the device,
 * control calls with buffers in and out, access and share modes, and an unplug with open handles and a
 * pending read.
 */
class LbkDriverTest {
    private final SimBus bus = new SimBus(UsbSpeed.FULL, 1);
    private final DeviceManager dm = bus.usbd().deviceManager();
    private final LbkUsbDriver driver = new LbkUsbDriver(dm);

    LbkDriverTest() {
        bus.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
    }

    @AfterEach
    void close() {
        bus.close();
        Win32.setLastError(0);
    }

    private FileHandle open(String name, int access, int share) {
        return dm.createFile(name, access, share, null, OPEN_EXISTING, 0, null);
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private String read(FileHandle h, int count) {
        ByteBuffer b = ByteBuffer.allocate(count);
        int[] n = new int[1];
        assertThat(dm.readFile(h, b, count, n, null))
                .as("ReadFile: %s", Win32.errorName(Win32.getLastError()))
                .isTrue();
        return new String(b.array(), 0, n[0], StandardCharsets.US_ASCII);
    }

    private void write(FileHandle h, String s) {
        int[] n = new int[1];
        assertThat(dm.writeFile(h, ascii(s), s.length(), n, null)).isTrue();
        assertThat(n[0]).isEqualTo(s.length());
    }

    @Test
    void usbDeviceAttach_activatesTheStreamSide_namedFromTheRegistry() {
        bus.attach(LoopbackDevice.fullSpeed());

        assertThat(bus.usbd().driversOf(bus.usbd().devices().get(0))).containsExactly(LbkUsbDriver.DRIVER_ID);
        assertThat(dm.activeDevices())
                .singleElement()
                .satisfies(d -> assertThat(d.legacyName()).isEqualTo("LBK1:"))
                .satisfies(d -> assertThat(d.deviceKey()).isEqualTo("Drivers\\USB\\ClientDrivers\\LbkLoopback"));
        ClientRegistryKey key = bus.usbd().funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID);
        assertThat(key.queryString("Prefix")).isEqualTo("LBK");
        assertThat(key.queryString("Dll")).isEqualTo(LbkStream.class.getName());
        assertThat(driver.devices().get(0).activeKey())
                .isEqualTo(dm.activeDevices().get(0).activeKey());
    }

    @Test
    void twoDevices_areLbk1AndLbk2_eachWithItsOwnData() {
        bus.attach(LoopbackDevice.fullSpeed());
        bus.attach(LoopbackDevice.fullSpeed());
        assertThat(dm.activeDevices()).extracting(DeviceInformation::legacyName).containsExactly("LBK1:", "LBK2:");

        FileHandle one = open("LBK1:", GENERIC_READ | GENERIC_WRITE, 0);
        FileHandle two = open("LBK2:", GENERIC_READ | GENERIC_WRITE, 0);
        write(one, "first");
        write(two, "second device");
        assertThat(read(two, 64)).isEqualTo("second device");
        assertThat(read(one, 64)).isEqualTo("first");
    }

    @Test
    void theApplication_echoesThroughTheDevice_andReadsTheStatistics() {
        bus.attach(LoopbackDevice.fullSpeed());
        byte[] message = new byte[1000]; // 16 packets of 64 bytes out, back in one read of 1000
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 7 + 3);
        }

        LbkEcho.Result r = LbkEcho.echo(dm, "LBK1:", message);

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.readBack()).isEqualTo(message);
        assertThat(r.stats()).isEqualTo(new LbkIoctl.Stats(1000, 1000, 1, 1, 1000, 1000));
    }

    @Test
    void deviceIoControl_buffersInAndOut_andTheDriversOwnChecks() {
        bus.attach(LoopbackDevice.fullSpeed());
        FileHandle rw = open("LBK1:", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE);
        FileHandle query = open("LBK1:", 0, FILE_SHARE_READ | FILE_SHARE_WRITE);
        int[] returned = new int[1];

        ByteBuffer out = ByteBuffer.allocate(16).position(3);
        assertThat(dm.deviceIoControl(rw, IOCTL_LBK_TRANSACT, ascii("ping"), 4, out, 13, returned, null))
                .isTrue();
        assertThat(returned[0]).isEqualTo(4);
        assertThat(new String(out.array(), 3, 4, StandardCharsets.US_ASCII)).isEqualTo("ping");

        ByteBuffer stats = ByteBuffer.allocate(STATS_SIZE);
        assertThat(dm.deviceIoControl(query, IOCTL_LBK_GET_STATS, null, 0, stats, STATS_SIZE, returned, null))
                .as("an access-0 handle asks for statistics")
                .isTrue();
        assertThat(returned[0]).isEqualTo(STATS_SIZE);
        assertThat(LbkIoctl.Stats.read(stats, 0)).isEqualTo(new LbkIoctl.Stats(4, 4, 1, 1, 4, 4));

        assertThat(dm.deviceIoControl(query, IOCTL_LBK_GET_STATS, null, 0, stats, STATS_SIZE - 1, returned, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INSUFFICIENT_BUFFER);
        assertThat(dm.deviceIoControl(query, IOCTL_LBK_RESET, null, 0, null, 0, null, null))
                .isFalse();
        assertThat(Win32.getLastError())
                .as("FILE_WRITE_ACCESS, checked by the driver")
                .isEqualTo(ERROR_ACCESS_DENIED);
        assertThat(dm.deviceIoControl(query, IOCTL_LBK_TRANSACT, ascii("x"), 1, out, 1, null, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_ACCESS_DENIED);
        assertThat(dm.deviceIoControl(rw, 0x00220000, null, 0, null, 0, null, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_SUPPORTED);

        assertThat(dm.deviceIoControl(rw, IOCTL_LBK_RESET, null, 0, null, 0, null, null))
                .isTrue();
        assertThat(dm.deviceIoControl(rw, IOCTL_LBK_GET_STATS, null, 0, stats.clear(), STATS_SIZE, returned, null))
                .isTrue();
        assertThat(LbkIoctl.Stats.read(stats, 0)).isEqualTo(new LbkIoctl.Stats(0, 0, 0, 0, 0, 0));
    }

    @Test
    void createFile_accessAndShareModes() {
        bus.attach(LoopbackDevice.fullSpeed());
        FileHandle exclusive = open("LBK1:", GENERIC_READ | GENERIC_WRITE, 0);
        assertThat(exclusive).isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(open("LBK1:", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE))
                .isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_SHARING_VIOLATION);
        FileHandle query = open("LBK1:", 0, 0);
        assertThat(query).as("access 0 conflicts with nothing").isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(dm.closeHandle(exclusive)).isTrue();

        FileHandle reader1 = open("LBK1:", GENERIC_READ, FILE_SHARE_READ);
        FileHandle reader2 = open("LBK1:", GENERIC_READ, FILE_SHARE_READ);
        assertThat(reader1).isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(reader2).isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(open("LBK1:", GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE))
                .as("the readers do not share writing")
                .isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_SHARING_VIOLATION);

        int[] n = new int[1];
        assertThat(dm.writeFile(reader1, ascii("no"), 2, n, null)).isFalse();
        assertThat(Win32.getLastError()).as("the device manager's access check").isEqualTo(ERROR_INVALID_ACCESS);
        assertThat(open("LBK9:", GENERIC_READ, 0)).isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEV_NOT_EXIST);
    }

    @Test
    void unplugWithOpenHandles_releasesThePendingRead_failsLaterCalls_andDeinitsOnce() {
        SimulatedDevice plugged = bus.attach(LoopbackDevice.fullSpeed());
        LbkDevice lbk = driver.devices().get(0);
        FileHandle reader = open("LBK1:", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE);
        FileHandle other = open("LBK1:", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE);
        long unplugAt = bus.frame() + 20;
        bus.sim().scheduleDetach(plugged, unplugAt);

        // nothing to read: the read waits in its bulk IN transfer, running the bus, until the unplug
        int[] n = {-1};
        assertThat(dm.readFile(reader, ByteBuffer.allocate(64), 64, n, null)).isFalse();

        assertThat(Win32.getLastError())
                .as("the driver's error for a read cut by the unplug")
                .isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
        assertThat(n[0]).isZero();
        assertThat(bus.frame()).isBetween(unplugAt, unplugAt + 2);
        assertThat(lbk.isGone()).isTrue();
        assertThat(lbk.deinits())
                .as("Deinit after the pending read left the driver")
                .isEqualTo(1);
        for (FileHandle h : new FileHandle[] {reader, other}) {
            assertThat(dm.readFile(h, ByteBuffer.allocate(4), 4, n, null)).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE_STATE);
            assertThat(dm.deviceIoControl(
                            h, IOCTL_LBK_GET_STATS, null, 0, ByteBuffer.allocate(STATS_SIZE), STATS_SIZE, n, null))
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE_STATE);
        }
        assertThat(open("LBK1:", GENERIC_READ, FILE_SHARE_READ)).isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEV_NOT_EXIST);
        assertThat(dm.closeHandle(reader)).isTrue();
        assertThat(dm.closeHandle(other)).isTrue();
        assertThat(lbk.deinits()).isEqualTo(1);
        assertThat(lbk.openHandles()).as("Deinit released the orphaned opens").isZero();
        assertThat(dm.activeDevices()).isEmpty();

        bus.attach(LoopbackDevice.fullSpeed());
        assertThat(dm.activeDevices()).extracting(DeviceInformation::legacyName).containsExactly("LBK1:");
        assertThat(driver.devices()).hasSize(2);
        FileHandle again = open("LBK1:", GENERIC_READ | GENERIC_WRITE, 0);
        write(again, "back");
        assertThat(read(again, 4)).isEqualTo("back");
    }

    @Test
    void aReadWithNothingToRead_returnsZeroBytesAfterTheReadTimeout() {
        bus.attach(LoopbackDevice.fullSpeed());
        FileHandle h = open("LBK1:", GENERIC_READ | GENERIC_WRITE, 0);
        long start = bus.frame();
        int[] n = {-1};
        assertThat(dm.readFile(h, ByteBuffer.allocate(8), 8, n, null)).isTrue();
        assertThat(n[0]).isZero();
        assertThat(bus.frame() - start).as("the default 4 s, in bus time").isBetween(4000L, 4010L);
        write(h, "late"); // the aborted read took nothing: the next read gets what comes after
        assertThat(read(h, 8)).isEqualTo("late");
    }

    @Test
    void theDeviceKeysReadTimeout_setsHowLongAReadWaits() {
        bus.usbd().funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID).setDword(LbkStream.READ_TIMEOUT_VALNAME, 250);
        bus.attach(LoopbackDevice.fullSpeed());
        FileHandle h = open("LBK1:", GENERIC_READ, 0);
        long start = bus.frame();
        int[] n = {-1};
        assertThat(dm.readFile(h, ByteBuffer.allocate(8), 8, n, null)).isTrue();
        assertThat(n[0]).isZero();
        assertThat(bus.frame() - start).as("ReadTimeout, in bus time").isBetween(250L, 260L);
    }

    /**
     * CloseHandle on another thread can land after a read has checked its handle and before its transfer is in
     * the pipe, so that LBK_PreClose finds nothing to abort (reference page of the device manager,
     * [§D7](reference/ce-devmgr.html#d7): XXX_PreClose must wake the threads in the driver). The read must
     * still fail as aborted, not return 0 bytes as if nothing had come, and at once, not when a timeout ends
     * the transfer. The close is made from inside IssueBulkTransfer, before it submits, which is that
     * interleaving made deterministic.
     */
    @Test
    void aCloseBetweenTheReadsCheckAndItsTransfer_stillAbortsTheRead() {
        Runnable[] beforeIn = {null};
        SimBus other = new SimBus(UsbSpeed.FULL, 1);
        DeviceManager odm = other.usbd().deviceManager();
        LbkUsbDriver hooked = hookedBeforeTheInTransfer(odm, beforeIn);
        try (other) {
            other.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), hooked);
            other.attach(LoopbackDevice.fullSpeed());
            FileHandle h = odm.createFile("LBK1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
            assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);
            boolean[] closed = {false};
            beforeIn[0] = () -> closed[0] = odm.closeHandle(h); // as another thread's CloseHandle would

            int[] n = {-1};
            long start = other.frame();
            boolean ok = odm.readFile(h, ByteBuffer.allocate(8), 8, n, null);

            assertThat(other.frame() - start).as("bus frames the read took").isLessThan(5);
            assertThat(closed[0]).isTrue();
            assertThat(ok).as("the read of a handle closed under it").isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
            assertThat(n[0]).isZero();
            assertThat(hooked.devices().get(0).openHandles())
                    .as("XXX_Close ran when the read left")
                    .isZero();
        }
    }

    /**
     * An unplug that lands there too: USB_CLOSE_DEVICE and LBK_PreDeinit run before the transfer is issued. The
     * read fails as the device gone, at once.
     */
    @Test
    void anUnplugBetweenTheReadsCheckAndItsTransfer_failsTheReadAtOnce() {
        Runnable[] beforeIn = {null};
        SimBus other = new SimBus(UsbSpeed.FULL, 1);
        DeviceManager odm = other.usbd().deviceManager();
        LbkUsbDriver hooked = hookedBeforeTheInTransfer(odm, beforeIn);
        try (other) {
            other.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), hooked);
            SimulatedDevice device = other.attach(LoopbackDevice.fullSpeed());
            FileHandle h = odm.createFile("LBK1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
            beforeIn[0] = () -> other.detach(device);

            int[] n = {-1};
            long start = other.frame();
            boolean ok = odm.readFile(h, ByteBuffer.allocate(8), 8, n, null);

            assertThat(other.frame() - start).as("bus frames the read took").isLessThan(5);
            assertThat(ok).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
            assertThat(hooked.devices().get(0).deinits())
                    .as("LBK_Deinit ran when the read left")
                    .isEqualTo(1);
        }
    }

    /** The same close during DeviceIoControl(IOCTL_LBK_TRANSACT), just before its read's transfer. */
    @Test
    void aCloseDuringATransactJustBeforeItsRead_failsTheControlCallAtOnce() {
        Runnable[] beforeIn = {null};
        SimBus other = new SimBus(UsbSpeed.FULL, 1);
        DeviceManager odm = other.usbd().deviceManager();
        LbkUsbDriver hooked = hookedBeforeTheInTransfer(odm, beforeIn);
        try (other) {
            other.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), hooked);
            other.attach(LoopbackDevice.fullSpeed());
            FileHandle h = odm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
            beforeIn[0] = () -> odm.closeHandle(h);

            long start = other.frame();
            boolean ok =
                    odm.deviceIoControl(h, IOCTL_LBK_TRANSACT, ascii("ping"), 4, ByteBuffer.allocate(8), 8, null, null);

            assertThat(other.frame() - start).as("bus frames the call took").isLessThan(10);
            assertThat(ok).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
        }
    }

    /**
     * On a real-time bus, CloseHandle on another thread while a read waits for data ends the read. Nothing is timed:
     * the read waits INFINITE, so it ends only if the close reaches it; the join's bound only turns a hang into a
     * failure.
     */
    @Test
    void onARealTimeBus_closeHandleFromAnotherThread_endsAWaitingReadAtOnce() throws Exception {
        try (RealTimeLbk bus = new RealTimeLbk()) {
            FileHandle h = bus.dm.createFile("LBK1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
            int[] error = {-1};
            Thread reader = bus.reader(h, error, 0);
            reader.start();
            RealTimeLbk.awaitWall("the read waiting on its event", () -> RealTimeLbk.waitingOnItsEvent(reader));
            assertThat(bus.dm.closeHandle(h)).isTrue();
            reader.join(RealTimeLbk.HANG_GUARD.toMillis());

            assertThat(reader.isAlive())
                    .as("the read, %s after CloseHandle", RealTimeLbk.HANG_GUARD)
                    .isFalse();
            assertThat(error[0]).isEqualTo(ERROR_OPERATION_ABORTED);
        }
    }

    /** An LBK driver whose USB_FUNCS run {@code beforeIn[0]} (once) inside IssueBulkTransfer of the IN pipe. */
    private static LbkUsbDriver hookedBeforeTheInTransfer(DeviceManager odm, Runnable[] beforeIn) {
        HookedLbkDriver.Hook once = HookedLbkDriver.onceBefore("issueBulkTransfer", beforeIn);
        return HookedLbkDriver.create(
                odm,
                (m, args) -> m.getName().equals("issueBulkTransfer") && ((int) args[3] & USB_IN_TRANSFER) != 0
                        ? once.call(m, args)
                        : HookedLbkDriver.PASS);
    }
}
