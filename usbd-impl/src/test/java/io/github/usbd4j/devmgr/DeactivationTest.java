package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DeactivateDevice with open handles and threads in the driver (reference page of the device manager,
 * [§D6](reference/ce-devmgr.html#d6)): the pending read is released by XXX_PreDeinit with the driver's error, later calls fail with
 * ERROR_INVALID_HANDLE_STATE, the name no longer opens, XXX_Deinit runs once after the last thread has left,
 * and the handles close without reaching the driver. Threads are coordinated with latches, never sleeps.
 */
class DeactivationTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    /** A read on {@code h} on another thread, which blocks in the driver; returns its result and error. */
    private CompletableFuture<int[]> blockedRead(FileHandle h, Probe p) throws InterruptedException {
        p.blockReads = true;
        CompletableFuture<int[]> read = CompletableFuture.supplyAsync(() -> {
            int[] n = {-1};
            boolean ok = f.dm.readFile(h, ByteBuffer.allocate(8), 8, n, null);
            return new int[] {ok ? 1 : 0, n[0], Win32.getLastError()};
        });
        assertThat(p.readEntered.await(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                .as("the read is in the driver")
                .isTrue();
        return read;
    }

    private ActivationHandle activate(Class<?> driver, Probe p) {
        ActivationHandle h = f.dm.activateDeviceEx(f.deviceKey("Unplug", driver, "UNP"), null, 0, p);
        assertThat(h).isNotNull();
        return h;
    }

    private FileHandle open() {
        FileHandle h = f.dm.createFile("UNP1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
        assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);
        return h;
    }

    @Test
    void unplugWithOpenHandles_releasesThePendingRead_failsLaterCalls_deinitsOnceAfterTheLastThread() throws Exception {
        Probe p = new Probe();
        ActivationHandle device = activate(Probe.PreDriver.class, p);
        FileHandle reader = open();
        FileHandle idle = open();
        CompletableFuture<int[]> read = blockedRead(reader, p);

        assertThat(f.dm.deactivateDevice(device)).isTrue();

        int[] r = read.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        assertThat(r[0]).as("ReadFile failed").isZero();
        assertThat(r[1]).isZero();
        assertThat(r[2]).as("the driver's error").isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
        assertThat(p.events())
                .containsSubsequence("Read 8", "PreDeinit", "Read woken", "Deinit")
                .filteredOn("Deinit"::equals)
                .hasSize(1);
        assertThat(p.deinitWithThreadsInside)
                .as("Deinit waited for the read to leave")
                .isFalse();

        int[] n = {3};
        for (FileHandle h : new FileHandle[] {reader, idle}) {
            assertThat(f.dm.readFile(h, ByteBuffer.allocate(1), 1, n, null)).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE_STATE);
            assertThat(f.dm.writeFile(h, ByteBuffer.allocate(1), 1, n, null)).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE_STATE);
            assertThat(f.dm.deviceIoControl(h, 0x222000, null, 0, null, 0, null, null))
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE_STATE);
            assertThat(f.dm.setFilePointer(h, 0, null, 0)).isEqualTo(INVALID_SET_FILE_POINTER);
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE_STATE);
        }
        assertThat(f.dm.createFile("UNP1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null))
                .isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEV_NOT_EXIST);

        assertThat(f.dm.closeHandle(reader)).isTrue();
        assertThat(f.dm.closeHandle(idle)).isTrue();
        assertThat(p.events()).as("no entry point after Deinit").last().isEqualTo("Deinit");
        assertThat(p.deinits).hasValue(1);
        assertThat(f.dm.activeDevices()).isEmpty();
        assertThat(f.dm.regOpenKeyEx(p.activeKey)).isNull();
    }

    @Test
    void deactivationWithNoThreadInside_deinitsBeforeItReturns() {
        Probe p = new Probe();
        ActivationHandle device = activate(Probe.PreDriver.class, p);
        FileHandle h = open();

        assertThat(f.dm.deactivateDevice(device)).isTrue();

        assertThat(p.events()).endsWith("PreDeinit", "Deinit");
        assertThat(f.dm.closeHandle(h)).isTrue();
        assertThat(p.events())
                .as("CloseHandle after deactivation does not reach the driver")
                .endsWith("Deinit");
    }

    @Test
    void withoutPreDeinit_deinitRunsAtOnce_evenWithAThreadInside() throws Exception {
        Probe p = new Probe();
        ActivationHandle device = activate(Probe.PlainDriver.class, p);
        FileHandle h = open();
        CompletableFuture<int[]> read = blockedRead(h, p);

        assertThat(f.dm.deactivateDevice(device)).isTrue();

        assertThat(p.deinitWithThreadsInside).as("CE calls XXX_Deinit at once").isTrue();
        int[] r = read.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        assertThat(r[2]).isEqualTo(ERROR_DEVICE_NOT_CONNECTED);
        assertThat(p.deinits).as("and only once").hasValue(1);
        assertThat(f.dm.closeHandle(h)).isTrue();
        assertThat(f.dm.activeDevices()).isEmpty();
    }

    @Test
    void closeHandle_preCloseWakesTheRead_andCloseWaitsForIt() throws Exception {
        Probe p = new Probe();
        activate(Probe.PreDriver.class, p);
        FileHandle h = open();
        CompletableFuture<int[]> read = blockedRead(h, p);

        assertThat(f.dm.closeHandle(h)).isTrue();

        int[] r = read.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        assertThat(r[2]).isEqualTo(ERROR_OPERATION_ABORTED);
        assertThat(p.events()).containsSubsequence("PreClose", "Read woken", "Close");
        assertThat(p.events()).filteredOn("Close"::equals).hasSize(1);
    }

    @Test
    void closeHandle_withoutPreClose_closesAtOnce() throws Exception {
        Probe p = new Probe();
        activate(Probe.PlainDriver.class, p);
        FileHandle h = open();
        CompletableFuture<int[]> read = blockedRead(h, p);

        assertThat(f.dm.closeHandle(h)).isTrue();

        assertThat(p.events()).contains("Close");
        int[] r = read.get(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        assertThat(r[2]).as("XXX_Close woke it").isEqualTo(ERROR_OPERATION_ABORTED);
        assertThat(p.events()).filteredOn("Close"::equals).hasSize(1);
    }

    @Test
    void aDriverThreadDeactivatingItsOwnDevice_getsDeinitAfterItReturns() {
        Probe p = new Probe();
        ActivationHandle device = activate(Probe.PreDriver.class, p);
        FileHandle h = open();
        p.onIoControl = probe -> {
            assertThat(f.dm.deactivateDevice(device)).isTrue();
            probe.event("deactivated from inside");
        };

        assertThat(f.dm.deviceIoControl(h, 0x222000, null, 0, null, 0, null, null))
                .isTrue();

        assertThat(p.events()).containsSubsequence("PreDeinit", "deactivated from inside", "Deinit");
        assertThat(p.deinitWithThreadsInside).isFalse();
        assertThat(f.dm.closeHandle(h)).isTrue();
    }

    @Test
    void closingTheRuntime_deactivatesWhatIsLeft() {
        Probe p = new Probe();
        activate(Probe.PreDriver.class, p);
        open();
        f.usbd.close();
        assertThat(p.events()).endsWith("PreDeinit", "Deinit");
    }
}
