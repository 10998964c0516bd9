package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.WinBase.CREATE_ALWAYS;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_CURRENT;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_ALWAYS;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_DEVICE_UNKNOWN;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_WRITE_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.METHOD_BUFFERED;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.METHOD_OUT_DIRECT;
import static io.github.usbd4j.devmgr.DeviceManagerFixture.MARK;
import static io.github.usbd4j.devmgr.DeviceManagerFixture.markLastError;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_FILE_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_GEN_FAILURE;
import static io.github.usbd4j.win32.Win32.ERROR_INSUFFICIENT_BUFFER;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_ACCESS;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPEN_FAILED;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.ce.devmgr.WinIoCtl;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The application side (reference page of the device manager, §D5): CreateFile with access and share
 * modes, ReadFile and WriteFile with their buffers, SetFilePointer, DeviceIoControl with buffers in and out,
 * CloseHandle; bad arguments answered with CE's errors, never an exception.
 */
class DeviceFilesTest {
    /** CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS). */
    static final int IOCTL_REVERSE = WinIoCtl.ctlCode(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, 0);

    private final DeviceManagerFixture f = new DeviceManagerFixture();
    private final Probe p = new Probe();

    @BeforeEach
    void activate() {
        assertThat(f.dm.activateDeviceEx(f.deviceKey("Tst", Probe.PreDriver.class, "TST"), null, 0, p))
                .isNotNull();
    }

    @AfterEach
    void close() {
        f.close();
    }

    private FileHandle open(int access, int share) {
        return f.dm.createFile("TST1:", access, share, null, OPEN_EXISTING, 0, null);
    }

    @Test
    void createFile_passesAccessAndShareToOpen_andDoesNotEnforceSharing() {
        FileHandle exclusive = open(GENERIC_READ | GENERIC_WRITE, 0);
        FileHandle second = f.dm.createFile("tst1:", GENERIC_READ, FILE_SHARE_READ, null, OPEN_ALWAYS, 0x80, null);

        assertThat(exclusive).isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(second).as("sharing is the driver's to refuse").isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(p.events()).contains("Open c0000000 0", "Open 80000000 1");
    }

    @Test
    void createFile_failures() {
        markLastError();
        assertThat(f.dm.createFile("TST2:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null))
                .isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEV_NOT_EXIST);
        assertThat(f.dm.createFile("\\Windows\\file.txt", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null))
                .isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).as("no file system").isEqualTo(ERROR_FILE_NOT_FOUND);
        assertThat(f.dm.createFile("TST1", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null))
                .isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).as("a legacy name needs its colon").isEqualTo(ERROR_FILE_NOT_FOUND);
        for (Object[] bad : new Object[][] {
            {null, null, OPEN_EXISTING, null},
            {"TST1:", new Object(), OPEN_EXISTING, null},
            {"TST1:", null, CREATE_ALWAYS, null},
            {"TST1:", null, OPEN_EXISTING, new Object()}
        }) {
            Win32.setLastError(0);
            assertThat(f.dm.createFile((String) bad[0], GENERIC_READ, 0, bad[1], (Integer) bad[2], 0, bad[3]))
                    .isEqualTo(INVALID_HANDLE_VALUE);
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        }

