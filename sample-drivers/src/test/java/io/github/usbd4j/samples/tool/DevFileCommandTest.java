package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.tool.UsbdToolTest.Run;
import org.junit.jupiter.api.Test;

/** {@code usbd devfile}: a device name exercised as a CE application would, on the simulated bus. */
class DevFileCommandTest {

    private static Run run(String... args) {
        return UsbdToolTest.run(args);
    }

    @Test
    void writeReadAndStatistics_throughLbk1() {
        Run r = run("devfile", "LBK1:", "write:hello", "read:5", "ioctl:stats");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("loaded LBK1: (Drivers\\USB\\ClientDrivers\\LbkLoopback, Drivers\\Active\\01)")
                .contains("CreateFile(\"LBK1:\", GENERIC_READ|GENERIC_WRITE, FILE_SHARE_READ|FILE_SHARE_WRITE,"
                        + " OPEN_EXISTING) = handle")
                .contains("WriteFile(5) = TRUE, 5 written")
                .contains("ReadFile(5) = TRUE, 5 read: \"hello\" 68 65 6c 6c 6f")
                .contains(
                        "DeviceIoControl(IOCTL_LBK_GET_STATS, in 0, out 24) = TRUE, 24 returned: Stats[bytesWritten=5,"
                                + " bytesRead=5, writes=1, reads=1, deviceBytesOut=5, deviceBytesIn=5]")
                .contains("CloseHandle = TRUE");
    }

    @Test
    void ioctl_withBuffersInAndOut_andANumericCode() {
        Run r = run("devfile", "\\$device\\LBK1", "ioctl:transact,in=70696e67,out=8", "ioctl:0x0022FFFC");

        assertThat(r.out())
                .contains("DeviceIoControl(IOCTL_LBK_TRANSACT, in 4, out 8) = TRUE, 4 returned: \"ping\" 70 69 6e 67")
                .contains("DeviceIoControl(0x0022FFFC, in 0, out 0) = FALSE, ERROR_NOT_SUPPORTED (50)");
        assertThat(r.exit()).as("a call failed").isEqualTo(DevFileCommand.CALL_FAILED);
    }

