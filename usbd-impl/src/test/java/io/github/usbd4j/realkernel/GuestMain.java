package io.github.usbd4j.realkernel;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The program {@link QemuGuest} runs inside the guest: runs the named scenarios one after the other in
 * this one JVM (a JVM start plus libusb's first init cost about 3 s under TCG) and reports each as one
 * line {@code RESULT <scenario> PASS|FAIL|INFO <detail>} on stdout and in the result file the host IT
 * reads. Exit code 0 iff every scenario passed.
 */
public final class GuestMain {
    /** System property naming the result file. */
    static final String RESULTS_PROPERTY = "usbd4j.results";
    /** Prefix of a result line. */
    static final String MARKER = "RESULT ";

    /** One guest-side scenario. */
    @FunctionalInterface
    interface Scenario {
        /**
         * Runs it; throws (an AssertionError, typically) when it fails.
         *
         * @param r where to report measurements
         */
        void run(Report r) throws Exception;
    }

    /** Reports lines for one scenario. */
    static final class Report {
        private final String scenario;

        Report(String scenario) {
            this.scenario = scenario;
        }

        /** A measurement or fact for the host side (and the README), e.g. {@code "packets=2000"}. */
        void info(String detail) {
            emit(scenario, "INFO", detail);
        }
    }

    private static final Map<String, Supplier<Scenario>> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("smoke", () -> Scenarios::smoke);
        SCENARIOS.put("usbip-smoke", () -> Scenarios::usbIpSmoke);
        SCENARIOS.put("ce-audio-out", () -> UsbAudioScenarios::ceAudioOut);
        SCENARIOS.put("start-frame", () -> UsbAudioScenarios::startFrameAccuracy);
        SCENARIOS.put("wdm-audio-out", () -> UsbAudioScenarios::wdmAudioOut);
        SCENARIOS.put("usbip-warm-up", () -> Scenarios::usbIpWarmUp);
        SCENARIOS.put("ce-loopback-in", () -> UsbIpScenarios::ceLoopbackIn);
        SCENARIOS.put("winusb-loopback-in", () -> UsbIpScenarios::winUsbLoopbackIn);
        SCENARIOS.put("contract", () -> ContractScenario::run);
        SCENARIOS.put("transfer-chaos", () -> ChaosScenario::run);
        SCENARIOS.put("desktop-chaos", () -> DesktopChaosScenario::run);
        SCENARIOS.put("usbip-drop-mid-stream", () -> CrossThreadScenarios::usbIpDropMidStream);
        SCENARIOS.put("audio-unplug-mid-stream", () -> CrossThreadScenarios::audioDeviceDelMidStream);
    }

    private GuestMain() {}

    /**
     * Entry point.
     *
     * @param args scenario names
     */
    public static void main(String[] args) {
        emit(
                "jvm",
                "INFO",
                "main reached after "
                        + java.lang.management.ManagementFactory.getRuntimeMXBean()
                                .getUptime() + " ms of JVM time");
        boolean ok = true;
        for (String name : args) {
            Supplier<Scenario> s = SCENARIOS.get(name);
            if (s == null) {
                emit(name, "FAIL", "unknown scenario");
                ok = false;
                continue;
            }
            ok &= run(name, s.get());
        }
        exit(ok);
    }

    /**
     * Runs one scenario and reports it as PASS or FAIL (with its stack trace on the console).
     *
     * @return whether it passed
     */
    static boolean run(String name, Scenario s) {
        long t0 = System.nanoTime();
        try {
            s.run(new Report(name));
            emit(name, "PASS", "in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return true;
        } catch (Throwable t) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            System.out.println(w);
            emit(name, "FAIL", oneLine(t.toString()) + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return false;
        }
    }

    /** Ends the guest program: exit code 0 iff everything passed. */
    static void exit(boolean ok) {
        System.out.flush();
        // non-daemon threads of a failed scenario must not keep the guest up until the host's timeout
        Runtime.getRuntime().halt(ok ? 0 : 1);
    }

    static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    static synchronized void emit(String scenario, String kind, String detail) {
        String line = MARKER + scenario + " " + kind + " " + oneLine(detail);
        System.out.println(line);
        String file = System.getProperty(RESULTS_PROPERTY);
        if (file != null) {
            try {
                Files.writeString(
                        Path.of(file),
                        line + "\n",
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                System.out.println("cannot write " + file + ": " + e);
            }
        }
    }
}
