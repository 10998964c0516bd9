package io.github.usbd4j.realkernel;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One boot of a throw-away QEMU (TCG) guest that runs a Java main class of this project against the
 * guest's real Linux USB stack, then powers off.
 *
 * <p>The guest sees the host's root filesystem read-only over 9p and chroots into it, so it runs the
 * host's JDK ({@code java.home} of the test JVM) with the test JVM's own class path: nothing is copied.
 * A per-run directory under {@code target/realkernel/} holds the initramfs, the console log, QEMU's log
 * and the usb-audio wav capture; its {@code share/} subdirectory is mounted writable in the guest (at the
 * same path) for the guest's result file. Devices: {@code qemu-xhci} with QEMU's {@code usb-audio}
 * (46f4:0002, iso OUT, captured to a 48 kHz stereo s16 wav) and, when USB/IP is wanted, a user-mode
 * network restricted to one guestfwd: the guest's {@code 10.0.2.100:3240} is connected to the stdin and
 * stdout of a host command (this project's USB/IP server), so the guest reaches nothing else. While it
 * runs, the guest may ask the host to unplug a device ({@link HostRequests}).
 */
public final class QemuGuest {
    /** The guest's address of the guestfwd USB/IP server. */
    public static final String USBIP_HOST = "10.0.2.100";
    /** QEMU's id of the usb-audio device on the xHCI controller, for {@code device_del}. */
    public static final String AUDIO_ID = "audio0";

    private static final Pattern RC = Pattern.compile("^GUEST_RC=(\\d+)", Pattern.MULTILINE);

    private final Path runDir;
    private final Path share;
    private final String mainClass;
    private final List<String> args;
    private final List<String> usbIpServerArgs;
    private final Duration timeout;
    private final int memoryMb;
    private final boolean uhciAudio;
    private final List<String> jvmArgs;
    private final int icountShift;
    private final int cpus;

    private QemuGuest(Builder b) {
        this.runDir = b.runDir;
        this.share = runDir.resolve("share");
        this.mainClass = b.mainClass;
        this.args = List.copyOf(b.args);
        this.usbIpServerArgs = b.usbIpServerArgs == null ? null : List.copyOf(b.usbIpServerArgs);
        this.timeout = b.timeout;
        this.memoryMb = b.memoryMb;
        this.uhciAudio = b.uhciAudio;
        this.jvmArgs = List.copyOf(b.jvmArgs);
        this.icountShift = b.icountShift;
        this.cpus = b.icountShift >= 0 ? 1 : b.cpus; // QEMU hangs bringing up a second CPU with -icount
    }

    /**
     * A guest whose files go to {@code target/realkernel/<name>/} of the current module.
     *
     * @param name the run's directory name, e.g. the IT's simple class name
     * @return a builder
     */
    public static Builder builder(String name) {
        // Surefire and Failsafe set basedir to the module directory
        Path module = Path.of(System.getProperty("basedir", "."));
        return new Builder(module.resolve("target")
                .resolve("realkernel")
                .resolve(name)
                .toAbsolutePath()
                .normalize());
    }

    /** The usb-audio capture of this run (complete once the guest has powered off). */
    public Path wav() {
        return runDir.resolve("usb-audio.wav");
    }

    /** The capture of the second usb-audio device, on the UHCI controller ({@link Builder#uhciAudio}). */
    public Path uhciWav() {
        return runDir.resolve("usb-audio-uhci.wav");
    }

    /** Where each USB/IP server process started for the guest appends its pid. */
    Path usbIpServerPids() {
        return runDir.resolve("usbip-server.pids");
    }

    /** The run directory. */
    public Path runDir() {
        return runDir;
    }

    /**
     * Boots the guest and waits until it powers off or the timeout expires.
     *
     * @return what the guest reported
     */
    public Result run() throws IOException, InterruptedException {
        RealKernel.Kernel kernel = RealKernel.kernel().orElseThrow();
        deleteTree(runDir);
        Files.createDirectories(share);
        Path initrd = runDir.resolve("initramfs.cpio");
        long t0 = System.nanoTime();
        Initramfs.build(kernel, RealKernel.busybox().orElseThrow(), initrd);
        long initrdMillis = (System.nanoTime() - t0) / 1_000_000;

        Path resultFile = share.resolve("results.txt");
        Files.writeString(share.resolve("java.args"), javaArgs(resultFile), StandardCharsets.UTF_8);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path console = runDir.resolve("console.log");
        Path qemuLog = runDir.resolve("qemu.log");
        // a socket path has at most 107 bytes: a short directory of its own rather than under the run's
        Path qmpSocket = Files.createTempDirectory("usbd4j-qmp").resolve("qmp.sock");

        List<String> cmd = new ArrayList<>(List.of(
                RealKernel.onPath("qemu-system-x86_64").orElseThrow().toString(),
                "-nodefaults",
                "-no-user-config",
                "-accel",
                cpus > 1 ? "tcg,thread=multi" : "tcg",
                "-m",
                Integer.toString(memoryMb),
                "-smp",
                Integer.toString(cpus),
                "-display",
                "none",
                "-no-reboot",
                "-serial",
                "file:" + console,
                "-kernel",
                kernel.image().toString(),
                "-initrd",
                initrd.toString(),
                "-append",
                "console=ttyS0 quiet panic=-1 no_timer_check usbd4j_work=" + share + " usbd4j_java=" + java
                        + " usbd4j_usbip=" + (usbIpServerArgs != null ? 1 : 0) + " usbd4j_uhci=" + (uhciAudio ? 1 : 0),
                "-fsdev",
                "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
                "-device",
                "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
                "-fsdev",
                "local,id=work,path=" + qemuOpt(share) + ",security_model=none,multidevs=remap",
                "-device",
                "virtio-9p-pci,fsdev=work,mount_tag=work",
                "-audiodev",
                "wav,id=snd0,path=" + qemuOpt(wav()) + ",out.frequency=48000,out.channels=2,out.format=s16",
                "-device",
                "qemu-xhci,id=xhci",
                "-device",
                "usb-audio,id=" + AUDIO_ID + ",bus=xhci.0,audiodev=snd0",
                // the guest's requests (HostRequests) unplug devices through QEMU's monitor
                "-qmp",
                "unix:" + qmpSocket + ",server=on,wait=off"));
        if (uhciAudio) {
            cmd.addAll(List.of(
                    "-audiodev",
                    "wav,id=snd1,path=" + qemuOpt(uhciWav()) + ",out.frequency=48000,out.channels=2,out.format=s16",
                    "-device",
                    "piix3-usb-uhci,id=uhci",
                    "-device",
                    "usb-audio,bus=uhci.0,audiodev=snd1"));
        }
        if (usbIpServerArgs != null) {
            Path script = runDir.resolve("usbip-server.sh");
            Files.writeString(script, usbIpServerScript(), StandardCharsets.UTF_8);
            cmd.addAll(List.of(
                    "-netdev",
                    "user,id=net0,restrict=on,guestfwd=tcp:" + USBIP_HOST + ":3240-cmd:/bin/sh " + qemuOpt(script),
                    "-device",
                    "virtio-net-pci,netdev=net0"));
        }
        if (icountShift >= 0) {
            cmd.addAll(List.of("-icount", "shift=" + icountShift + ",align=off,sleep=on"));
        }
        Files.writeString(runDir.resolve("qemu.cmd"), String.join(" ", cmd) + "\n", StandardCharsets.UTF_8);

        long start = System.nanoTime();
        Process qemu = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(qemuLog.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        HostRequests requests =
                HostRequests.start(share, usbIpServerPids(), qmpSocket, runDir.resolve("host-requests.log"));
        boolean exited;
        try {
            exited = qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            requests.stop();
            Files.deleteIfExists(qmpSocket);
            Files.deleteIfExists(qmpSocket.getParent());
        }
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        String consoleText = readIfExists(console);
        Matcher m = RC.matcher(consoleText);
        int rc = -1;
        while (m.find()) {
            rc = Integer.parseInt(m.group(1));
        }
        return new Result(
                exited, rc, wallMillis, initrdMillis, consoleText, readIfExists(qemuLog), readIfExists(resultFile));
    }

    /** The java argument file: fast-starting flags, the test class path, the result file, the main class. */
    private String javaArgs(Path resultFile) {
        List<String> a = new ArrayList<>(List.of(
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-Xss1m",
                "-Djava.io.tmpdir=/run/tmp", // a tmpfs; the guest sees the host's /tmp read-only
                // a JVM crash report lands in the run's share, next to the console log
                "-XX:ErrorFile=" + resultFile.resolveSibling("hs_err_pid%p.log"),
                // Logback's XML configuration alone takes seconds under TCG; results go through the marker file
                "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
                "-D" + GuestMain.RESULTS_PROPERTY + "=" + resultFile));
        a.addAll(jvmArgs); // after the defaults, so that they can override them
        a.addAll(List.of("-cp", String.join(File.pathSeparator, classPath()), mainClass));
        a.addAll(args);
        StringBuilder s = new StringBuilder();
        for (String x : a) {
            s.append('"').append(x.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        return s.toString();
    }

    /** The host command behind the guestfwd: this project's USB/IP server on stdin/stdout, its log to a file. */
    private String usbIpServerScript() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        StringBuilder s = new StringBuilder("#!/bin/sh\n# one connection of the guest's usbip tool\n")
                // QEMU starts this detached (not as its child): the pid tells HostRequests whom to kill
                .append("echo $$ >> '")
                .append(usbIpServerPids())
                .append("'\nexec '")
                .append(java)
                .append("' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp '")
                .append(String.join(File.pathSeparator, classPath()))
                .append("' io.github.usbd4j.usbip.UsbIpMain --stdio");
        for (String a : usbIpServerArgs) {
            s.append(" '").append(a).append('\'');
        }
        s.append(" 2>>'").append(runDir.resolve("usbip-server.log")).append("'\n");
        return s.toString();
    }

    /**
     * The test JVM's class path as plain entries. Surefire and Failsafe may start the JVM with a
     * manifest-only booter jar in a temporary file, which the guest may not see: expand it.
     */
    static List<String> classPath() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            List<String> expanded = manifestClassPath(Path.of(e));
            if (expanded.isEmpty()) {
                out.put(Path.of(e).toAbsolutePath().toString(), true);
            } else {
                expanded.forEach(x -> out.put(x, true));
            }
        }
        return new ArrayList<>(out.keySet());
    }

    private static List<String> manifestClassPath(Path entry) {
        if (!entry.getFileName().toString().contains("booter") || !Files.isRegularFile(entry)) {
            return List.of();
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest mf = jar.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
            if (cp == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String u : cp.trim().split("\\s+")) {
                URI uri = entry.toUri().resolve(u);
                out.add(Path.of(uri).toString());
            }
            return out;
        } catch (IOException | IllegalArgumentException e) {
            return List.of();
        }
    }

    /** QEMU option values escape a comma by doubling it. */
    private static String qemuOpt(Path p) {
        return p.toString().replace(",", ",,");
    }

    private static String readIfExists(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * What one boot produced.
     *
     * @param exited whether QEMU exited by itself before the timeout
     * @param guestRc the guest program's exit code from {@code GUEST_RC=}, -1 if none was printed
     * @param wallMillis QEMU start to exit
     * @param initramfsMillis time to build the initramfs
     * @param console the serial console (kernel messages and the guest program's output)
     * @param qemuLog QEMU's own output
     * @param results the guest's result-marker file
     */
    public record Result(
            boolean exited,
            int guestRc,
            long wallMillis,
            long initramfsMillis,
            String console,
            String qemuLog,
            String results) {

        /** The result lines {@code RESULT <scenario> <PASS|FAIL|INFO> <detail>} by scenario and kind. */
        public List<String[]> markers() {
            List<String[]> out = new ArrayList<>();
            for (String line : results.split("\n")) {
                if (line.startsWith(GuestMain.MARKER)) {
                    String[] w =
                            line.substring(GuestMain.MARKER.length()).trim().split(" ", 3);
                    out.add(new String[] {w[0], w.length > 1 ? w[1] : "", w.length > 2 ? w[2] : ""});
                }
            }
            return out;
        }

        /** Everything needed to diagnose a failure: results, console and QEMU log. */
        public String diagnostics() {
            return "---- guest results ----\n" + results + "\n---- console ----\n" + console + "\n---- qemu ----\n"
                    + qemuLog + "\n---- exited=" + exited + " GUEST_RC=" + guestRc + " wall=" + wallMillis + " ms";
        }
    }

    /** Configures a {@link QemuGuest}. */
    public static final class Builder {
        private final Path runDir;
        private String mainClass = GuestMain.class.getName();
        private final List<String> args = new ArrayList<>();
        private List<String> usbIpServerArgs;
        private Duration timeout = Duration.ofMinutes(4);
        private int memoryMb = 1536;
        private boolean uhciAudio;
        private final List<String> jvmArgs = new ArrayList<>();
        private int icountShift = -1;
        private int cpus = 2;

        private Builder(Path runDir) {
            this.runDir = runDir;
        }

        /** The run directory; its {@code share/} subdirectory is writable in the guest. */
        public Path runDir() {
            return runDir;
        }

        /** The guest program's arguments (scenario names for {@link GuestMain}). */
        public Builder args(String... a) {
            args.addAll(List.of(a));
            return this;
        }

        /** The guest's main class (default {@link GuestMain}). */
        public Builder mainClass(String name) {
            this.mainClass = Objects.requireNonNull(name);
            return this;
        }

        /** Adds the guestfwd USB/IP server with these extra {@code UsbIpMain} arguments; loads vhci-hcd. */
        public Builder usbIpServer(String... serverArgs) {
            this.usbIpServerArgs = List.of(serverArgs);
            return this;
        }

        /**
         * Adds a second usb-audio device on a UHCI controller (piix3-usb-uhci), captured to
         * {@link QemuGuest#uhciWav()}; both devices are 46f4:0002, on different buses.
         */
        public Builder uhciAudio() {
            this.uhciAudio = true;
            return this;
        }

        /** Extra options for the guest's JVM, after the default ones (so they may override them). */
        public Builder jvmArgs(String... a) {
            jvmArgs.addAll(List.of(a));
            return this;
        }

        /** The hard limit for the whole boot. */
        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        /**
         * Runs the guest with QEMU's instruction counting: each guest instruction takes 2<sup>shift</sup> ns
         * of guest time, so a guest thread's CPU time counts the instructions it ran, whatever the host's load.
         * The guest then has one CPU (QEMU hangs starting a second one in this mode), its clock source is the
         * TSC, and it runs slower than real time.
         */
        public Builder icount(int shift) {
            this.icountShift = shift;
            return this;
        }

        /**
         * The guest's CPUs (default 2, each on a host thread of QEMU's multi-threaded TCG). With one, QEMU
         * runs the guest on a single thread. Under {@link #icount} the guest always has one.
         */
        public Builder cpus(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("cpus must be at least 1: " + n);
            }
            this.cpus = n;
            return this;
        }

        /** Guest memory. */
        public Builder memoryMb(int mb) {
            this.memoryMb = mb;
            return this;
        }

        /** The guest. */
        public QemuGuest build() {
            return new QemuGuest(this);
        }
    }
}
