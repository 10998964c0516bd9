package io.github.usbd4j.realkernel;

import io.github.usbd4j.samples.tool.UsbdTool;
import io.github.usbd4j.sim.LoopbackDevice;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * The guest program of {@link UsbdToolRealKernelIT}: runs the {@code usbd} tool in this JVM exactly as a
 * user types it, with {@code --backend libusb}, against the guest kernel's devices, and reports each step
 * as {@code RESULT <step> PASS|FAIL|INFO} like {@link GuestMain}.
 *
 * <p>Arguments: the WAV file to play, the raw PCM to stream to usb-audio, the bytes to stream to the
 * loopback device, and the file the loopback's IN stream is written to.
 */
public final class UsbdToolGuest {
    /** QEMU's usb-audio. */
    static final String AUDIO = "46f4:0002";

    private UsbdToolGuest() {}

    /**
     * Entry point.
     *
     * @param args play.wav, stream.raw, loop-out.bin, loop-in.bin
     */
    public static void main(String[] args) {
        String wav = args[0];
        String raw = args[1];
        String loopOut = args[2];
        String loopIn = args[3];
        boolean ok = true;
        // QEMU scales samples by volume/255 from 240: unity (0x0800) makes the capture comparable. The
        // volume is device state, so it holds for the tool runs that follow.
        ok &= GuestMain.run("volume", r -> {
            try (UsbAudioScenarios.Session s = new UsbAudioScenarios.Session(true)) {
                s.volumeMax();
            }
        });
        ok &= usbd("tool-play", "play", "--device", AUDIO, wav);
        ok &= usbd(
                "tool-stream-out",
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
                Integer.toString(UsbdToolRealKernelIT.STREAM_PACKETS + UsbdToolRealKernelIT.TAIL_PACKETS),
                "--file",
                raw);
        ok &= GuestMain.run("usbip-attach", r -> {
            GuestUsbIp.attach("1-1");
            Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
        });
        ok &= usbd("tool-stream-loop-out", loopbackStream("0x01", loopOut));
        ok &= usbd("tool-stream-loop-in", loopbackStream("0x81", loopIn));
        GuestMain.exit(ok);
    }

    /** {@code usbd stream} of the loopback device's endpoint, to or from {@code file}. */
    private static String[] loopbackStream(String endpoint, String file) {
        return new String[] {
            "stream",
            "--device",
            String.format("%04x:%04x", LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID),
            "--endpoint",
            endpoint,
            "--packets",
            Integer.toString(UsbdToolRealKernelIT.LOOP_PACKETS),
            "--file",
            file
        };
    }

    /** The step {@code usbd --backend libusb args...}. */
    private static boolean usbd(String step, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--backend";
        all[1] = "libusb";
        System.arraycopy(args, 0, all, 2, args.length);
        return GuestMain.run(step, r -> run(r, all));
    }

    /** Runs {@code usbd args...}; its output goes to the console and its summary lines to the results. */
    private static void run(GuestMain.Report r, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        System.out.println("usbd " + String.join(" ", args) + "\n" + out + err);
        for (String line : out.toString().split("[\r\n]+")) {
            // the summary lines, not the progress bar's
            if (!line.startsWith("[")
                    && (line.startsWith("streamed") || line.startsWith("played") || line.contains("frames"))) {
                r.info(line.trim());
            }
        }
        if (rc != 0) {
            throw new AssertionError(
                    "usbd exited with " + rc + ": " + err.toString().trim());
        }
    }
}