    @Test
    void unplugWithTheHandleOpen_laterCallsFailWithCeErrors() {
        Run r = run("devfile", "LBK1:", "write:x", "unplug", "read:1", "ioctl:stats");

        assertThat(r.exit()).isEqualTo(DevFileCommand.CALL_FAILED);
        assertThat(r.out())
                .contains("unplugged sim:1-1 (the handle stays open)")
                .contains("ReadFile(1) = FALSE, ERROR_INVALID_HANDLE_STATE (1609)")
                .contains(
                        "DeviceIoControl(IOCTL_LBK_GET_STATS, in 0, out 24) = FALSE, ERROR_INVALID_HANDLE_STATE (1609)")
                .contains("CloseHandle = TRUE");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void unplug_pullsTheDeviceTheHandleIsOn_notTheFirstOne() {
        Run r = run("devfile", "--devices", "2", "LBK2:", "write:x", "unplug", "read:1");

        assertThat(r.out())
                .as("LBK2: is the second device plugged")
                .contains("unplugged sim:1-2 (the handle stays open)")
                .contains("ReadFile(1) = FALSE, ERROR_INVALID_HANDLE_STATE (1609)");
        assertThat(r.exit()).isEqualTo(DevFileCommand.CALL_FAILED);

        Run byDeviceName = run("devfile", "--devices", "3", "\\$device\\lbk3", "unplug", "ioctl:stats");
        assertThat(byDeviceName.out())
                .contains("unplugged sim:1-3 (the handle stays open)")
                .contains("= FALSE, ERROR_INVALID_HANDLE_STATE (1609)");

        Run twice = run("devfile", "--devices", "2", "LBK2:", "unplug", "unplug", "read:1");
        assertThat(twice.out())
                .as("then the others, in the order plugged")
                .containsSubsequence("unplugged sim:1-2", "unplugged sim:1-1");
    }

    @Test
    void accessModes_andMissingDevices_areTheDeviceManagersAndTheDriversErrors() {
        Run readOnly = run("devfile", "--access", "r", "LBK1:", "write:x", "seek:0");
        assertThat(readOnly.out())
                .contains("CreateFile(\"LBK1:\", GENERIC_READ, FILE_SHARE_READ|FILE_SHARE_WRITE, OPEN_EXISTING)")
                .contains("WriteFile(1) = FALSE, ERROR_INVALID_ACCESS (12)")
                .contains("SetFilePointer(0, FILE_BEGIN) = INVALID_SET_FILE_POINTER, ERROR_NOT_SUPPORTED (50)");
        assertThat(readOnly.exit()).isEqualTo(DevFileCommand.CALL_FAILED);

        Run query = run("devfile", "--access", "none", "--share", "none", "LBK1:", "ioctl:reset");
        assertThat(query.out())
                .contains("DeviceIoControl(IOCTL_LBK_RESET, in 0, out 0) = FALSE, ERROR_ACCESS_DENIED (5)");

        Run missing = run("devfile", "LBK2:", "read:1");
        assertThat(missing.out()).contains("= INVALID_HANDLE_VALUE, ERROR_DEV_NOT_EXIST (55)");
        assertThat(missing.exit()).isEqualTo(DevFileCommand.CALL_FAILED);

        Run two = run("devfile", "--devices", "2", "LBK2:", "write:2", "read:1");
        assertThat(two.out()).contains("loaded LBK1:").contains("loaded LBK2:").contains("1 read: \"2\"");
        assertThat(two.exit()).isZero();
    }

    @Test
    void badArguments_getOneLineAndExitCode2() {
        String[][] bad = {
            {"devfile", "LBK1:", "frob:1"},
            {"devfile", "LBK1:", "read:-1"},
            {"devfile", "LBK1:", "read:many"},
            {"devfile", "LBK1:", "writehex:0g"},
            {"devfile", "LBK1:", "ioctl:0xZZ"},
            {"devfile", "LBK1:", "ioctl:stats,size=3"},
            {"devfile", "LBK1:", "seek:1,from=middle"},
            {"devfile", "LBK1:", "seek:1,"},
            {"devfile", "LBK1:", "ioctl:stats,"},
            {"devfile", "LBK1:", "unplug", "unplug"},
            {"devfile", "--access", "x", "LBK1:"},
            {"devfile", "--devices", "0", "LBK1:"},
            {"devfile", "--device", "1209:0001", "LBK1:"},
            {"--backend", "libusb", "devfile", "LBK1:", "unplug"},
            {"devfile"}
        };
        for (String[] args : bad) {
            Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().strip().lines()).as(String.join(" ", args)).hasSize(1);
            assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void aBadOperationIsOneLineThatNamesTheBadNumber() {
        Run r = run("devfile", "LBK1:", "read:99999999999");
        UsbdToolTest.assertOneLineError(
                r, 2, "operation 'read:99999999999': not a number, or out of range: '99999999999'");
        assertThat(r.err()).as("the hint once came twice").containsOnlyOnce("see 'usbd devfile --help'");
        assertThat(r.err()).doesNotContain("For input string");

        for (String[] bad : new String[][] {
            {"ioctl:4294967296", "4294967296"}, {"ioctl:-1", "-1"}, {"ioctl:transact,out=x", "x"}, {"seek:", ""}
        }) {
            Run r2 = run("devfile", "LBK1:", bad[0]);
            UsbdToolTest.assertOneLineError(
                    r2, 2, "operation '" + bad[0] + "': not a number, or out of range: '" + bad[1] + "'");
            assertThat(r2.err()).as(bad[0]).doesNotContain("unsigned").doesNotContain("sign");
        }

        Run hex = run("devfile", "LBK1:", "ioctl:0xZZ");
        UsbdToolTest.assertOneLineError(hex, 2, "operation 'ioctl:0xZZ': not a number, or out of range: 'ZZ'");
        assertThat(hex.err()).containsOnlyOnce("see 'usbd devfile --help'");
    }
}
