package io.github.usbd4j.realkernel;

import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.samples.tool.UsbdTool;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The guest program of {@link CaptureRealKernelIT}: the guest kernel's own usbmon captures the xHCI bus
 * while the {@code usbd} tool streams to QEMU's usb-audio with {@code --backend libusb --capture}.
 *
 * <p>Steps: load usbmon and start reading {@code /dev/usbmon0} (its binary interface: each read returns one
 * event, a 48-byte header and its data) into a classic pcap file of link type 189; unbind and rebind the
 * xHCI controller so that the capture holds the device's whole enumeration; set usb-audio's volume (class
 * requests); run {@code usbd stream} to the device with {@code --capture}; stop reading.
 *
 * <p>Arguments: the raw PCM to stream, our capture's path, the usbmon capture's path.
 */
public final class CaptureGuest {
    static final String AUDIO = "46f4:0002";

    private CaptureGuest() {}

    /**
     * Entry point.
     *
     * @param args stream.raw, ours.pcapng, usbmon.pcap
     */
    public static void main(String[] args) {
        String raw = args[0];
        String ours = args[1];
        Path usbmonFile = Path.of(args[2]);
        UsbmonReader[] reader = new UsbmonReader[1];
        boolean ok = GuestMain.run("usbmon-start", r -> {
            exec("modprobe", "usbmon");
            Path dev = Path.of("/dev/usbmon0");
            for (int i = 0; i < 100 && !Files.exists(dev); i++) {
                Thread.sleep(50);
            }
            reader[0] = new UsbmonReader(dev, usbmonFile);
            reader[0].start();
        });
        ok &= GuestMain.run("re-enumerate", r -> {
            Path driver = Path.of("/sys/bus/pci/drivers/xhci_hcd");
            List<Path> controllers;
            try (Stream<Path> s = Files.list(driver)) {
                controllers = s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{4}:.*"))
                        .toList();
            }
            for (Path c : controllers) {
                String name = c.getFileName().toString();
                Files.writeString(driver.resolve("unbind"), name);
                Files.writeString(driver.resolve("bind"), name);
                r.info("rebound " + name);
            }
            Scenarios.awaitSysfs(0x46f4, 0x0002, 20_000);
            Thread.sleep(500); // strings and configuration are read right after the device appears
        });
        ok &= GuestMain.run("volume", r -> {
            try (UsbAudioScenarios.Session s = new UsbAudioScenarios.Session(true)) {
                s.volumeMax();
            }
        });
        ok &= GuestMain.run(
                "tool-stream-capture",
                r -> usbd(
                        r,
                        "--backend",
                        "libusb",
                        "stream",
                        "--device",
                        AUDIO,
                        "--interface",
                        "1",
                        "--alt",
                        "1",
                        "--endpoint",
                        "0x01",
                        "--packets",
                        Integer.toString(CaptureRealKernelIT.PACKETS),
                        "--file",
                        raw,
                        "--capture",
                        ours));
        ok &= GuestMain.run("usbmon-stop", r -> {
            Thread.sleep(300); // the last completions
            r.info("usbmon events=" + reader[0].finish());
        });
        GuestMain.exit(ok);
    }

    private static void usbd(GuestMain.Report r, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        System.out.println("usbd " + String.join(" ", args) + "\n" + out + err);
        for (String line : out.toString().split("[\r\n]+")) {
            if (line.startsWith("streamed") || line.startsWith("capture:")) {
                r.info(line.trim());
            }
        }
        if (rc != 0) {
            throw new AssertionError(
                    "usbd exited with " + rc + ": " + err.toString().trim());
        }
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed");
        }
    }

    /**
     * Reads usbmon's binary interface into a classic pcap file (link type 189): one event per read, each
     * written whole, so the file is complete up to the last event once {@link #finish()} returns.
     */
    static final class UsbmonReader extends Thread {
        private final Path device;
        private final OutputStream out;
        private final Object lock = new Object();
        private boolean stopped;
        private long events;

        UsbmonReader(Path device, Path file) throws IOException {
            super("usbmon-reader");
            setDaemon(true);
            this.device = device;
            this.out = new FileOutputStream(file.toFile());
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0xA1B2C3D4)
                    .putShort((short) 2)
                    .putShort((short) 4)
                    .putInt(0)
                    .putInt(0);
            h.putInt(1 << 20).putInt(Usbmon.LINKTYPE_USB_LINUX);
            out.write(h.array());
        }

        @Override
        public void run() {
            byte[] buf = new byte[1 << 20];
            try (InputStream in = new FileInputStream(device.toFile())) {
                while (true) {
                    int n = in.read(buf);
                    if (n < Usbmon.LEGACY_HEADER_LENGTH) {
                        continue;
                    }
                    ByteBuffer e = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
                    long sec = e.getLong(16);
                    int usec = e.getInt(24);
                    ByteBuffer rec = ByteBuffer.allocate(16 + n).order(ByteOrder.LITTLE_ENDIAN);
                    rec.putInt((int) sec).putInt(usec).putInt(n).putInt(n).put(buf, 0, n);
                    synchronized (lock) {
                        if (stopped) {
                            return;
                        }
                        out.write(rec.array());
                        events++;
                    }
                }
            } catch (IOException e) {
                System.out.println("usbmon reader: " + e);
            }
        }

        long finish() throws IOException {
            synchronized (lock) {
                stopped = true;
                out.close();
                return events;
            }
        }
    }
}
