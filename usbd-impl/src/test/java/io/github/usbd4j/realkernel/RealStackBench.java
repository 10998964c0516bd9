package io.github.usbd4j.realkernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Host side of the real-stack benchmark, run by hand through {@code benchmarks/real-stack.sh} (never by the
 * build): boots one QEMU guest with usb-audio on xHCI and on UHCI and the USB/IP loopback device, runs
 * {@link RealStackGuest} in it, then prints each run's process CPU per packet, the CE/raw ratio per pair
 * and its median per path, lost and failed packets, and the load of this machine and of the guest. It
 * also checks both usb-audio captures bit-exact (one {@link WavPattern#CE} segment per OUT run).
 *
 * <p>System properties: {@code rounds} (default 3), {@code warmUps} (warm-up rounds before them, run and
 * checked but not counted: default 1; more let the JIT's C2 settle when the guest runs it),
 * {@code packets} per run (default 2000), {@code jfr=true} to record each counted run with JDK Flight
 * Recorder (in {@code target/realkernel/RealStackBench/share/}; recording costs CPU, so use those runs for
 * the profile, not for the figures), {@code inline=true} to add the {@code ce-inline} kind (see
 * {@link RealStackGuest}), {@code perf=true} to profile each counted run with {@code perf} in the guest,
 * {@code icount=N} to run QEMU with {@code -icount shift=N} (guest CPU time then counts instructions, so the
 * figures do not depend on the host's load; see {@link QemuGuest.Builder#icount}), {@code cpus} (the guest's
 * CPUs without {@code icount}, default 2; see {@link QemuGuest.Builder#cpus}), {@code guestJvmArgs}
 * (space-separated, added to the guest JVM's options). Exit code 0 only when the guest ran every stream, no
 * packet failed or was lost and both captures are bit-exact.
 */
public final class RealStackBench {
    private RealStackBench() {}

    /**
     * Entry point.
     *
     * @param args none
     */
    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("rounds", 3);
        int packets = Integer.getInteger("packets", 2000) / RealStackGuest.PER_TRANSFER * RealStackGuest.PER_TRANSFER;
        boolean jfr = Boolean.getBoolean("jfr");
        boolean inline = Boolean.getBoolean("inline");
        int kinds = inline ? 3 : 2;
        int warmUps = Math.max(1, Integer.getInteger("warmUps", 1));
        List<String> missing = RealKernel.missing(true);
        if (!missing.isEmpty()) {
            System.out.println("cannot run: " + missing);
            System.exit(2);
        }
        QemuGuest.Builder b = QemuGuest.builder("RealStackBench")
                .mainClass(RealStackGuest.class.getName())
                .args(
                        Integer.toString(rounds),
                        Integer.toString(packets),
                        Boolean.getBoolean("perf") ? "perf" : jfr ? "jfr" : "nojfr",
                        inline ? "inline" : "")
                .uhciAudio()
                .usbIpServer("--device", "loopback", "--seconds", "3600")
                .timeout(Duration.ofMinutes(10 + (long) kinds * (rounds + warmUps) * packets / 800));
        b.cpus(Integer.getInteger("cpus", 2));
        int icount = Integer.getInteger("icount", -1);
        if (icount >= 0) {
            b.icount(icount).timeout(Duration.ofMinutes(30 + (long) kinds * (rounds + warmUps) * packets / 200));
        }
        b.jvmArgs("-D" + RealStackGuest.WARM_UPS_PROPERTY + "=" + warmUps);
        String extra = System.getProperty("guestJvmArgs", "").trim();
        if (!extra.isEmpty()) {
            b.jvmArgs(extra.split("\\s+"));
        }
        QemuGuest g = b.build();
        String loadBefore = hostLoad();
        long[] statBefore = hostCpuTicks();
        QemuGuest.Result res = g.run();
        long[] statAfter = hostCpuTicks();
        String loadAfter = hostLoad();

        boolean ok = res.exited() && res.guestRc() == 0;
        List<Map<String, String>> runs = new ArrayList<>();
        for (String[] m : res.markers()) {
            if (m[1].equals("INFO") && m[2].startsWith("path=")) {
                runs.add(fields(m[2]));
            } else if (!m[1].equals("INFO") || !m[0].equals(RealStackGuest.SCENARIO)) {
                System.out.println("guest: " + String.join(" ", m));
            } else {
                System.out.println("guest: " + m[2]);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "host: %d cores, loadavg before %s, after %s; host CPUs %.0f %% busy during the boot (QEMU included)%n",
                Runtime.getRuntime().availableProcessors(),
                loadBefore,
                loadAfter,
                100.0 * (statAfter[0] - statBefore[0]) / Math.max(1, statAfter[1] - statBefore[1]));
        System.out.printf(
                "guest boot to power-off %d ms, GUEST_RC=%d; guest JVM options: defaults of QemuGuest %s%n",
                res.wallMillis(), res.guestRc(), extra.isEmpty() ? "" : "+ " + extra);
        if (icount >= 0) {
            System.out.printf(
                    "QEMU -icount shift=%d: guest time counts instructions (%d ns each); with shift 0, read µs per"
                            + " packet as thousands of instructions per packet%n",
                    icount, 1 << icount);
        }

        int bad = 0;
        System.out.println();
        System.out.println(
                "path      round kind       CPU/packet  wakeups/pkt  alloc B/pkt  wall ms  failed lost  guest"
                        + " loadavg  threads (CPU ms / context switches)");
        for (Map<String, String> r : runs) {
            int n = Integer.parseInt(r.get("packets"));
            int failed = Integer.parseInt(r.get("failed"));
            int lost = Integer.parseInt(r.get("lost"));
            bad += failed + lost;
            System.out.printf(
                    Locale.ROOT,
                    "%-9s %5s %-9s %8.1f µs %11.2f %12.1f %8d %6d %4d  %-14s %s%s%n",
                    r.get("path"),
                    Integer.parseInt(r.get("round")) <= 0 ? "warm" : r.get("round"),
                    r.get("kind"),
                    Long.parseLong(r.get("cpuNs")) / 1000.0 / n,
                    Double.parseDouble(r.get("wakeups")) / n,
                    Double.parseDouble(r.get("allocBytes")) / n,
                    Long.parseLong(r.get("wallNs")) / 1_000_000,
                    failed,
                    lost,
                    r.get("loadavg").split("_")[0],
                    r.get("threads"),
                    r.containsKey("problem") ? " FIRST PROBLEM " + r.get("problem") : "");
        }
        // per path and round: CPU per packet by kind
        Map<String, Map<String, Map<String, Double>>> byPathRound = new LinkedHashMap<>();
        for (Map<String, String> r : runs) {
            if (Integer.parseInt(r.get("round")) <= 0) {
                continue;
            }
            double perPacket = Long.parseLong(r.get("cpuNs")) / 1000.0 / Integer.parseInt(r.get("packets"));
            byPathRound
                    .computeIfAbsent(r.get("path"), k -> new TreeMap<>())
                    .computeIfAbsent(r.get("round"), k -> new LinkedHashMap<>())
                    .put(r.get("kind"), perPacket);
        }
        for (String kind : inline ? List.of("ce", "ce-inline") : List.of("ce")) {
            System.out.println();
            System.out.println("CPU per packet, " + kind + " / raw usb4java, per round (pair), and the median:");
            for (Map.Entry<String, Map<String, Map<String, Double>>> e : byPathRound.entrySet()) {
                List<Double> ratios = new ArrayList<>();
                StringBuilder line = new StringBuilder();
                for (Map<String, Double> pr : e.getValue().values()) {
                    if (pr.containsKey(kind) && pr.containsKey("raw")) {
                        double ratio = pr.get(kind) / pr.get("raw");
                        ratios.add(ratio);
                        line.append(String.format(Locale.ROOT, " %.2f", ratio));
                    }
                }
                if (ratios.isEmpty()) {
                    continue;
                }
                List<Double> sorted = new ArrayList<>(ratios);
                sorted.sort(null);
                double median = sorted.size() % 2 == 1
                        ? sorted.get(sorted.size() / 2)
                        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
                System.out.printf(
                        Locale.ROOT,
                        "  %-9s ratios%s  median %.2f  (min %.2f, max %.2f)%n",
                        e.getKey(),
                        line,
                        median,
                        sorted.get(0),
                        sorted.get(sorted.size() - 1));
            }
        }

        System.out.println();
        long segmentFrames = (long) packets * RealStackGuest.AUDIO_FRAMES;
        ok &= checkWav("xHCI", g.wav(), kinds * (rounds + warmUps), segmentFrames);
        ok &= checkWav("UHCI", g.uhciWav(), kinds * (rounds + warmUps), segmentFrames);
        if (bad > 0) {
            System.out.println("FAILED: " + bad + " packets failed or were lost");
        }
        if (!res.exited() || res.guestRc() != 0) {
            System.out.println(
                    "FAILED: the guest did not finish cleanly; its console is in " + g.runDir() + "/console.log");
        }
        for (String line : res.qemuLog().split("\n")) {
            if (line.contains("rate control")) {
                // QEMU's wav backend fell behind (host load) and reset its clock: usb-audio may drop data
                System.out.println("QEMU: " + line + " (the host was too busy for QEMU's audio timer)");
            }
        }
        System.out.println(ok && bad == 0 ? "OK" : "FAILED");
        System.exit(ok && bad == 0 ? 0 : 1);
    }

    private static boolean checkWav(String what, Path wav, int segments, long frames) throws IOException {
        List<WavPattern.Segment> expected = new ArrayList<>();
        for (int i = 0; i < segments; i++) {
            expected.add(new WavPattern.Segment(WavPattern.CE, frames));
        }
        try {
            List<String> report = WavPattern.verify(Files.readAllBytes(wav), expected);
            System.out.println(what + " capture: " + segments + " streams bit-exact; " + report.get(report.size() - 1));
            return true;
        } catch (AssertionError | IOException e) {
            System.out.println(what + " capture FAILED: " + e.getMessage());
            return false;
        }
    }

    private static Map<String, String> fields(String detail) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String w : detail.split(" ")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                m.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return m;
    }

    private static String hostLoad() throws IOException {
        String[] w = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
        return w[0] + " " + w[1] + " " + w[2];
    }

    /** Busy and total jiffies of all host CPUs. */
    private static long[] hostCpuTicks() throws IOException {
        String[] w = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < w.length; i++) {
            total += Long.parseLong(w[i]);
        }
        long idle = Long.parseLong(w[4]) + Long.parseLong(w[5]);
        return new long[] {total - idle, total};
    }
}
