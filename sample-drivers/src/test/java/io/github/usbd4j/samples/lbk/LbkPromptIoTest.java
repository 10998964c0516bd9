package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
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
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static io.github.usbd4j.win32.Win32.ERROR_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.ControlResponse;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Writes and the vendor control calls of the LBK sample end as promptly as its reads when the handle is closed, the
 * device unplugged or the runtime closed while they wait (reference page of the device manager,
 * [§D6](reference/ce-devmgr.html#d6) and [§D7](reference/ce-devmgr.html#d7): the pre-entry points wake every thread
 * blocked in the driver), from any thread, a transfer callback's included, and report the error of what ended them.
 * A write waits when the device does not take its packets: the device here is the loopback device with a bulk OUT
 * endpoint that NAKs while told to, as a real one does with its buffer full. Bus time, on the virtual clock; before,
 * such a write was a synchronous transfer that waited out USBD's 4 s guard and failed with ERROR_TIMEOUT.
 */
class LbkPromptIoTest {
    private final SimBus bus = new SimBus(UsbSpeed.FULL, 1);
    private final DeviceManager dm = bus.usbd().deviceManager();
    private final LbkUsbDriver driver = new LbkUsbDriver(dm);
    private final NakingLoopback model = new NakingLoopback();

    LbkPromptIoTest() {
        bus.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
    }

    @AfterEach
    void close() {
        bus.close();
        Win32.setLastError(0);
    }

    private FileHandle open() {
        FileHandle h = dm.createFile(
                "LBK1:",
                GENERIC_READ | GENERIC_WRITE,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                null,
                OPEN_EXISTING,
                0,
                null);
        assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);
        return h;
    }

    /** Runs {@code r} in the callback of a vendor request issued now, which completes in the bus's next frame. */
    private void inACallbackSoon(Runnable r) {
        UsbHandle device = bus.usbd().devices().get(0);
        UsbDeviceRequest counters = new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16);
        assertThat(bus.usbd()
                        .funcs()
                        .issueVendorTransfer(
                                device,
                                x -> {
                                    r.run();
                                    return 0;
                                },
                                null,
                                USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK,
                                counters,
                                ByteBuffer.allocate(16),
                                0))
                .isNotNull();
    }

    @Test
    void closeHandleFromACallback_duringAWriteTheDeviceDoesNotTake_failsItAtOnce() {
        bus.attach(model);
        model.refuse = true;
        FileHandle h = open();
        boolean[] closed = {false};
        inACallbackSoon(() -> closed[0] = dm.closeHandle(h));

        int[] n = {-1};
        long start = bus.frame();
        boolean ok = dm.writeFile(h, ByteBuffer.allocate(10), 10, n, null);

        assertThat(bus.frame() - start).as("bus frames the write took").isLessThan(5);
        assertThat(closed[0]).isTrue();
        assertThat(ok).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
        assertThat(n[0]).isZero();
        assertThat(driver.devices().get(0).openHandles())
                .as("XXX_Close ran when the write left")
                .isZero();
        assertThat(driver.devices().get(0).transfersPending()).isZero();
    }

    @Test
    void closeHandleFromACallback_duringATransactsWrite_failsTheControlCallAtOnce() {
        bus.attach(model);
        model.refuse = true;
        FileHandle h = open();
        inACallbackSoon(() -> dm.closeHandle(h));

        long start = bus.frame();
        boolean ok = dm.deviceIoControl(
                h, IOCTL_LBK_TRANSACT, ByteBuffer.allocate(4), 4, ByteBuffer.allocate(8), 8, null, null);

        assertThat(bus.frame() - start).as("bus frames the call took").isLessThan(5);
        assertThat(ok).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
    }

    @Test
    void anUnplug_duringAWriteTheDeviceDoesNotTake_failsItAtTheUnplug() {
        SimulatedDevice plugged = bus.attach(model);
        model.refuse = true;
        FileHandle h = open();
        long unplugAt = bus.frame() + 20;
        bus.sim().scheduleDetach(plugged, unplugAt);

        int[] n = {-1};
        assertThat(dm.writeFile(h, ByteBuffer.allocate(10), 10, n, null)).isFalse();

        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
        assertThat(bus.frame()).isBetween(unplugAt, unplugAt + 2);
        assertThat(driver.devices().get(0).deinits())
                .as("LBK_Deinit ran when the write left")
                .isEqualTo(1);
    }

    /** Usbd.close() in a callback (an application that stops on what a callback saw) while a write waits. */
    @Test
    void closingTheRuntimeFromACallback_duringAWrite_failsItAtOnce() {
        bus.attach(model);
        model.refuse = true;
        FileHandle h = open();
        inACallbackSoon(() -> bus.usbd().close());

        int[] n = {-1};
        long start = bus.frame();
        boolean ok = dm.writeFile(h, ByteBuffer.allocate(10), 10, n, null);

        assertThat(bus.frame() - start).as("bus frames the write took").isLessThan(5);
        assertThat(ok).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
        assertThat(driver.devices().get(0).deinits()).isEqualTo(1);
        assertThat(dm.activeDevices()).isEmpty();
    }

    @Test
    void aWriteTheDeviceDoesNotTake_failsWithErrorTimeout_afterTheDeviceKeysWriteTimeout() {
        bus.usbd().funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID).setDword(LbkStream.WRITE_TIMEOUT_VALNAME, 250);
        bus.attach(model);
        model.refuse = true;
        FileHandle h = open();

        int[] n = {-1};
        long start = bus.frame();
        assertThat(dm.writeFile(h, ByteBuffer.allocate(10), 10, n, null)).isFalse();

        assertThat(Win32.getLastError()).isEqualTo(ERROR_TIMEOUT);
        assertThat(bus.frame() - start).as("WriteTimeout, in bus time").isBetween(250L, 260L);
        assertThat(n[0]).isZero();
    }

    /** What the device took before the timeout is reported, not lost: a short write, as a serial port's. */
    @Test
    void aWriteTheDeviceTakesPartly_returnsTheBytesItTook() {
        bus.usbd().funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID).setDword(LbkStream.WRITE_TIMEOUT_VALNAME, 50);
        bus.attach(model);
        model.packetsLeft.set(2); // two 64-byte packets, then NAK
        FileHandle h = open();

        int[] n = {-1};
        assertThat(dm.writeFile(h, ByteBuffer.allocate(200), 200, n, null)).isTrue();
        assertThat(n[0]).isEqualTo(128);

        model.packetsLeft.set(Integer.MAX_VALUE);
        ByteBuffer back = ByteBuffer.allocate(200);
        assertThat(dm.readFile(h, back, 200, n, null)).isTrue();
        assertThat(n[0]).as("the bytes the write reported came back").isEqualTo(128);
        ByteBuffer stats = ByteBuffer.allocate(STATS_SIZE);
        assertThat(dm.deviceIoControl(h, IOCTL_LBK_GET_STATS, null, 0, stats, STATS_SIZE, null, null))
                .isTrue();
        assertThat(LbkIoctl.Stats.read(stats, 0)).isEqualTo(new LbkIoctl.Stats(128, 128, 1, 1, 128, 128));
    }

    @Test
    void closeHandleFromACallback_duringARead_failsItAtOnce() {
        bus.attach(model);
        FileHandle h = open();
        inACallbackSoon(() -> dm.closeHandle(h));

        long start = bus.frame();
        boolean ok = dm.readFile(h, ByteBuffer.allocate(8), 8, new int[1], null);

        assertThat(bus.frame() - start).as("bus frames the read took").isLessThan(5);
        assertThat(ok).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
    }

    /**
     * A close that lands just before a vendor request of DeviceIoControl is issued (CloseHandle on another thread,
     * made deterministic from inside IssueVendorTransfer) fails the call as aborted, as it does a read; before, the
     * request went out as a synchronous transfer that no close could reach.
     */
    @Test
    void aCloseJustBeforeAControlCallsRequest_failsTheCall() {
        Runnable[] beforeVendor = {null};
        try (SimBus other = new SimBus(UsbSpeed.FULL, 1)) {
            DeviceManager odm = other.usbd().deviceManager();
            LbkUsbDriver hooked = hookedBeforeVendorRequests(odm, beforeVendor);
            other.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), hooked);
            other.attach(LoopbackDevice.fullSpeed());
            for (int code : new int[] {IOCTL_LBK_GET_STATS, IOCTL_LBK_RESET}) {
                FileHandle h = odm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
                assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);
                beforeVendor[0] = () -> odm.closeHandle(h);

                boolean ok = odm.deviceIoControl(
                        h, code, null, 0, ByteBuffer.allocate(STATS_SIZE), STATS_SIZE, new int[1], null);

                assertThat(ok)
                        .as("IOCTL 0x%08x on a handle closed under it", code)
                        .isFalse();
                assertThat(Win32.getLastError()).isEqualTo(ERROR_OPERATION_ABORTED);
            }
            assertThat(hooked.devices().get(0).openHandles()).isZero();
        }
    }

    /** And an unplug that lands there fails it as the device gone. */
    @Test
    void anUnplugJustBeforeAControlCallsRequest_failsTheCall() {
        Runnable[] beforeVendor = {null};
        try (SimBus other = new SimBus(UsbSpeed.FULL, 1)) {
            DeviceManager odm = other.usbd().deviceManager();
            LbkUsbDriver hooked = hookedBeforeVendorRequests(odm, beforeVendor);
            other.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), hooked);
            SimulatedDevice device = other.attach(LoopbackDevice.fullSpeed());
            FileHandle h = odm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
            beforeVendor[0] = () -> other.detach(device);

            boolean ok = odm.deviceIoControl(
                    h, IOCTL_LBK_GET_STATS, null, 0, ByteBuffer.allocate(STATS_SIZE), STATS_SIZE, new int[1], null);

            assertThat(ok).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
            assertThat(hooked.devices().get(0).deinits()).isEqualTo(1);
        }
    }

    /**
     * USBD cancels the transfers of an unplugged device before its USB_CLOSE_DEVICE notification reaches the driver
     * ([§D6](reference/ce-devmgr.html#d6)); on a real-time bus the woken read can look before the notification has
     * marked the device gone. A transfer the call did not abort itself is the device leaving, whatever the flags say
     * yet: the read fails with ERROR_DEVICE_NOT_CONNECTED, where it returned 0 bytes as if its timeout had passed.
     * Made deterministic by a driver that never hears the notification.
     */
    @Test
    void aReadWhoseTransferUsbdCancelled_beforeTheDriverKnowsTheDeviceLeft_failsAsTheDeviceGone() {
        try (SimBus other = new SimBus(UsbSpeed.FULL, 1)) {
            DeviceManager odm = other.usbd().deviceManager();
            LbkUsbDriver deaf = HookedLbkDriver.create(
                    odm,
                    (m, args) -> m.getName().equals("registerNotificationRoutine")
                            ? (Object) true // never told of the unplug
                            : HookedLbkDriver.PASS);
            other.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), deaf);
            SimulatedDevice device = other.attach(LoopbackDevice.fullSpeed());
            FileHandle h = odm.createFile("LBK1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
            long unplugAt = other.frame() + 20;
            other.sim().scheduleDetach(device, unplugAt);

            int[] n = {-1};
            boolean ok = odm.readFile(h, ByteBuffer.allocate(8), 8, n, null);

            assertThat(ok).as("a read cut by the unplug").isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
            assertThat(other.frame()).isBetween(unplugAt, unplugAt + 2);
            assertThat(deaf.devices().get(0).isGone())
                    .as("the driver was never told")
                    .isFalse();
        }
    }

    /**
     * Two handles reading at once on a real-time bus: CloseHandle of the second ends its read, although the first read
     * still waits for data. The driver serialized reads with a lock, and the second read waited for it, out of reach
     * of its LBK_PreClose, until the first ended. Nothing is timed: the reads wait INFINITE, so the second read ends
     * only if its close reaches it, and the first still waits; {@link RealTimeLbk#HANG_GUARD} only turns a hang into a failure.
     */
    @Test
    void onARealTimeBus_closingOneOfTwoWaitingReaders_endsItsReadAtOnce() throws Exception {
        try (RealTimeLbk bus = new RealTimeLbk()) {
            DeviceManager rdm = bus.dm;
            LbkDevice lbk = bus.device();
            FileHandle first = rdm.createFile("LBK1:", GENERIC_READ, FILE_SHARE_READ, null, OPEN_EXISTING, 0, null);
            FileHandle second = rdm.createFile("LBK1:", GENERIC_READ, FILE_SHARE_READ, null, OPEN_EXISTING, 0, null);
            int[] errors = {-1, -1};
            Thread one = bus.reader(first, errors, 0);
            one.start();
            RealTimeLbk.awaitWall("the first read pending", () -> lbk.transfersPending() == 1);
            Thread two = bus.reader(second, errors, 1);
            two.start();
            RealTimeLbk.awaitWall("the second read pending beside the first", () -> lbk.transfersPending() == 2);
            RealTimeLbk.awaitWall("the second read waiting on its event", () -> RealTimeLbk.waitingOnItsEvent(two));
            assertThat(rdm.closeHandle(second)).isTrue();
            two.join(RealTimeLbk.HANG_GUARD.toMillis());

            assertThat(two.isAlive())
                    .as("the second read, %s after its CloseHandle", RealTimeLbk.HANG_GUARD)
                    .isFalse();
            assertThat(errors[1]).isEqualTo(ERROR_OPERATION_ABORTED);
            assertThat(one.isAlive()).as("the first read still waits").isTrue();
            assertThat(lbk.transfersPending()).as("the first read's transfer").isEqualTo(1);
            assertThat(rdm.closeHandle(first)).isTrue();
            one.join(RealTimeLbk.HANG_GUARD.toMillis());
            assertThat(one.isAlive()).as("the first read after its CloseHandle").isFalse();
            assertThat(errors[0]).isEqualTo(ERROR_OPERATION_ABORTED);
        }
    }

    /** An LBK driver whose USB_FUNCS run {@code before[0]} (once) inside IssueVendorTransfer. */
    static LbkUsbDriver hookedBeforeVendorRequests(DeviceManager odm, Runnable[] before) {
        return HookedLbkDriver.create(odm, HookedLbkDriver.onceBefore("issueVendorTransfer", before));
    }

    /**
     * The loopback device, full speed, whose bulk OUT endpoint NAKs while {@link #refuse} is set or its packet budget
     * is spent, as a device with its buffer full does.
     */
    static final class NakingLoopback extends DeviceModel {
        private final LoopbackDevice loopback = LoopbackDevice.fullSpeed();
        volatile boolean refuse;
        final AtomicInteger packetsLeft = new AtomicInteger(Integer.MAX_VALUE);

        @Override
        public UsbSpeed speed() {
            return loopback.speed();
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return loopback.deviceDescriptor();
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return loopback.configurationDescriptors();
        }

        @Override
        public String string(int index) {
            return loopback.string(index);
        }

        @Override
        public ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
            return loopback.control(setup, dataOut);
        }

        @Override
        public EndpointHandler endpoint(int address) {
            EndpointHandler h = loopback.endpoint(address);
            if (address != 0x02 || h == null) {
                return h;
            }
            return new EndpointHandler() {
                @Override
                public boolean acceptsOut(long frame, int microframe, int length) {
                    return !refuse && packetsLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
                }

                @Override
                public void out(long frame, int microframe, ByteBuffer data) {
                    h.out(frame, microframe, data);
                }
            };
        }
    }
}
