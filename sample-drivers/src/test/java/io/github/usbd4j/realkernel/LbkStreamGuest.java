package io.github.usbd4j.realkernel;

import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;

import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.samples.lbk.LbkDevice;
import io.github.usbd4j.samples.lbk.LbkEcho;
import io.github.usbd4j.samples.lbk.LbkUsbDriver;
import io.github.usbd4j.samples.tool.UsbdTool;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.win32.Win32;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;

/**
 * The guest program of {@link LbkStreamRealKernelIT}: the LBK sample driver on the usb4java backend against
 * the simulated loopback device, which the host serves over USB/IP to the guest kernel. Steps: attach,
 * the LbkEcho application through LBK1:, {@code usbd --backend libusb devfile}, and an unplug (a vhci
 * detach) while a read is pending on an open handle. Reports like {@link GuestMain}.
 */
public final class LbkStreamGuest {
    /** Bytes LbkEcho sends and reads back: several bulk packets, one read. */
    static final int ECHO_BYTES = 3000;

    private LbkStreamGuest() {}

    /**
     * Entry point.
     *
     * @param args none
     */
    public static void main(String[] args) {
        int[] port = {-1};
        boolean ok = GuestMain.run("usbip-attach", r -> {
            port[0] = GuestUsbIp.attach("1-1");
            Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 120_000);
        });
        ok &= GuestMain.run("lbk-echo", LbkStreamGuest::echo);
        ok &= GuestMain.run("lbk-devfile", LbkStreamGuest::devfile);
        ok &= GuestMain.run("lbk-unplug", r -> unplug(r, port[0]));
        GuestMain.exit(ok);
    }

    /** A runtime on the guest's loopback device, for the LBK driver. */
    private static Usbd runtime() {
        return Usbd.builder()
                .backend(LibusbHostController.builder()
                        .device(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID)
                        .pollIntervalMillis(20)
                        .hotplug(false)
                        .build())
                .build();
    }

    private static LbkUsbDriver driver(Usbd usbd) throws InterruptedException {
        LbkUsbDriver driver = new LbkUsbDriver(usbd.deviceManager());
        usbd.registerDriver(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
        // the driver lists a device once USBDeviceAttach is done; LBK1: is active a moment before that
        await("LBK1: loaded", () -> !driver.devices().isEmpty(), 120_000);
        return driver;
    }

    private static void echo(GuestMain.Report r) throws Exception {
        try (Usbd usbd = runtime()) {
            driver(usbd);
            byte[] message = new byte[ECHO_BYTES];
            for (int i = 0; i < message.length; i++) {
                message[i] = (byte) (i * 13 + (i >>> 8));
            }
            LbkEcho.Result res = LbkEcho.echo(usbd.deviceManager(), "LBK1:", message);
            r.info(res.toString());
            if (!res.ok() || !Arrays.equals(res.readBack(), message)) {
                throw new AssertionError("LbkEcho: " + res + ", " + res.readBack().length + " bytes back");
            }
            if (res.stats().deviceBytesOut() != ECHO_BYTES || res.stats().bytesRead() != ECHO_BYTES) {
                throw new AssertionError("statistics " + res.stats());
            }
        }
    }

    private static void devfile(GuestMain.Report r) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] args = {
            "--backend",
            "libusb",
            "devfile",
            "LBK1:",
            "write:hello",
            "read:5",
            "ioctl:transact,in=70696e67,out=8",
            "ioctl:stats"
        };
        int rc = cl.execute(args);
        System.out.println("usbd " + String.join(" ", args) + "\n" + out + err);
        for (String line : out.toString().split("[\r\n]+")) {
            if (line.startsWith("ReadFile") || line.startsWith("DeviceIoControl")) {
                r.info(line);
            }
        }
        if (rc != 0
                || !out.toString().contains("5 read: \"hello\"")
                || !out.toString().contains("4 returned: \"ping\"")) {
            throw new AssertionError(
                    "usbd devfile exited with " + rc + ": " + err.toString().trim());
        }
    }

    /** A read pending on LBK1: when the device leaves the guest kernel: released with an error, then CE's errors. */
    private static void unplug(GuestMain.Report r, int port) throws Exception {
        try (Usbd usbd = runtime()) {
            LbkUsbDriver driver = driver(usbd);
            DeviceManager dm = usbd.deviceManager();
            LbkDevice lbk = driver.devices().get(0);
            FileHandle h = dm.createFile("LBK1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
            if (h == INVALID_HANDLE_VALUE) {
                throw new AssertionError("CreateFile: " + Win32.errorName(Win32.getLastError()));
            }
            CompletableFuture<int[]> read = CompletableFuture.supplyAsync(() -> {
                int[] n = {-1};
                boolean done;
                do { // a read that times out (LBK's ReadTimeout, 4 s) before the detach is read again
                    done = dm.readFile(h, ByteBuffer.allocate(64), 64, n, null);
                } while (done && n[0] == 0);
                return new int[] {done ? 1 : 0, n[0], Win32.getLastError()};
            });
            await("the read waits in the bulk IN pipe", lbk::readPending, 60_000);
            long t0 = System.nanoTime();
            GuestUsbIp.detach(port);
            int[] res = read.get(60, TimeUnit.SECONDS);
            r.info("pending read released " + (System.nanoTime() - t0) / 1_000_000 + " ms after the detach: "
                    + (res[0] == 1 ? "TRUE" : "FALSE, " + Win32.errorName(res[2])));
            if (res[0] != 0 || res[2] != ERROR_DEVICE_NOT_CONNECTED) {
                throw new AssertionError("the pending read returned " + res[0] + " with " + Win32.errorName(res[2]));
            }
            await("the device deactivated and deinitialized", () -> lbk.deinits() == 1, 60_000);
            int[] n = new int[1];
            expect(!dm.readFile(h, ByteBuffer.allocate(1), 1, n, null), ERROR_INVALID_HANDLE_STATE, "ReadFile");
            expect(
                    dm.createFile("LBK1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, null) == INVALID_HANDLE_VALUE,
                    ERROR_DEV_NOT_EXIST,
                    "CreateFile");
            if (!dm.closeHandle(h) || lbk.deinits() != 1 || !dm.activeDevices().isEmpty()) {
                throw new AssertionError(
                        "CloseHandle, or Deinit " + lbk.deinits() + " times, or devices left " + dm.activeDevices());
            }
            r.info("later calls: ERROR_INVALID_HANDLE_STATE, CreateFile ERROR_DEV_NOT_EXIST, LBK_Deinit once");
        }
    }

    private static void expect(boolean failed, int error, String call) {
        if (!failed || Win32.getLastError() != error) {
            throw new AssertionError(
                    call + " after the unplug: " + (failed ? Win32.errorName(Win32.getLastError()) : "succeeded"));
        }
    }

    private static void await(String what, BooleanSupplier done, long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError(what + ": not within " + timeoutMillis + " ms");
            }
            Thread.sleep(10);
        }
    }
}