        p.openError = ERROR_ACCESS_DENIED;
        assertThat(open(GENERIC_READ, 0)).isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).as("XXX_Open's error").isEqualTo(ERROR_ACCESS_DENIED);
        p.openError = -1;
        assertThat(open(GENERIC_READ, 0)).isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).as("XXX_Open set none").isEqualTo(ERROR_OPEN_FAILED);
        p.openError = 0;
        p.throwOpen = true;
        assertThat(open(GENERIC_READ, 0)).isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).as("an exception in XXX_Open").isEqualTo(ERROR_INVALID_PARAMETER);
    }

    @Test
    void readAndWrite_gothroughTheCallersBuffers_atTheirPositions() {
        FileHandle h = open(GENERIC_READ | GENERIC_WRITE, 0);
        ByteBuffer in = ByteBuffer.allocate(16).position(4);
        int[] n = {-1};
        markLastError();

        assertThat(f.dm.readFile(h, in, 5, n, null)).isTrue();
        assertThat(n[0]).isEqualTo(5);
        assertThat(in.position()).as("the position does not move").isEqualTo(4);
        assertThat(new String(in.array(), 4, 5, StandardCharsets.ISO_8859_1)).isEqualTo("abcde");
        assertThat(in.get(3)).isZero();
        assertThat(in.get(9)).as("nothing past the count").isZero();

        ByteBuffer out = ByteBuffer.allocateDirect(10).put("xxhelloyy".getBytes(StandardCharsets.ISO_8859_1));
        out.position(2);
        assertThat(f.dm.writeFile(h, out, 5, n, null)).isTrue();
        assertThat(n[0]).isEqualTo(5);
        assertThat(p.events()).contains("Write hello");
        assertThat(f.dm.writeFile(
                        h,
                        ByteBuffer.wrap("ro".getBytes(StandardCharsets.ISO_8859_1))
                                .asReadOnlyBuffer(),
                        2,
                        n,
                        null))
                .as("a read-only buffer to write from")
                .isTrue();
        assertThat(Win32.getLastError()).isEqualTo(MARK);
    }

    @Test
    void readAndWrite_needTheHandlesAccess() {
        FileHandle readOnly = open(GENERIC_READ, 0);
        FileHandle writeOnly = open(GENERIC_WRITE, 0);
        FileHandle query = open(0, 0);
        int[] n = {7};

        assertThat(f.dm.writeFile(readOnly, ByteBuffer.allocate(4), 4, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_ACCESS);
        assertThat(n[0]).isZero();
        assertThat(f.dm.readFile(writeOnly, ByteBuffer.allocate(4), 4, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_ACCESS);
        assertThat(f.dm.readFile(query, ByteBuffer.allocate(4), 4, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_ACCESS);
        assertThat(p.events()).noneMatch(e -> e.startsWith("Read") || e.startsWith("Write"));

        ByteBuffer out = ByteBuffer.allocate(4);
        assertThat(f.dm.deviceIoControl(query, IOCTL_REVERSE, ByteBuffer.wrap(new byte[] {1, 2}), 2, out, 4, n, null))
                .as("an access-0 handle still controls")
                .isTrue();
        int writeCode = WinIoCtl.ctlCode(FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, FILE_WRITE_ACCESS);
        assertThat(f.dm.deviceIoControl(readOnly, writeCode, null, 0, null, 0, null, null))
                .as("CE does not check an IOCTL's access bits: the driver may")
                .isTrue();
        assertThat(p.events()).contains("IOControl " + Integer.toHexString(writeCode) + " 0 0");
    }

    @Test
    void ioControl_buffersInAndOut() {
        FileHandle h = open(GENERIC_READ | GENERIC_WRITE, 0);
        ByteBuffer in = ByteBuffer.wrap(new byte[] {9, 1, 2, 3, 9}).position(1);
        ByteBuffer out = ByteBuffer.allocate(8).position(2);
        int[] returned = {-1};
        markLastError();

        assertThat(f.dm.deviceIoControl(h, IOCTL_REVERSE, in, 3, out, 5, returned, null))
                .isTrue();

        assertThat(returned[0]).isEqualTo(3);
        assertThat(out.array()).containsExactly(0, 0, 3, 2, 1, 0, 0, 0);
        assertThat(in.position()).isEqualTo(1);
        assertThat(out.position()).isEqualTo(2);
        assertThat(Win32.getLastError()).isEqualTo(MARK);

        assertThat(f.dm.deviceIoControl(h, IOCTL_REVERSE, in, 3, out, 2, returned, null))
                .isFalse();
        assertThat(Win32.getLastError()).as("the driver's error").isEqualTo(ERROR_INSUFFICIENT_BUFFER);
        assertThat(returned[0]).isZero();
        assertThat(f.dm.deviceIoControl(h, IOCTL_REVERSE, null, 0, null, 0, null, null))
                .isTrue();
    }

    @Test
    void badBuffersAndCounts_areInvalidParameter() {
        FileHandle h = open(GENERIC_READ | GENERIC_WRITE, 0);
        ByteBuffer small = ByteBuffer.allocate(4);
        int[] n = new int[1];
        Object[][] calls = {
            {"read past the buffer", f.dm.readFile(h, small, 5, n, null)},
            {"read into nothing", f.dm.readFile(h, null, 1, n, null)},
            {"negative count", f.dm.readFile(h, small, -1, n, null)},
            {"no count out", f.dm.readFile(h, small, 1, null, null)},
            {"empty count out", f.dm.readFile(h, small, 1, new int[0], null)},
            {"read into read-only", f.dm.readFile(h, small.asReadOnlyBuffer(), 1, n, null)},
            {"write past the buffer", f.dm.writeFile(h, small, 9, n, null)},
            {"ioctl in past the buffer", f.dm.deviceIoControl(h, IOCTL_REVERSE, small, 5, null, 0, null, null)},
            {"ioctl out into nothing", f.dm.deviceIoControl(h, IOCTL_REVERSE, null, 0, null, 3, null, null)},
            {
                "ioctl out read-only",
                f.dm.deviceIoControl(h, IOCTL_REVERSE, null, 0, small.asReadOnlyBuffer(), 1, null, null)
            },
            {"ioctl negative size", f.dm.deviceIoControl(h, IOCTL_REVERSE, small, -2, null, 0, null, null)},
            {"ioctl empty returned", f.dm.deviceIoControl(h, IOCTL_REVERSE, null, 0, null, 0, new int[0], null)}
        };
        for (Object[] c : calls) {
            assertThat((Boolean) c[1]).as((String) c[0]).isFalse();
        }
        // each call set the error; check them one by one
        assertThat(f.dm.readFile(h, small, 5, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(f.dm.deviceIoControl(h, IOCTL_REVERSE, null, 0, null, 3, null, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(f.dm.readFile(h, small, 1, n, new Object())).isFalse();
        assertThat(Win32.getLastError()).as("no overlapped I/O").isEqualTo(ERROR_NOT_SUPPORTED);
        assertThat(p.events()).noneMatch(e -> e.startsWith("Read") || e.startsWith("IOControl"));
    }

    @Test
    void zeroByteCalls_takeAnyBufferOrNone() {
        FileHandle h = open(GENERIC_READ | GENERIC_WRITE, 0);
        int[] n = {9};
        assertThat(f.dm.readFile(h, null, 0, n, null)).isTrue();
        assertThat(n[0]).isZero();
        assertThat(f.dm.readFile(h, ByteBuffer.allocate(2).asReadOnlyBuffer(), 0, n, null))
                .as("nothing is written into a read-only buffer of 0 bytes")
                .isTrue();
        ByteBuffer readOnly = ByteBuffer.allocate(4).asReadOnlyBuffer();
        assertThat(f.dm.deviceIoControl(h, IOCTL_REVERSE, readOnly, 0, readOnly, 0, n, null))
                .isTrue();
        assertThat(p.events()).contains("Read 0", "IOControl " + Integer.toHexString(IOCTL_REVERSE) + " 0 0");
    }

    @Test
    void driverFailures_reachTheApplication() {
        FileHandle h = open(GENERIC_READ | GENERIC_WRITE, 0);
        int[] n = {5};
        p.readResult = -1; // fails without setting an error
        assertThat(f.dm.readFile(h, ByteBuffer.allocate(4), 4, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);
        assertThat(n[0]).isZero();
        p.readResult = 99; // more than asked
        assertThat(f.dm.readFile(h, ByteBuffer.allocate(4), 4, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);
        p.readResult = null;
        p.throwRead = true;
        assertThat(f.dm.readFile(h, ByteBuffer.allocate(4), 4, n, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        p.throwRead = false;
        assertThat(f.dm.readFile(h, ByteBuffer.allocate(4), 0, n, null))
                .as("zero bytes")
                .isTrue();
        assertThat(n[0]).isZero();
    }

    @Test
    void setFilePointer_passesAmountAndMethod_andAMissingSeekIsNotSupported() {
        FileHandle h = open(GENERIC_READ, 0);
        assertThat(f.dm.setFilePointer(h, 17, new int[] {5}, FILE_CURRENT)).isEqualTo(1017);
        assertThat(p.events()).contains("Seek 17 1");

        assertThat(f.dm.activateDeviceEx(f.deviceKey("Ro", Probe.ReadOnlyDriver.class, "ROD"), null, 0, new Probe()))
                .isNotNull();
        FileHandle ro = f.dm.createFile("ROD1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
        assertThat(f.dm.setFilePointer(ro, 0, null, 0)).isEqualTo(INVALID_SET_FILE_POINTER);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_SUPPORTED);
        assertThat(f.dm.writeFile(ro, ByteBuffer.allocate(1), 1, new int[1], null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_SUPPORTED);
        assertThat(f.dm.deviceIoControl(ro, IOCTL_REVERSE, null, 0, null, 0, null, null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_SUPPORTED);
    }

    @Test
    void closeHandle_closesOnce_andTheHandleIsInvalidAfterwards() {
        FileHandle h = open(GENERIC_READ | GENERIC_WRITE, 0);
        markLastError();
        assertThat(f.dm.closeHandle(h)).isTrue();
        assertThat(Win32.getLastError()).isEqualTo(MARK);
        assertThat(p.events()).endsWith("PreClose", "Close");

        assertThat(f.dm.closeHandle(h)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(f.dm.readFile(h, ByteBuffer.allocate(1), 1, new int[1], null))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(f.dm.setFilePointer(h, 0, null, 0)).isEqualTo(INVALID_SET_FILE_POINTER);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(p.events().stream().filter("Close"::equals)).hasSize(1);

        for (FileHandle bad : new FileHandle[] {null, INVALID_HANDLE_VALUE, new FileHandle() {}}) {
            Win32.setLastError(0);
            assertThat(f.dm.closeHandle(bad)).isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
            assertThat(f.dm.writeFile(bad, ByteBuffer.allocate(1), 1, new int[1], null))
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
            assertThat(f.dm.deviceIoControl(bad, IOCTL_REVERSE, null, 0, null, 0, null, null))
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        }

        try (DeviceManagerFixture other = new DeviceManagerFixture()) {
            FileHandle mine = open(GENERIC_READ, 0);
            assertThat(other.dm.closeHandle(mine))
                    .as("a handle of another device manager")
                    .isFalse();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        }
    }
}
