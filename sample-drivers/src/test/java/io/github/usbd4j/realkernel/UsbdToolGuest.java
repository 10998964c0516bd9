package io.github.usbd4j.realkernel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The guest program of the {@code usbd} real-kernel ITs: runs the {@code ./usbd} script exactly as a user
 * types it (each run a cold JVM with the tool's own logging), from the run's share directory, with
 * {@code --backend libusb}, against the guest kernel's devices, and reports each run as
 * {@code RESULT <step> PASS|FAIL|INFO} like {@link GuestMain}: the exit code, the time until the device was
 * attached and streaming, the total time, and the result line. Output files land in the share, where the
 * host IT checks them against what the devices were sent or sent.
 *
 * <p>QEMU's usb-audio is there twice, behind the guest's xHCI and behind its UHCI controller, both
 * 46f4:0002: the steps name each as a user would, {@code --device 46f4:0002@BUS-PORTS} with the location
 * {@code usbd list} shows (read here from sysfs).
 *
 * <p>Arguments: the repository root (where {@code usbd} is), the WAV file to play and the raw PCM to stream
 * to usb-audio.
 */
public final class UsbdToolGuest {
    /** QEMU's usb-audio. */
    static final String AUDIO = "46f4:0002";
    /** The simulated devices the USB/IP server exports, by bus id, in {@code --device} order. */
    static final String LOOPBACK_BUS_ID = "1-1";

    static final String MICROPHONE_BUS_ID = "1-2";
    static final String CAMERA_BUS_ID = "1-3";

    /** The first line a command prints once its device is attached and streaming. */
    private static final Pattern ATTACHED =
            Pattern.compile("^(speaker: volume|played |recording |camera |streaming |driver LoopbackTest)");

    private static Path usbd;
    private static Path share;

    private UsbdToolGuest() {}

    /**
     * Entry point.
     *
     * @param args see the class comment
     */
    public static void main(String[] args) {
        usbd = Path.of(args[0], "usbd");
        share = Path.of(System.getProperty(GuestMain.RESULTS_PROPERTY)).getParent();
        String[] audio = new String[2];
        boolean ok = GuestMain.run("locate-usb-audio", r -> {
            audio[0] = audioBehind("xHCI");
            audio[1] = audioBehind("UHCI");
            r.info("usb-audio behind xHCI at " + audio[0] + ", behind UHCI at " + audio[1]);
        });
        if (!ok) {
            GuestMain.exit(false);
        }
        String wav = args[1];
        String raw = args[2];
        if (args.length > 3 && args[3].equals("unplug")) {
            // the unplug steps alone (-Dusbd4j.toolSteps=unplug on the host): they attach what they need
            GuestMain.exit(unplugSteps(-1, -1, -1));
        }
        String xhci = AUDIO + "@" + audio[0];
        // QEMU scales samples by volume/255 from 240: --volume 8 (its maximum, 255) makes the capture comparable,
        // and the device keeps it for the stream that follows
        ok &= usbd("tool-play", null, "--backend", "libusb", "play", "--device", xhci, "--volume", "8", wav);
        ok &= usbd(
                "tool-stream-out",
                null,
                "--backend",
                "libusb",
                "stream",
                "--device",
                xhci,
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
        ok &= usbd(
                "tool-play-uhci",
                null,
                "--backend",
                "libusb",
                "play",
                "--device",
                AUDIO + "@" + audio[1],
                "--volume",
                "8",
                "--max-errors",
                Integer.toString(UsbdToolRealKernelIT.UHCI_MAX_ERRORS),
                wav);
        // each usbd run right after 'usbip attach' returns: the tool waits for the device on its own
        int[] ports = {-1, -1, -1};
        ok &= GuestMain.run("usbip-attach-loopback", r -> ports[0] = GuestUsbIp.attach(LOOPBACK_BUS_ID));
        ok &= usbd(
                "tool-loopback-test",
                null,
                "--backend",
                "libusb",
                "loopback-test",
                "--device",
                "1209:0001",
                "--frames",
                Integer.toString(UsbdToolRealKernelIT.LOOPBACK_FRAMES),
                "--max-errors",
                Integer.toString(UsbdToolRealKernelIT.USBIP_MAX_ERRORS));
        ok &= usbd("tool-list", "list.txt", "--backend", "libusb", "list");
        ok &= GuestMain.run("usbip-attach-microphone", r -> ports[1] = GuestUsbIp.attach(MICROPHONE_BUS_ID));
        ok &= usbd(
                "tool-record",
                null,
                recordMicrophone(
                        Double.toString(UsbdToolRealKernelIT.RECORD_SECONDS),
                        "--max-errors",
                        Integer.toString(UsbdToolRealKernelIT.USBIP_MAX_ERRORS),
                        "rec.wav"));
        // Ctrl-C halfway, as a user stops a recording: exit 130, and the file holds what the summary says
        ok &= usbdInterrupted(
                "tool-record-interrupted",
                UsbdToolRealKernelIT.INTERRUPT_AFTER_MS,
                recordMicrophone("600", "rec-interrupted.wav"));
        ok &= GuestMain.run("usbip-attach-camera", r -> ports[2] = GuestUsbIp.attach(CAMERA_BUS_ID));
        ok &= usbd(
                "tool-camera",
                null,
                "--backend",
                "libusb",
                "camera",
                "--device",
                "1209:0004",
                "--frames",
                Integer.toString(UsbdToolRealKernelIT.CAMERA_FRAMES),
                "--out",
                "frames",
                "--raw",
                "--max-errors",
                Integer.toString(UsbdToolRealKernelIT.USBIP_MAX_ERRORS));
        ok &= unplugSteps(ports[0], ports[1], ports[2]);
        GuestMain.exit(ok);
    }

    /**
     * The device unplugged ({@code usbip detach}) while a command streams from or to it, as a user pulls a
     * cable: {@code camera}, {@code record}, {@code loopback-test}, {@code stream} IN (the microphone) and
     * {@code stream} OUT (the loopback), each asked for far more than it gets; then a device that leaves while
     * the command opens it, and one that never appears. Each step reports the exit code and the time from the
     * detach to the process's end ({@code unplug-to-exit N ms}); the host IT checks the codes, result lines and
     * files.
     *
     * @param loopback the vhci port of the attached loopback, -1 if not attached
     * @param microphone the microphone's, -1 if not attached
     * @param camera the camera's, -1 if not attached
     */
    static boolean unplugSteps(int loopback, int microphone, int camera) {
        long after = UsbdToolRealKernelIT.UNPLUG_AFTER_MS;
        boolean ok = true;
        ok &= usbdUnplugged(
                "tool-unplug-camera",
                CAMERA_BUS_ID,
                camera,
                after,
                "--backend",
                "libusb",
                "camera",
                "--device",
                "1209:0004",
                "--frames",
                "100000",
                "--out",
                "frames-unplug",
                "--raw");
        ok &= usbdUnplugged(
                "tool-unplug-record", MICROPHONE_BUS_ID, microphone, after, recordMicrophone("600", "rec-unplug.wav"));
        ok &= usbdUnplugged(
                "tool-unplug-loopback-test",
                LOOPBACK_BUS_ID,
                loopback,
                after,
                "--backend",
                "libusb",
                "loopback-test",
                "--device",
                "1209:0001",
                "--frames",
                "600000");
        ok &= usbdUnplugged(
                "tool-unplug-stream-in",
                MICROPHONE_BUS_ID,
                -1,
                after,
                "--backend",
                "libusb",
                "stream",
                "--device",
                "1209:0003",
                "--interface",
                "1",
                "--alt",
                "1",
                "--endpoint",
                "0x81",
                "--packets",
                "600000",
                "--file",
                "stream-in-unplug.raw");
        ok &= usbdUnplugged(
                "tool-unplug-stream-out",
                LOOPBACK_BUS_ID,
                -1,
                after,
                "--backend",
                "libusb",
                "stream",
                "--device",
                "1209:0001",
                "--interface",
                "0",
                "--alt",
                "1",
                "--endpoint",
                "0x01",
                "--packets",
                "600000");
        ok &= usbdGoneWhileOpening();
        // nothing with this VID:PID is ever plugged in: exit 3 after --wait, the target as it was
        ok &= GuestMain.run("tool-never-appears", r -> {
            Files.writeString(share.resolve("never.wav"), UsbdToolRealKernelIT.UNTOUCHED, StandardCharsets.US_ASCII);
            Run run = Run.start(
                    "tool-never-appears",
                    "--backend",
                    "libusb",
                    "record",
                    "--device",
                    "1209:00ee",
                    "--seconds",
                    "1",
                    "--wait",
                    "2",
                    "never.wav");
            run.finish(r, -1, 3);
        });
        return ok;
    }

    /**
     * {@code usbd args...} with the device at vhci {@code port} (attached here first from {@code busId} if
     * -1), detached {@code afterMillis} after the command started streaming; passes if it exits 4 (the device
     * left) with no stack trace.
     */
    private static boolean usbdUnplugged(String step, String busId, int port, long afterMillis, String... args) {
        return GuestMain.run(step, r -> {
            int p = port >= 0 ? port : GuestUsbIp.attach(busId);
            Run run = Run.start(step, args);
            run.awaitLine(run.attached, "started streaming");
            Thread.sleep(afterMillis);
            long detached = System.nanoTime();
            GuestUsbIp.detach(p);
            run.finish(r, detached, 4);
        });
    }

    /**
     * {@code usbd record} started before the microphone is plugged in, which leaves again the moment the tool
     * opens it (its file under {@code /dev/bus/usb} open in the process): exit 4 (it left while being opened,
     * or as it started streaming) or 3 (it was gone before the tool could take it, and never came back within
     * {@code --wait}), never anything else; the host IT checks the target file.
     */
    private static boolean usbdGoneWhileOpening() {
        String step = "tool-unplug-while-opening";
        return GuestMain.run(step, r -> {
            Files.writeString(
                    share.resolve("rec-opening.wav"), UsbdToolRealKernelIT.UNTOUCHED, StandardCharsets.US_ASCII);
            Run run = Run.start(step, recordMicrophone("600", "--wait", "15", "rec-opening.wav"));
            run.awaitLine(run.waiting, "said it waits for the device");
            int p = GuestUsbIp.attach(MICROPHONE_BUS_ID);
            // pulled the moment the tool opens the device's file: between libusb_open and the first transfer
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean opened = opensUsbDevice(run.process.pid());
            while (!opened && run.process.isAlive() && System.nanoTime() < end) {
                Thread.sleep(2);
                opened = opensUsbDevice(run.process.pid());
            }
            long detached = System.nanoTime();
            GuestUsbIp.detach(p);
            r.info(opened ? "pulled as the tool opened it" : "pulled before the tool opened it");
            run.finish(r, detached, 3, 4);
        });
    }

    /** Whether process {@code pid} has a file of {@code /dev/bus/usb} open (libusb opened a device). */
    private static boolean opensUsbDevice(long pid) {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith("/dev/bus/usb/")) {
                        return true;
                    }
                } catch (java.io.IOException e) {
                    // closed while being read
                }
            }
        } catch (java.io.IOException e) {
            // the process ended
        }
        return false;
    }

    /** A {@code ./usbd} process whose output a thread reads, noting when it started streaming or waiting. */
    private static final class Run {
        final String step;
        final List<String> args;
        final Process process;
        final long t0 = System.nanoTime();
        final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.CompletableFuture<Long> attached = new java.util.concurrent.CompletableFuture<>();
        final java.util.concurrent.CompletableFuture<Long> waiting = new java.util.concurrent.CompletableFuture<>();
        final Thread reader;

        private Run(String step, List<String> args, Process process) {
            this.step = step;
            this.args = args;
            this.process = process;
            reader = new Thread(this::read, step + "-out");
            reader.setDaemon(true);
            reader.start();
        }

        static Run start(String step, String... args) throws java.io.IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(usbd.toString());
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd)
                    .directory(share.toFile())
                    .redirectError(share.resolve(step + ".err").toFile())
                    .start();
            p.getOutputStream().close();
            return new Run(step, List.of(args), p);
        }

        private void read() {
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                    if (ATTACHED.matcher(line).find()) {
                        attached.complete(System.nanoTime());
                    }
                    if (line.startsWith("waiting up to ")) {
                        waiting.complete(System.nanoTime());
                    }
                }
            } catch (java.io.IOException e) {
                // the process is gone; finish() reports what it printed
            }
        }

        /** Waits (bounded) for the line {@code event} marks; fails, ending the process, if it never came. */
        void awaitLine(java.util.concurrent.CompletableFuture<Long> event, String what) throws Exception {
            try {
                event.get(4, TimeUnit.MINUTES);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                process.destroyForcibly();
                throw new AssertionError("usbd never " + what + ": " + lines);
            }
        }

        /**
         * Waits (bounded) for the end, reports the exit code and times (from {@code detached}, if not -1) and
         * the tool's result lines, and fails unless the exit code is one of {@code expected} and stderr holds
         * no stack trace.
         */
        void finish(GuestMain.Report r, long detached, int... expected) throws Exception {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                // a thread dump (SIGQUIT) to the output, to see where it hangs
                new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid()))
                        .start()
                        .waitFor();
                Thread.sleep(3000);
                process.destroyForcibly();
                reader.join(10_000);
                Files.write(share.resolve(step + ".out"), List.copyOf(lines), StandardCharsets.UTF_8);
                System.out.println(String.join("\n", List.copyOf(lines)));
                throw new AssertionError("usbd did not end within 2 minutes"
                        + (detached < 0
                                ? ""
                                : " (" + (System.nanoTime() - detached) / 1_000_000 + " ms after the detach)")
                        + ": " + lines.subList(0, Math.min(3, lines.size())));
            }
            long end = System.nanoTime();
            reader.join(10_000);
            String err = Files.readString(share.resolve(step + ".err"), StandardCharsets.UTF_8);
            List<String> out = List.copyOf(lines);
            Files.write(share.resolve(step + ".out"), out, StandardCharsets.UTF_8);
            System.out.println("usbd " + String.join(" ", args) + "\n" + String.join("\n", out) + "\n" + err);
            int exit = process.exitValue();
            r.info("exit " + exit
                    + (attached.isDone()
                            ? ", attached and streaming after " + (attached.join() - t0) / 1_000_000 + " ms"
                            : "")
                    + (detached < 0 ? "" : ", unplug-to-exit " + (end - detached) / 1_000_000 + " ms")
                    + ", total " + (end - t0) / 1_000_000 + " ms");
            for (String line : out) {
                if (line.startsWith("result:")
                        || line.startsWith("recorded")
                        || line.startsWith("captured")
                        || line.startsWith("streamed")
                        || line.startsWith("nothing was")
                        || line.startsWith("the recording")
                        || line.startsWith("  OUT 0x")
                        || line.startsWith("  IN  0x")) {
                    r.info(line.trim());
                }
            }
            err.lines().filter(l -> !l.isBlank()).limit(10).forEach(l -> r.info("stderr: " + l.trim()));
            boolean known = java.util.Arrays.stream(expected).anyMatch(c -> c == exit);
            if (!known || err.contains("\tat ")) {
                throw new AssertionError("usbd exited with " + exit + " (expected "
                        + java.util.Arrays.toString(expected) + "): " + err.trim());
            }
        }
    }

    /**
     * The bus and ports ({@code "3-1"}) of the usb-audio device behind the host controller whose root hub's
     * product string contains {@code controller}, from sysfs, waiting (bounded) for the kernel to enumerate it.
     */
    private static String audioBehind(String controller) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try (java.util.stream.Stream<Path> devices = Files.list(Path.of("/sys/bus/usb/devices"))) {
                for (Path d : devices.toList()) {
                    String name = d.getFileName().toString();
                    if (!name.matches("\\d+-[\\d.]+") || !Files.exists(d.resolve("idVendor"))) {
                        continue;
                    }
                    String id = Files.readString(d.resolve("idVendor")).trim() + ":"
                            + Files.readString(d.resolve("idProduct")).trim();
                    Path rootHub = Path.of("/sys/bus/usb/devices", "usb" + name.substring(0, name.indexOf('-')));
                    if (id.equals(AUDIO)
                            && Files.readString(rootHub.resolve("product")).contains(controller)) {
                        return name;
                    }
                }
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("no usb-audio behind " + controller + " in /sys/bus/usb/devices");
            }
            Thread.sleep(100);
        }
    }

    /**
     * The step: {@code usbd args...} in the share directory; passes if it exits 0 with no stack trace.
     *
     * @param saveAs a share file to keep its standard output in, or {@code null}
     */
    /** {@code usbd --backend libusb record} from the USB/IP microphone for {@code seconds}, then {@code rest}. */
    private static String[] recordMicrophone(String seconds, String... rest) {
        List<String> a = new ArrayList<>(
                List.of("--backend", "libusb", "record", "--device", "1209:0003", "--seconds", seconds));
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    private static boolean usbd(String step, String saveAs, String... args) {
        return usbd(step, saveAs, -1, args);
    }

    /**
     * The step: {@code usbd args...}, sent SIGINT {@code afterMillis} after it started streaming; passes if
     * it exits 130 (the tool's code for SIGINT) with no stack trace.
     */
    private static boolean usbdInterrupted(String step, long afterMillis, String... args) {
        return usbd(step, null, afterMillis, args);
    }

    private static boolean usbd(String step, String saveAs, long interruptAfterMillis, String... args) {
        return GuestMain.run(step, r -> {
            List<String> cmd = new ArrayList<>();
            cmd.add(usbd.toString());
            cmd.addAll(List.of(args));
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd)
                    .directory(share.toFile())
                    .redirectError(share.resolve(step + ".err").toFile())
                    .start();
            p.getOutputStream().close();
            long attached = -1;
            List<String> lines = new ArrayList<>();
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (attached < 0 && ATTACHED.matcher(line).find()) {
                        attached = System.nanoTime();
                        if (interruptAfterMillis >= 0) {
                            interrupt(p, interruptAfterMillis);
                        }
                    }
                    lines.add(line);
                }
            }
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("usbd did not end within 5 minutes");
            }
            long total = (System.nanoTime() - t0) / 1_000_000;
            String err = Files.readString(share.resolve(step + ".err"), StandardCharsets.UTF_8);
            Files.write(share.resolve(step + ".out"), lines, StandardCharsets.UTF_8);
            if (saveAs != null) {
                Files.write(share.resolve(saveAs), lines, StandardCharsets.UTF_8);
            }
            System.out.println("usbd " + String.join(" ", args) + "\n" + String.join("\n", lines) + "\n" + err);
            r.info("exit " + p.exitValue()
                    + (attached < 0 ? "" : ", attached and streaming after " + (attached - t0) / 1_000_000 + " ms")
                    + ", total " + total + " ms");
            for (String line : lines) {
                if (line.startsWith("result:") || line.startsWith("recorded") || line.startsWith("captured")) {
                    r.info(line.trim());
                }
            }
            int expected = interruptAfterMillis >= 0 ? 130 : 0;
            if (p.exitValue() != expected || err.contains("\tat ")) {
                throw new AssertionError(
                        "usbd exited with " + p.exitValue() + " (expected " + expected + "): " + err.trim());
            }
        });
    }

    /** Sends SIGINT to {@code p} after {@code millis}, from another thread (the caller reads its output). */
    private static void interrupt(Process p, long millis) {
        Thread t = new Thread(
                () -> {
                    try {
                        Thread.sleep(millis);
                        new ProcessBuilder("kill", "-INT", Long.toString(p.pid()))
                                .start()
                                .waitFor();
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot send SIGINT to usbd", e);
                    }
                },
                "sigint");
        t.setDaemon(true);
        t.start();
    }
}
